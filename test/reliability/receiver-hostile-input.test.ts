// Issue 7, hostile input over real sockets, on both stores: malformed bodies, wrong types, huge numbers, deep
// nesting, oversized bodies, invalid UTF-8 sent as raw bytes, framing and header tricks. Each gets its 4xx and
// leaves no row; the process stays up and a valid push succeeds afterwards. Then fast-check mutates valid pushes
// byte by byte and sends random bytes: every answer is a 4xx, or a 2xx for a body stored exactly as sent.
// (src/receiver/http/app.test.ts covers the body's structure in-process; this adds bytes, framing and headers.)
import assert from 'node:assert/strict';
import { isUtf8 } from 'node:buffer';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { pushToken } from '../../src/receiver/token.ts';
import { httpRequest, rawRequest } from '../support/raw-http.ts';
import { startReceiverProcess, storedRows } from '../support/receiver-process.ts';
import { HMAC_KEY, postgresSkip, pushBody, READ_TOKEN, README_SCOPE, STORE_KINDS, testStoreConfig } from '../support/receiver.ts';

const PG_SKIP = await postgresSkip();
const RUNS = 200;
const token = pushToken(HMAC_KEY, README_SCOPE);
const valid = JSON.stringify(pushBody(README_SCOPE, { run_id: 'hostile' }));
/** The valid body with `"run_id":"hostile"` swapped for raw bytes (as the value's content) or other JSON text. */
const withRunId = (replacement: Buffer | string) => {
  const [before, after] = valid.split('"hostile"') as [string, string];
  return typeof replacement === 'string' ? `${before}${replacement}${after}`
    : Buffer.concat([Buffer.from(`${before}"`), replacement, Buffer.from(`"${after}`)]);
};
const withSummary = (summary: string) => valid.replace(/"summary":.*\}$/, `"summary":${summary}}`);

const POST = 'POST /api/v1/metrics HTTP/1.1';
const HOST = 'Host: 127.0.0.1';
const AUTH = `Authorization: Bearer ${token}`;
const JSON_TYPE = 'Content-Type: application/json';
const length = (b: Buffer | string) => `Content-Length: ${Buffer.byteLength(b)}`;
/** A push of `body` with the usual headers, `extra` ones added and any listed in `without` left out. */
function push(body: Buffer | string, extra: string[] = [], without: string[] = []): Buffer {
  const head = [HOST, AUTH, JSON_TYPE, length(body)].filter((h) => !without.some((w) => h.startsWith(w)));
  return httpRequest([POST, ...head, ...extra], body);
}
const auth = (value: string) => push(valid, [`Authorization: ${value}`], ['Authorization']);

/** `end: 'write'`: the request is incomplete on purpose; half-close at once so that the server answers it at EOF. */
const CASES: { name: string; request: Buffer | string; status: number; end?: 'write' }[] = [
  // Bodies
  { name: 'malformed JSON', request: push('{"organization":'), status: 400 },
  { name: 'empty body', request: push(''), status: 400 },
  ...['null', '[]', '42', '"x"', 'true'].map((json) => ({ name: `body is JSON ${json}`, request: push(json), status: 400 })),
  { name: 'run_id is a number', request: push(withRunId('5')), status: 400 },
  { name: 'run_id is null', request: push(withRunId('null')), status: 400 },
  { name: 'summary is a string', request: push(withSummary('"x"')), status: 400 },
  { name: 'organization is an array', request: push(valid.replace('"organization":"my-org"', '"organization":["my-org"]')), status: 400 },
  { name: 'unknown envelope field', request: push(valid.replace('{', '{"admin":true,')), status: 400 },
  { name: 'number beyond a double (1e400)', request: push(withSummary('{"n":1e400}')), status: 400 },
  { name: 'a 5000-digit integer', request: push(withSummary(`{"n":${'9'.repeat(5000)}}`)), status: 400 },
  { name: 'summary nested 33 levels', request: push(withSummary(`${'{"a":'.repeat(32)}{}${'}'.repeat(32)}`)), status: 400 },
  { name: 'summary nested 100 000 levels', request: push(withSummary(`{"a":${'['.repeat(100_000)}${']'.repeat(100_000)}}`)), status: 400 },
  { name: 'escaped NUL in a string', request: push(withSummary('{"a":"x\\u0000"}')), status: 400 },
  { name: 'escaped lone surrogate', request: push(withSummary('{"a":"\\ud800"}')), status: 400 },
  { name: '__proto__ key in the summary', request: push(withSummary('{"__proto__":{"polluted":1}}')), status: 400 },
  { name: 'constructor.prototype in the summary', request: push(withSummary('{"constructor":{"prototype":{"x":1}}}')), status: 400 },
  { name: 'summary of 1.1 MiB (an oversized array)', request: push(withSummary(`{"a":[${Array(600_000).fill('0').join(',')}]}`)), status: 413 },
  { name: 'declared Content-Length of 5 MB, no body', request: push('', ['Content-Length: 5000000'], ['Content-Length']), status: 413 },
  { name: 'Expect: 100-continue for 5 MB', request: push('', ['Content-Length: 5000000', 'Expect: 100-continue'], ['Content-Length']), status: 413 },
  // Invalid UTF-8, as raw bytes
  { name: 'a 0xFF byte in a string', request: push(withRunId(Buffer.from([0x72, 0xff, 0x31]))), status: 400 },
  { name: 'an overlong "/" (C0 AF)', request: push(withRunId(Buffer.from([0xc0, 0xaf]))), status: 400 },
  { name: 'a UTF-8-encoded surrogate (ED A0 80)', request: push(withRunId(Buffer.from([0xed, 0xa0, 0x80]))), status: 400 },
  { name: 'Latin-1 "é" (E9) in a string', request: push(withRunId(Buffer.from('run-é', 'latin1'))), status: 400 },
  { name: 'a multi-byte character cut at the end', request: push(Buffer.concat([Buffer.from(valid), Buffer.from([0xe2, 0x82])])), status: 400 },
  // Content type and encoding
  { name: 'no Content-Type', request: push(valid, [], ['Content-Type']), status: 415 },
  { name: 'Content-Type text/plain', request: push(valid, ['Content-Type: text/plain'], ['Content-Type']), status: 415 },
  { name: 'Content-Type application/json; charset=latin1', request: push(valid, [`${JSON_TYPE}; charset=latin1`], ['Content-Type']), status: 415 },
  { name: 'Content-Type application/json; charset=utf-16', request: push(valid, [`${JSON_TYPE}; charset=utf-16`], ['Content-Type']), status: 415 },
  { name: 'Content-Type application/json-patch+json', request: push(valid, ['Content-Type: application/json-patch+json'], ['Content-Type']), status: 415 },
  { name: 'Content-Encoding: gzip on a plain body', request: push(valid, ['Content-Encoding: gzip']), status: 415 },
  // Framing
  { name: 'two equal Content-Length headers', request: push(valid, [length(valid)]), status: 400 },
  { name: 'two different Content-Length headers', request: push(valid, ['Content-Length: 5']), status: 400 },
  { name: 'Content-Length "n, n"', request: push(valid, [`Content-Length: ${valid.length}, ${valid.length}`], ['Content-Length']), status: 400 },
  { name: 'Content-Length -1', request: push(valid, ['Content-Length: -1'], ['Content-Length']), status: 400 },
  { name: 'Content-Length beyond the body', request: push(valid, [`Content-Length: ${valid.length + 5}`], ['Content-Length']), status: 400, end: 'write' },
  { name: 'Content-Length short of the body', request: push(valid, [`Content-Length: ${valid.length - 5}`], ['Content-Length']), status: 400 },
  { name: 'Transfer-Encoding chunked and Content-Length', request: push(valid, ['Transfer-Encoding: chunked']), status: 400 },
  { name: 'Transfer-Encoding: gzip', request: push(valid, ['Transfer-Encoding: gzip'], ['Content-Length']), status: 400 },
  { name: 'a chunk size beyond 2^64', request: push('fffffffffffffffffff\r\nabc\r\n0\r\n\r\n', ['Transfer-Encoding: chunked'], ['Content-Length']), status: 400 },
  // Headers
  { name: 'two Authorization headers, the valid one first', request: push(valid, ['Authorization: Bearer 0']), status: 400 },
  { name: 'two Content-Type headers, JSON first', request: push(valid, ['Content-Type: text/plain']), status: 400 },
  { name: 'two Host headers', request: push(valid, ['Host: evil.example']), status: 400 },
  { name: 'no Host (HTTP/1.1)', request: push(valid, [], ['Host']), status: 400 },
  { name: 'a 70 KB header', request: push(valid, [`X-Big: ${'a'.repeat(70_000)}`]), status: 431 },
  { name: '3000 headers', request: push(valid, Array.from({ length: 3000 }, (_, i) => `X-${i}: a`)), status: 431 },
  { name: 'Authorization folded over two lines', request: push(valid, ['Authorization: Bearer', ` ${token}`], ['Authorization']), status: 400 },
  { name: 'NUL in a header value', request: push(valid, ['X-A: a\u0000b']), status: 400 },
  { name: 'vertical tab after Bearer', request: auth(`Bearer\u000b${token}`), status: 400 },
  { name: 'no-break space after Bearer', request: httpRequest([POST, HOST, `Authorization: Bearer\u00a0${token}`, JSON_TYPE, length(valid)], valid), status: 401 },
  { name: '"Bearer<token>" without a space', request: auth(`Bearer${token}`), status: 401 },
  { name: 'token followed by junk', request: auth(`Bearer ${token} x`), status: 401 },
  { name: 'token in upper case', request: auth(`Bearer ${token.toUpperCase()}`), status: 401 },
  { name: 'the read token', request: auth(`Bearer ${READ_TOKEN}`), status: 401 },
  { name: 'Basic scheme', request: auth(`Basic ${btoa(`x:${token}`)}`), status: 401 },
  { name: 'a token of another scope', request: auth(`Bearer ${pushToken(HMAC_KEY, { ...README_SCOPE, job: 'other' })}`), status: 401 },
  // Request line and path
  { name: 'garbage request line', request: 'GARBAGE\r\n\r\n', status: 400 },
  { name: 'HTTP/0.9 request', request: 'GET /\r\n', status: 400, end: 'write' },
  { name: 'HTTP/2 preface', request: 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', status: 400 },
  { name: 'PUT on the ingest path', request: httpRequest(['PUT /api/v1/metrics HTTP/1.1', HOST, AUTH, JSON_TYPE, length(valid)], valid), status: 404 },
  { name: 'a "../" path', request: httpRequest(['POST /api/v1/x/../metrics HTTP/1.1', HOST, AUTH, JSON_TYPE, length(valid)], valid), status: 404 },
  { name: 'bad %-encoding in a query path', request: httpRequest(['GET /api/v1/metrics/repo/%ff/%zz/w/j HTTP/1.1', HOST, `Authorization: Bearer ${READ_TOKEN}`]), status: 400 },
];

for (const kind of STORE_KINDS) {
  describe(`receiver and hostile input (${kind})`, { skip: kind === 'postgres' && PG_SKIP }, () => {
    test(`${CASES.length} hostile requests: each gets its 4xx, none stores a row, the process stays up and then stores a valid push`, async (t) => {
      const store = await testStoreConfig(t, kind);
      const receiver = await startReceiverProcess(t, store);
      for (const c of CASES) {
        const res = await rawRequest(receiver.port, c.request, { end: c.end ?? 'response' });
        assert.deepEqual(res.statuses.filter((s) => s !== 100), [c.status], `${c.name}: ${res.text.slice(0, 300)}`);
        assert.ok(res.closedByServer || /^\r?\n?HTTP\/1\.1 [45]/.test(res.text), c.name);
      }
      assert.equal(receiver.child.exitCode, null, `the receiver died: ${receiver.log()}`);
      assert.deepEqual(await storedRows(store), [], 'a hostile request stored a row');
      assert.deepEqual((await rawRequest(receiver.port, push(valid))).statuses, [201]);
      assert.equal((await fetch(`${receiver.url}/healthz`)).status, 200);
    });

    test('property: byte-mutated pushes and random bytes get a 4xx, or a 2xx only when stored exactly as sent', async (t) => {
      const store = await testStoreConfig(t, kind);
      const receiver = await startReceiverProcess(t, store);
      const base = Buffer.from(JSON.stringify(pushBody(README_SCOPE, { run_id: 'fuzz',
        summary: { n: 1, f: 2.5, s: 'ünï ✓', list: [1, null, true], nested: { deep: { x: -1e-7 } } } })));
      const interesting = fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(0x00, 0x22, 0x5c, 0x7b, 0x7d, 0x5b, 0x80, 0xc0, 0xe9, 0xed, 0xff));
      const edit = fc.tuple(fc.constantFrom('set', 'insert', 'delete', 'cut'), fc.nat(), interesting);
      const edits = fc.oneof({ arbitrary: fc.constant([]), weight: 2 }, { arbitrary: fc.array(edit, { minLength: 1, maxLength: 3 }), weight: 3 });
      const body = edits.map((edits) => {
        let b = Buffer.from(base);
        for (const [op, at, byte] of edits) {
          const i = at % (b.length + 1);
          if (op === 'set' && i < b.length) b[i] = byte;
          else if (op === 'insert') b = Buffer.concat([b.subarray(0, i), Buffer.of(byte), b.subarray(i)]);
          else if (op === 'delete') b = Buffer.concat([b.subarray(0, i), b.subarray(i + 1)]);
          else if (op === 'cut') b = b.subarray(0, i);
        }
        return b;
      });
      // Framing and header variants; the oracle below does not need to know which of them the server accepts.
      const framing = fc.constantFrom('exact', 'exact', 'chunked', 'short', 'long');
      const tricks = fc.subarray(['Authorization: bearer', 'Authorization: Bearer\t', `${JSON_TYPE}; charset=UTF-8`, `${JSON_TYPE}; charset=latin1`,
        'Content-Encoding: identity', 'X-Forwarded-For: 127.0.0.1', 'Connection: keep-alive', 'Expect: 100-continue']);
      const request = fc.tuple(body, framing, tricks).map(([b, frame, extra]) => {
        const headers = [HOST, AUTH, JSON_TYPE];
        for (const x of extra) {
          const name = x.slice(0, x.indexOf(':'));
          const i = headers.findIndex((h) => h.startsWith(`${name}:`));
          const line = x.startsWith('Authorization') ? `${x} ${token}` : x;
          if (i >= 0) headers[i] = line; else headers.push(line);
        }
        if (frame === 'chunked') return { framed: b, end: 'response' as const, bytes: httpRequest([POST, ...headers, 'Transfer-Encoding: chunked'],
          b.length === 0 ? '0\r\n\r\n' : Buffer.concat([Buffer.from(`${b.length.toString(16)}\r\n`), b, Buffer.from('\r\n0\r\n\r\n')])) };
        const declared = frame === 'short' ? Math.max(0, b.length - 1) : frame === 'long' ? b.length + 1 : b.length;
        // A body one byte short of its Content-Length can only end at EOF: half-close at once rather than wait.
        return { framed: b.subarray(0, declared), end: frame === 'long' ? 'write' as const : 'response' as const,
          bytes: httpRequest([POST, ...headers, `Content-Length: ${declared}`], b) };
      });
      const garbage = fc.uint8Array({ minLength: 1, maxLength: 300 }).map((a) => ({ framed: undefined, end: 'write' as const, bytes: Buffer.from(a) }));

      let stored = 0, accepted = 0, rejected = 0;
      await fc.assert(fc.asyncProperty(fc.oneof({ arbitrary: request, weight: 3 }, { arbitrary: garbage, weight: 1 }), async ({ framed, end, bytes }) => {
        const res = await rawRequest(receiver.port, bytes, { end });
        assert.ok(res.closedByServer, 'the server left the connection open after EOF');
        const statuses = res.statuses.filter((s) => s !== 100);
        assert.ok(statuses.every((s) => (s >= 200 && s < 300) || (s >= 400 && s < 500)), `statuses ${statuses.join(',')}`);
        const ok = statuses.filter((s) => s < 300).length;
        const rows = await storedRows(store);
        assert.equal(rows.length, stored + ok, `${ok} answered 2xx, ${rows.length - stored} new rows`);
        if (ok > 0) {
          assert.ok(framed !== undefined && isUtf8(framed), 'a 2xx for a body that is not UTF-8');
          const sent = JSON.parse(framed.toString('utf8')) as { run_id: string; summary: unknown };
          assert.deepEqual([rows.at(-1)?.runId, JSON.parse(rows.at(-1)?.payload ?? 'null')], [sent.run_id, sent.summary]);
          accepted++;
        } else rejected++;
        stored = rows.length;
      }), { numRuns: RUNS });
      assert.ok(accepted >= 5 && rejected >= 50, `too one-sided to test both answers: ${accepted} stored, ${rejected} rejected`);
      assert.equal(receiver.child.exitCode, null, `the receiver died: ${receiver.log()}`);
      t.diagnostic(`${kind}: ${RUNS} requests over sockets: ${accepted} stored exactly as sent, ${rejected} rejected with a 4xx`);
    });
  });
}

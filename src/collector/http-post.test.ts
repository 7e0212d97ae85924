import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { httpPost, type PostInit } from './http-post.ts';
import { pushSummary } from './push.ts';
import type { PushBody } from '../summary/types.ts';

type Seen = { method: string | undefined; headers: IncomingMessage['headers']; body: string };

/** A server on 127.0.0.1 port 0 answering with `handler`; records what each request carried. */
async function serve(t: { after: (fn: () => void) => void }, handler: (req: IncomingMessage, res: ServerResponse, n: number) => void) {
  const seen: Seen[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ method: req.method, headers: req.headers, body: Buffer.concat(chunks).toString() });
      handler(req, res, seen.length);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => { server.closeAllConnections(); server.close(); });
  return { url: new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/metrics`), seen };
}

const init = (signal = AbortSignal.timeout(5000)): PostInit =>
  ({ method: 'POST', body: '{"a":"é"}', headers: { 'content-type': 'application/json', authorization: 'Bearer tok' }, signal });

describe('httpPost', () => {
  test('posts the body with its headers and a byte length; answers status, headers and text', async (t) => {
    const { url, seen } = await serve(t, (_req, res) => res.writeHead(201, { 'x-id': '7' }).end('{"id":7}'));
    const res = await httpPost(url, init());
    assert.deepEqual([res.ok, res.status, res.headers.get('X-Id'), res.headers.get('missing'), await res.text()], [true, 201, '7', null, '{"id":7}']);
    assert.equal(seen[0]!.method, 'POST');
    assert.equal(seen[0]!.body, '{"a":"é"}');
    assert.equal(seen[0]!.headers['content-length'], String(Buffer.byteLength('{"a":"é"}')));
    assert.equal(seen[0]!.headers.authorization, 'Bearer tok');
  });

  test('a refused connection rejects as fetch does: TypeError with the socket error as cause', async (t) => {
    const { url } = await serve(t, () => {});
    const closed = createServer();
    closed.listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const port = (closed.address() as AddressInfo).port;
    closed.close();
    await once(closed, 'close');
    url.port = String(port);
    await assert.rejects(httpPost(url, init()), (err: Error & { cause?: { code?: string } }) =>
      err instanceof TypeError && err.cause?.code === 'ECONNREFUSED');
  });

  test('a server that never answers: rejects with the signal\'s TimeoutError', async (t) => {
    const { url } = await serve(t, () => { /* never answers */ });
    await assert.rejects(httpPost(url, init(AbortSignal.timeout(100))), { name: 'TimeoutError' });
  });

  test('an answer cut off mid-body rejects text() as a transport error', async (t) => {
    const { url } = await serve(t, (req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('partial');
      setImmediate(() => req.socket.destroy());
    });
    const res = await httpPost(url, init());
    await assert.rejects(res.text(), (err: Error) => err instanceof TypeError && 'cause' in err);
  });

  test('a redirect is the answer, not followed: the token goes nowhere else', async (t) => {
    const other = await serve(t, (_req, res) => res.writeHead(201).end());
    const { url } = await serve(t, (_req, res) => res.writeHead(308, { location: other.url.href }).end());
    const res = await httpPost(url, init());
    assert.equal(res.status, 308);
    assert.equal(other.seen.length, 0);
  });
});

describe('pushSummary over httpPost (the default)', () => {
  const body = { organization: 'o', repository: 'o/r', workflow: 'w', job: 'j', run_id: '1', execution_id: 'e', summary: {} } as unknown as PushBody;
  const log = pino({ level: 'silent' });

  test('retries a 503 and a 429 with Retry-After, then lands; every attempt carries the same body', async (t) => {
    const { url, seen } = await serve(t, (_req, res, n) => {
      if (n === 1) res.writeHead(503).end('{"error":"busy"}');
      else if (n === 2) res.writeHead(429, { 'retry-after': '0' }).end();
      else res.writeHead(201).end('{"id":1}');
    });
    const r = await pushSummary(body, { endpoint: url, token: 'tok', timeoutMs: 5000, log, baseDelayMs: 1 });
    assert.deepEqual(r, { status: 201, attempts: 3 });
    assert.deepEqual(seen.map((s) => JSON.parse(s.body) as unknown), [body, body, body]);
  });

  test('a redirect is refused with the address to configure instead', async (t) => {
    const { url } = await serve(t, (_req, res) => res.writeHead(308, { location: 'https://receiver.example/api/v1/metrics' }).end());
    await assert.rejects(pushSummary(body, { endpoint: url, token: 'tok', timeoutMs: 1000, log }),
      { name: 'PushError', message: /308 .*redirected to https:\/\/receiver\.example\/api\/v1\/metrics/ });
  });
});

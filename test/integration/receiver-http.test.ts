// The receiver over real sockets, on both stores: the README token flow, every error status,
// scope checks, %2F and bare-name look-ups, pagination and idempotent retries (issue 4).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Scope } from '../../src/receiver/store/types.ts';
import {
  call, captureLogger, fakeClock, HMAC_KEY, mint, postgresSkip, pushBody, queryUrl, READ_TOKEN, README_SCOPE,
  startTestReceiver, STORE_KINDS, testStoreConfig,
} from '../support/receiver.ts';

const PG_SKIP = await postgresSkip();
const RESPONSE_KEYS = ['id', 'organization', 'repository', 'workflow', 'job', 'run_id', 'received_at', 'payload'];

for (const kind of STORE_KINDS) {
  describe(`receiver http (${kind})`, { skip: kind === 'postgres' && PG_SKIP, concurrency: true }, () => {
    test('README token flow: mint with the read token, push with the push token, read it back', async (t) => {
      const receiver = await startTestReceiver(t, await testStoreConfig(t, kind));
      const token = await mint(receiver, README_SCOPE);
      assert.match(token, /^[0-9a-f]{64}$/);
      const summary = { duration_seconds: 20, sample_count: 11, containers: [{ name: 'runner', cpu_cores: { peak: 2.007 } }] };
      const pushed = await call(`${receiver.url}/api/v1/metrics`, { token, body: pushBody(README_SCOPE, { run_id: 'run-123', summary }) });
      assert.equal(pushed.status, 201);
      const got = await call(queryUrl(receiver, README_SCOPE), { token: READ_TOKEN });
      assert.equal(got.status, 200);
      const rows = got.json as Record<string, unknown>[];
      assert.equal(rows.length, 1);
      assert.deepEqual(Object.keys(rows[0] ?? {}), RESPONSE_KEYS);
      assert.deepEqual(rows[0], { id: (pushed.json as { id: number }).id, ...README_SCOPE, run_id: 'run-123',
        received_at: rows[0]?.received_at, payload: summary });
      assert.match(String(rows[0]?.received_at), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    });

    test('query: each payload comes back as the bytes pushed, its key order, spacing and number forms kept', async (t) => {
      // PostgreSQL kept payloads as jsonb until migration 4, and printed them with its own key order and spacing.
      const receiver = await startTestReceiver(t, await testStoreConfig(t, kind));
      const token = await mint(receiver, README_SCOPE);
      const summaries = [
        { sample_count: 3, a_long_key_first: [1.5, -2e-7, null, true], n: 12025908429, big: 1e21, z: { y: 2, x: 1 } },
        { name: 'ünïcødé ✓ "q" \\ \n \u2028 𝄞', duration_seconds: 600.25, containers: [], '': 0 },
      ];
      const texts = summaries.map((summary) => JSON.stringify(summary));
      const ids: number[] = [];
      for (const [i, summary] of summaries.entries()) {
        const raw = JSON.stringify(pushBody(README_SCOPE, { run_id: `run-${i}`, summary }));
        assert.ok(raw.includes(`"summary":${texts[i]!}}`), 'the push carries the summary as this text');
        const pushed = await call(`${receiver.url}/api/v1/metrics`, { token, raw });
        assert.equal(pushed.status, 201);
        ids.push((pushed.json as { id: number }).id);
      }
      const res = await fetch(queryUrl(receiver, README_SCOPE), { headers: { authorization: `Bearer ${READ_TOKEN}` } });
      assert.equal(res.status, 200);
      const body = await res.text();
      const times = (JSON.parse(body) as { received_at: string }[]).map((r) => r.received_at);
      assert.equal(body, `[${[1, 0].map((i, k) => `{"id":${ids[i]!},"organization":"my-org","repository":"my-org/my-repo","workflow":"ci.yml",` +
        `"job":"build","run_id":"run-${i}","received_at":"${times[k]!}","payload":${texts[i]!}}`).join(',')}]`);
    });

    test('lookup: my-org%2Fmy-repo finds the stored my-org/my-repo; bare my-repo finds it and bare-named pushes', async (t) => {
      const receiver = await startTestReceiver(t, await testStoreConfig(t, kind));
      const bareScope = { ...README_SCOPE, repository: 'my-repo' };
      for (const scope of [README_SCOPE, bareScope]) {
        const r = await call(`${receiver.url}/api/v1/metrics`, { token: await mint(receiver, scope), body: pushBody(scope) });
        assert.equal(r.status, 201);
      }
      const repos = async (path: string) => ((await call(`${receiver.url}/api/v1/metrics/repo/${path}`, { token: READ_TOKEN })).json as
        { repository: string }[]).map((r) => r.repository).sort();
      assert.deepEqual(await repos('my-org/my-org%2Fmy-repo/ci.yml/build'), ['my-org/my-repo']);
      assert.deepEqual(await repos('my-org/my-org%2fmy-repo/ci.yml/build'), ['my-org/my-repo']);
      assert.deepEqual(await repos('my-org/my-repo/ci.yml/build'), ['my-org/my-repo', 'my-repo']);
      assert.deepEqual(await repos('other-org/my-repo/ci.yml/build'), []);
      assert.equal((await call(`${receiver.url}/api/v1/metrics/repo/my-org/my-org/my-repo/ci.yml/build`, { token: READ_TOKEN })).status, 404);
    });

    test('errors: every failure is JSON {"error"} with its status, and none stores a row', async (t) => {
      const receiver = await startTestReceiver(t, await testStoreConfig(t, kind));
      const token = await mint(receiver, README_SCOPE);
      const push = `${receiver.url}/api/v1/metrics`;
      const body = pushBody(README_SCOPE);
      const cases: { name: string; url?: string; c: Parameters<typeof call>[1]; status: number; error: RegExp }[] = [
        { name: 'push without a token', c: { body }, status: 401, error: /^missing bearer token$/ },
        { name: 'push with a wrong token', c: { token: 'f'.repeat(64), body }, status: 401, error: /^invalid token$/ },
        { name: 'push with the read token', c: { token: READ_TOKEN, body }, status: 401, error: /^invalid token$/ },
        { name: 'push with a Basic header', c: { authorization: `Basic ${btoa('u:p')}`, body }, status: 401, error: /missing bearer token/ },
        { name: 'push with "Bearer" and no token', c: { authorization: 'Bearer ', body }, status: 401, error: /missing bearer token/ },
        { name: 'run_id is a number', c: { token, body: { ...body, run_id: 5 } }, status: 400, error: /^body\.run_id: must be string$/ },
        { name: 'summary missing', c: { token, body: { ...body, summary: undefined } }, status: 400, error: /^body\.summary: required$/ },
        { name: 'summary is an array', c: { token, body: { ...body, summary: [] } }, status: 400, error: /^body\.summary: must be object$/ },
        { name: 'empty organization', c: { token, body: { ...body, organization: '' } }, status: 400, error: /^body\.organization: / },
        { name: 'repository too long', c: { token, body: { ...body, repository: 'r'.repeat(513) } }, status: 400, error: /^body\.repository: / },
        { name: 'unknown envelope field', c: { token, body: { ...body, extra: 1 } }, status: 400, error: /^body\.extra: unknown field$/ },
        { name: 'control character in job', c: { token, body: { ...body, job: 'a\nb' } }, status: 400, error: /^body\.job: must not contain control/ },
        { name: 'NUL inside the summary', c: { token, body: { ...body, summary: { a: 'x\u0000' } } }, status: 400, error: /^body\.summary\.a: contains a NUL/ },
        { name: 'number out of range', c: { token, raw: JSON.stringify(body).replace('"sample_count":3', '"sample_count":1e400') }, status: 400, error: /^body\.summary\.sample_count: number out of range$/ },
        { name: 'malformed JSON', c: { token, raw: '{"organization":' }, status: 400, error: /not valid JSON/ },
        { name: '__proto__ in the body', c: { token, raw: '{"__proto__":{"x":1}}' }, status: 400, error: /not valid JSON/ },
        { name: 'empty JSON body', c: { token, raw: '' }, status: 400, error: /cannot be empty/ },
        { name: 'text/plain body', c: { token, raw: JSON.stringify(body), contentType: 'text/plain' }, status: 415, error: /Unsupported Media Type/ },
        { name: 'form body', c: { token, raw: 'a=1', contentType: 'application/x-www-form-urlencoded' }, status: 415, error: /Unsupported Media Type/ },
        { name: 'body over 1 MiB', c: { token, body: { ...body, summary: { pad: 'x'.repeat(1 << 20) } } }, status: 413, error: /too large/ },
        { name: 'mint without a token', url: `${receiver.url}/api/v1/token`, c: { body: README_SCOPE }, status: 401, error: /missing bearer token/ },
        { name: 'mint with a push token', url: `${receiver.url}/api/v1/token`, c: { token, body: README_SCOPE }, status: 401, error: /^invalid token$/ },
        { name: 'mint with a missing field', url: `${receiver.url}/api/v1/token`, c: { token: READ_TOKEN, body: { ...README_SCOPE, job: undefined } }, status: 400, error: /^body\.job: required$/ },
        { name: 'query with a push token', url: queryUrl(receiver, README_SCOPE), c: { token }, status: 401, error: /^invalid token$/ },
        { name: 'query without a token', url: queryUrl(receiver, README_SCOPE), c: {}, status: 401, error: /missing bearer token/ },
        { name: 'query limit 0', url: queryUrl(receiver, README_SCOPE, undefined, '?limit=0'), c: { token: READ_TOKEN }, status: 400, error: /^querystring\.limit: / },
        { name: 'query limit 1001', url: queryUrl(receiver, README_SCOPE, undefined, '?limit=1001'), c: { token: READ_TOKEN }, status: 400, error: /^querystring\.limit: / },
        { name: 'query since not RFC 3339', url: queryUrl(receiver, README_SCOPE, undefined, '?since=yesterday'), c: { token: READ_TOKEN }, status: 400, error: /^querystring\.since: / },
        { name: 'query forged cursor', url: queryUrl(receiver, README_SCOPE, undefined, '?cursor=bm9wZQ'), c: { token: READ_TOKEN }, status: 400, error: /^querystring\.cursor: / },
        { name: 'query unknown parameter', url: queryUrl(receiver, README_SCOPE, undefined, '?limt=5'), c: { token: READ_TOKEN }, status: 400, error: /^querystring\.limt: unknown field$/ },
        { name: 'unknown path', url: `${receiver.url}/api/v2/metrics`, c: { token: READ_TOKEN }, status: 404, error: /^not found$/ },
        { name: 'wrong method', url: `${receiver.url}/api/v1/token`, c: { token: READ_TOKEN, method: 'GET' }, status: 404, error: /^not found$/ },
      ];
      for (const c of cases) {
        const r = await call(c.url ?? push, c.c);
        assert.equal(r.status, c.status, `${c.name}: ${JSON.stringify(r.json)}`);
        assert.deepEqual(Object.keys(r.json as object), ['error'], c.name);
        assert.match((r.json as { error: string }).error, c.error, c.name);
        if (r.status === 401) assert.equal(r.headers.get('www-authenticate'), 'Bearer', c.name);
      }
      assert.deepEqual((await call(queryUrl(receiver, README_SCOPE, 'my-repo'), { token: READ_TOKEN })).json, []);
    });

    test('scope: a token for repo A pushing repo B\'s body gets 401 and stores nothing anywhere', async (t) => {
      const receiver = await startTestReceiver(t, await testStoreConfig(t, kind));
      const other = { ...README_SCOPE, repository: 'my-org/other-repo' };
      const r = await call(`${receiver.url}/api/v1/metrics`, { token: await mint(receiver, README_SCOPE), body: pushBody(other) });
      assert.deepEqual([r.status, r.json], [401, { error: 'invalid token' }]);
      for (const scope of [README_SCOPE, other]) assert.deepEqual((await call(queryUrl(receiver, scope), { token: READ_TOKEN })).json, []);
    });

    test('scope: two scopes a "/"-join would confuse get different tokens, and neither token pushes the other', async (t) => {
      const receiver = await startTestReceiver(t, await testStoreConfig(t, kind));
      const pairs: [Scope, Scope][] = [
        [{ organization: 'o', repository: 'a/b', workflow: 'c', job: 'd' }, { organization: 'o', repository: 'a', workflow: 'b/c', job: 'd' }],
        [{ organization: 'o/a', repository: 'b', workflow: 'c', job: 'd' }, { organization: 'o', repository: 'a/b', workflow: 'c', job: 'd' }],
        [{ organization: 'o', repository: 'r', workflow: 'w', job: 'j/k' }, { organization: 'o', repository: 'r', workflow: 'w/j', job: 'k' }],
      ];
      for (const [x, y] of pairs) {
        const [tx, ty] = [await mint(receiver, x), await mint(receiver, y)];
        assert.notEqual(tx, ty, JSON.stringify([x, y]));
        assert.equal((await call(`${receiver.url}/api/v1/metrics`, { token: tx, body: pushBody(y) })).status, 401);
        assert.equal((await call(`${receiver.url}/api/v1/metrics`, { token: ty, body: pushBody(x) })).status, 401);
      }
    });

    test('retries: the same execution_id twice is one row, the second push replacing the first (201, then 200)', async (t) => {
      const clock = fakeClock('2026-03-01T10:00:00.000Z');
      const receiver = await startTestReceiver(t, await testStoreConfig(t, kind), { now: clock.now });
      const token = await mint(receiver, README_SCOPE);
      const push = (run_id: string, complete: boolean) => call(`${receiver.url}/api/v1/metrics`,
        { token, body: pushBody(README_SCOPE, { run_id, execution_id: 'exec-7', summary: { complete } }) });
      const first = await push('run-1', false);
      clock.set('2026-03-01T10:05:00.000Z');
      const second = await push('run-1b', true);
      assert.deepEqual([first.status, second.status], [201, 200]);
      assert.deepEqual(second.json, { id: (first.json as { id: number }).id, replaced: true });
      const rows = (await call(queryUrl(receiver, README_SCOPE), { token: READ_TOKEN })).json as Record<string, unknown>[];
      assert.deepEqual(rows.map((r) => [r.id, r.run_id, r.received_at, r.payload]),
        [[(first.json as { id: number }).id, 'run-1b', '2026-03-01T10:05:00.000Z', { complete: true }]]);
    });

    test('pagination: limit pages newest first, following Link/X-Next-Cursor to the end; since/until bound it', async (t) => {
      const clock = fakeClock();
      const receiver = await startTestReceiver(t, await testStoreConfig(t, kind), { now: clock.now });
      const token = await mint(receiver, README_SCOPE);
      // Seven pushes over five instants: equal received_at values are ordered by id.
      const times = ['01', '02', '02', '03', '03', '03', '04'].map((d) => `2026-04-${d}T00:00:00.000Z`);
      const ids: number[] = [];
      for (const [i, time] of times.entries()) {
        clock.set(time);
        ids.push(((await call(`${receiver.url}/api/v1/metrics`, { token, body: pushBody(README_SCOPE, { run_id: `r${i}` }) })).json as { id: number }).id);
      }
      const newestFirst = ids.slice().reverse();
      const seen: number[] = [];
      let url: string | undefined = queryUrl(receiver, README_SCOPE, 'my-repo', '?limit=3');
      for (let pages = 0; url !== undefined; pages++) {
        assert.ok(pages < 5, 'pagination does not end');
        const r = await call(url, { token: READ_TOKEN });
        seen.push(...(r.json as { id: number }[]).map((x) => x.id));
        const link = r.headers.get('link');
        const cursor = r.headers.get('x-next-cursor');
        assert.equal(link === null, cursor === null);
        if (link !== null) assert.match(link, new RegExp(`^</api/v1/metrics/repo/my-org/my-repo/ci\\.yml/build\\?limit=3&cursor=${cursor}>; rel="next"$`));
        url = link === null ? undefined : receiver.url + (/^<([^>]+)>/.exec(link)?.[1] ?? '');
      }
      assert.deepEqual(seen, newestFirst);
      const window = await call(queryUrl(receiver, README_SCOPE, undefined,
        '?since=2026-04-02T00:00:00Z&until=2026-04-03T23:59:59.9999%2B00:00'), { token: READ_TOKEN });
      assert.deepEqual((window.json as { id: number }[]).map((r) => r.id), newestFirst.slice(1, 6));
      const exact = await call(queryUrl(receiver, README_SCOPE, undefined, '?until=2026-04-03T00:00:00Z&limit=1'), { token: READ_TOKEN });
      assert.deepEqual((exact.json as { id: number }[]).map((r) => r.id), [ids[2]]);
      assert.ok(exact.headers.get('x-next-cursor'));
    });

    test('logs: neither secret nor a minted push token appears in the log output, even on failures', async (t) => {
      const capture = captureLogger('debug');
      const receiver = await startTestReceiver(t, await testStoreConfig(t, kind), { logger: capture.logger });
      const token = await mint(receiver, README_SCOPE);
      await call(`${receiver.url}/api/v1/metrics`, { token, body: pushBody(README_SCOPE) });
      await call(`${receiver.url}/api/v1/metrics`, { token, body: pushBody({ ...README_SCOPE, job: 'other' }) });
      await call(`${receiver.url}/api/v1/metrics`, { token, raw: '{bad' });
      await call(queryUrl(receiver, README_SCOPE), { token: READ_TOKEN });
      await call(queryUrl(receiver, README_SCOPE), { token: `${READ_TOKEN}x` });
      await receiver.close();
      const text = capture.text();
      assert.match(text, /"msg":"run stored"/); // the capture did see the traffic
      for (const secret of [READ_TOKEN, HMAC_KEY, token]) assert.ok(!text.includes(secret), 'a secret reached the log');
    });

    test('healthz: 200 "ok" while the store answers', async (t) => {
      const receiver = await startTestReceiver(t, await testStoreConfig(t, kind));
      const r = await fetch(`${receiver.url}/healthz`);
      assert.deepEqual([r.status, await r.text()], [200, 'ok']);
    });
  });
}

// The receiver's life: graceful shutdown (in-flight requests finish, the grace period bounds them)
// and a store that goes away and comes back (503 with Retry-After, /healthz 503, then recovery).
import assert from 'node:assert/strict';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { describe, test } from 'node:test';
import { startReceiver } from '../../src/receiver/server.ts';
import {
  call, captureLogger, createTestSchema, mint, PG_URL, postgresSkip, pushBody, READ_TOKEN, README_SCOPE, startTestReceiver,
  testConfig, testStoreConfig,
} from '../support/receiver.ts';

const PG_SKIP = await postgresSkip();

/** Polls `check` until it returns true or the deadline passes: no fixed sleeps. */
async function until(check: () => Promise<boolean>, what: string, deadlineMs = 5_000): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('receiver lifecycle', () => {
  test('listen: ":0" binds every interface on a free port, reachable through the loopback url', async (t) => {
    const store = await testStoreConfig(t, 'sqlite');
    const receiver = await startReceiver({ ...testConfig(store), listen: { host: undefined, port: 0 } }, { logger: captureLogger().logger });
    t.after(() => receiver.close());
    assert.ok(['::', '0.0.0.0'].includes(receiver.address.address), receiver.address.address);
    assert.ok(receiver.address.port > 0);
    assert.equal(receiver.url, `http://127.0.0.1:${receiver.address.port}`);
    assert.equal((await fetch(`${receiver.url}/healthz`)).status, 200);
  });

  test('start: a port in use rejects with EADDRINUSE (main.ts then exits 1)', async (t) => {
    const first = await startTestReceiver(t, await testStoreConfig(t, 'sqlite'));
    const config = { ...testConfig(await testStoreConfig(t, 'sqlite')), listen: { host: '127.0.0.1', port: first.address.port } };
    await assert.rejects(startReceiver(config, { logger: captureLogger().logger }), { code: 'EADDRINUSE' });
  });

  test('shutdown: close() stops accepting, lets the in-flight request finish, then resolves', async (t) => {
    let entered!: () => void;
    const inHandler = new Promise<void>((r) => { entered = r; });
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    const receiver = await startTestReceiver(t, await testStoreConfig(t, 'sqlite'), {
      instrument: (app) => app.get('/test/slow', async () => { entered(); await gate; return { done: true }; }),
    });
    const slow = fetch(`${receiver.url}/test/slow`).then(async (r) => [r.status, await r.json()] as const);
    await inHandler;
    let closed = false;
    const closing = receiver.close().then(() => { closed = true; });
    await until(() => fetch(`${receiver.url}/healthz`).then(() => false, () => true), 'the listener to stop');
    assert.equal(closed, false, 'close() resolved with a request still in flight');
    const released = Date.now();
    release();
    assert.deepEqual(await slow, [200, { done: true }]);
    await closing;
    // Regression: the finished request's keep-alive socket used to hold close() for the whole grace period.
    assert.ok(Date.now() - released < 2_000, 'close() waited for the grace period after the last response');
  });

  test('shutdown: a request still running after the grace period has its connection cut', async (t) => {
    const receiver = await startTestReceiver(t, await testStoreConfig(t, 'sqlite'), {
      shutdownGraceMs: 100,
      instrument: (app) => app.get('/test/hang', () => new Promise(() => {})),
    });
    const hung = fetch(`${receiver.url}/test/hang`).then(() => 'answered', () => 'cut');
    await until(async () => (await fetch(`${receiver.url}/healthz`)).ok, 'the server to answer');
    const started = Date.now();
    await receiver.close();
    assert.equal(await hung, 'cut');
    assert.ok(Date.now() - started < 2_000, 'close() waited far past the grace period');
  });
});

/** A TCP proxy in front of PostgreSQL that the test can cut and restore. */
async function pgProxy(): Promise<{ url: string; cut(): Promise<void>; restore(): Promise<void>; stop(): Promise<void> }> {
  const target = new URL(PG_URL);
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  const start = () => new Promise<void>((resolve, reject) => {
    const s = createServer((client) => {
      const upstream = connect(Number(target.port || 5432), target.hostname);
      for (const sock of [client, upstream]) { sockets.add(sock); sock.on('close', () => sockets.delete(sock)); sock.on('error', () => {}); }
      client.pipe(upstream).pipe(client);
    });
    s.once('error', reject);
    s.listen(port, '127.0.0.1', () => { port = (s.address() as { port: number }).port; server = s; resolve(); });
  });
  const cut = () => new Promise<void>((resolve) => {
    for (const sock of sockets) sock.destroy();
    if (server === undefined) return resolve();
    server.close(() => resolve());
    server = undefined;
  });
  await start();
  const url = new URL(PG_URL);
  url.host = `127.0.0.1:${port}`;
  return { url: url.toString(), cut, restore: start, stop: cut };
}

describe('receiver with an unreachable store', { skip: PG_SKIP }, () => {
  test('postgres gone: pushes get 503 with Retry-After and store nothing, /healthz is 503; both recover', async (t) => {
    const proxy = await pgProxy();
    t.after(() => proxy.stop());
    const receiver = await startTestReceiver(t, { kind: 'postgres', url: proxy.url, schema: await createTestSchema(t) });
    const token = await mint(receiver, README_SCOPE);
    const push = (execution_id: string) => call(`${receiver.url}/api/v1/metrics`, { token, body: pushBody(README_SCOPE, { execution_id }) });
    assert.equal((await push('before')).status, 201);

    await proxy.cut();
    const failed = await push('during');
    assert.deepEqual([failed.status, failed.json, failed.headers.get('retry-after')], [503, { error: 'store unavailable' }, '1']);
    const health = await fetch(`${receiver.url}/healthz`);
    assert.deepEqual([health.status, await health.text()], [503, 'store unavailable']);

    await proxy.restore();
    await until(async () => (await fetch(`${receiver.url}/healthz`)).status === 200, '/healthz to recover');
    assert.equal((await push('after')).status, 201);
    const rows = (await call(`${receiver.url}/api/v1/metrics/repo/my-org/my-repo/ci.yml/build`, { token: READ_TOKEN })).json;
    assert.equal((rows as unknown[]).length, 2, 'the push answered 503 must not have been stored');
  });
});

// The query route frees each page's memory once the response is handed to the kernel (routes.ts sendFreeing),
// over real sockets: pages larger than the socket buffers, so that writes complete asynchronously, many at once.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { pino } from 'pino';
import { logOptions } from '../../src/observability/log.ts';
import { buildApp } from '../../src/receiver/http/app.ts';
import { runsJson } from '../../src/receiver/store/runs-json.ts';
import { SqliteStore } from '../../src/receiver/store/sqlite.ts';
import type { RunPage, RunQuery, Store } from '../../src/receiver/store/types.ts';

const READ = 'memory-read-token';
const SCOPE = { organization: 'acme', repository: 'acme/app', workflow: 'ci.yml', job: 'build' };
const QUERY: RunQuery = { organization: SCOPE.organization, repositories: [SCOPE.repository], workflow: SCOPE.workflow, job: SCOPE.job, limit: 40 };
const PATH = `/api/v1/metrics/repo/acme/${encodeURIComponent(SCOPE.repository)}/ci.yml/build?limit=40`;

/** A receiver on 127.0.0.1 whose store hands out pages through `pages` (each one recorded), with 41 runs of `payloadBytes`. */
async function serve(t: TestContext, pages: (store: Store, q: RunQuery) => Promise<RunPage>, payloadBytes = 60_000) {
  const dir = mkdtempSync(join(tmpdir(), 'rrc-query-memory-'));
  const store = new SqliteStore(join(dir, 'runs.db'));
  const filler = 'x'.repeat(payloadBytes);
  for (let i = 0; i < 41; i++) {
    await store.put({ ...SCOPE, run_id: `r${i}`, execution_id: `e${i}`, payload: JSON.stringify({ i, filler }) },
      new Date(Date.UTC(2026, 0, 1, 0, i)));
  }
  const sent: Uint8Array[] = [];
  const recording = Object.create(store, { queryPage: { value: async (q: RunQuery) => {
    const page = await pages(store, q);
    sent.push(page.body);
    return page;
  } } }) as Store;
  const app = buildApp({ store: recording, readToken: READ, hmacKey: 'k', now: () => new Date(), logger: pino(logOptions('error'), { write() {} }) });
  await app.listen({ host: '127.0.0.1', port: 0 });
  t.after(async () => { await app.close(); await store.close(); rmSync(dir, { recursive: true, force: true }); });
  const expected = runsJson((await store.queryJson({ ...QUERY, limit: 40 })));
  return { port: (app.server.address() as AddressInfo).port, sent, expected };
}

/** GET PATH, reading the body slowly (a pause after the first chunk) so that the server's writes wait on the socket. */
function get(port: number): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: PATH, headers: { authorization: `Bearer ${READ}` } }, (res) => {
      const chunks: Buffer[] = [];
      res.once('data', () => { res.pause(); setTimeout(() => res.resume(), 20); });
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

test('query route: every page arrives whole, and its memory is released (detached) once sent, 8 clients at once', async (t) => {
  const { port, sent, expected } = await serve(t, (store, q) => store.queryPage(q));
  assert.ok(expected.byteLength > 2_000_000, `a page of ${expected.byteLength} B is larger than the socket buffers`);
  for (let round = 0; round < 3; round++) {
    const answers = await Promise.all(Array.from({ length: 8 }, () => get(port)));
    for (const a of answers) {
      assert.equal(a.status, 200);
      assert.ok(a.body.equals(expected), `a page of ${a.body.byteLength} B, want ${expected.byteLength}`);
    }
  }
  assert.equal(sent.length, 24);
  for (const body of sent) assert.equal((body.buffer as ArrayBuffer).detached, true);
});

test('query route: a page that is a view into a larger buffer (a pool) is sent and never detached', async (t) => {
  let pool: ArrayBuffer | undefined;
  const { port, sent, expected } = await serve(t, async (store, q) => {
    const page = await store.queryPage(q);
    pool = new ArrayBuffer(page.body.byteLength + 16);
    const view = new Uint8Array(pool, 8, page.body.byteLength);
    view.set(page.body);
    return { ...page, body: view };
  });
  const a = await get(port);
  assert.equal(a.status, 200);
  assert.ok(a.body.equals(expected));
  assert.equal(sent.length, 1);
  assert.equal(pool?.detached, false);
});

test('query route: a page is not released while the client has not taken it (the write is still pending)', async (t) => {
  const { port, sent, expected } = await serve(t, (store, q) => store.queryPage(q), 200_000);
  // A client that sends the request and reads nothing: the kernel takes a few hundred KB of the 8 MB page, the
  // rest waits in the server, so the response cannot finish until the client reads.
  const socket = connect(port, '127.0.0.1');
  socket.pause();
  socket.write(`GET ${PATH} HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer ${READ}\r\nconnection: close\r\n\r\n`);
  for (let i = 0; i < 50 && sent.length === 0; i++) await sleep(20);
  assert.equal(sent.length, 1, 'the request reached the store');
  await sleep(300);
  assert.equal((sent[0]?.buffer as ArrayBuffer).detached, false, 'released before the response finished');
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  socket.resume();
  await new Promise((resolve) => socket.on('end', resolve));
  const raw = Buffer.concat(chunks);
  const body = raw.subarray(raw.indexOf('\r\n\r\n') + 4);
  assert.ok(body.equals(expected), `a page of ${body.byteLength} B, want ${expected.byteLength}`);
  for (let i = 0; i < 50 && !(sent[0]?.buffer as ArrayBuffer).detached; i++) await sleep(10);
  assert.equal((sent[0]?.buffer as ArrayBuffer).detached, true, 'released once sent');
});

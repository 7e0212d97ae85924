// Issue 7, receiver under load: hundreds of collectors pushing at once are all stored, none twice (both stores);
// clients that trickle their headers, or send nothing, are cut off by the headers timeout and do not hold up the
// others. bin/receiver runs as a child process, so that its event loop is not the test's.
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { describe, test, type TestContext } from 'node:test';
import { pushToken } from '../../src/receiver/token.ts';
import { checkLedger, is2xx, Ledger, pushOnce } from '../support/push-load.ts';
import { startReceiverProcess, storedRows } from '../support/receiver-process.ts';
import { HMAC_KEY, postgresSkip, pushBody, README_SCOPE, STORE_KINDS, testStoreConfig } from '../support/receiver.ts';

const PG_SKIP = await postgresSkip();
const token = pushToken(HMAC_KEY, README_SCOPE);

for (const kind of STORE_KINDS) {
  describe(`receiver under load (${kind})`, { skip: kind === 'postgres' && PG_SKIP }, () => {
    test('300 collectors pushing at once, 30 of them twice at the same moment (a retry race): 300 rows, none twice', async (t) => {
      const store = await testStoreConfig(t, kind);
      const receiver = await startReceiverProcess(t, store);
      const ledger = new Ledger();
      const executions = Array.from({ length: 300 }, (_, i) => `load-${i}`);
      const raced = executions.slice(0, 30);
      const started = performance.now();
      await Promise.all([...executions, ...raced].map((e) => pushOnce(receiver.url, token, README_SCOPE, ledger, e)));
      const wallMs = performance.now() - started;

      assert.deepEqual(ledger.attempts.filter((a) => !is2xx(a.outcome)).map((a) => a.outcome), [], 'pushes that were not stored');
      const statuses = (e: string) => ledger.attempts.filter((a) => a.executionId === e).map((a) => 'status' in a.outcome && a.outcome.status).sort();
      for (const e of raced) assert.deepEqual(statuses(e), [200, 201], `${e}: one push inserts, the other replaces`);
      const result = checkLedger(ledger, await storedRows(store));
      assert.deepEqual([result.rows, result.executions], [300, 300]);
      t.diagnostic(`${kind}: ${ledger.attempts.length} concurrent pushes in ${Math.round(wallMs)} ms, ${result.rows} rows, ` +
        `latency p50 ${ledger.percentile(50).toFixed(0)} ms, p99 ${ledger.percentile(99).toFixed(0)} ms, max ${ledger.percentile(100).toFixed(0)} ms`);
    });
  });
}

/** A connection that sends `slowly` one byte every `everyMs`, and records when the server closes it and its status, if any. */
function trickle(t: TestContext, port: number, slowly: string, everyMs: number) {
  const socket: Socket = connect(port, '127.0.0.1');
  const opened = performance.now();
  let received = '';
  let sent = 0;
  const timer = setInterval(() => {
    if (sent < slowly.length && socket.writable) socket.write(slowly[sent++]!);
  }, everyMs);
  socket.on('data', (d: Buffer) => { received += d.toString('latin1'); });
  socket.on('error', () => {});
  const closed = new Promise<{ afterMs: number; status: number | undefined }>((resolve) => socket.on('close', () => {
    clearInterval(timer);
    resolve({ afterMs: performance.now() - opened, status: Number(/^HTTP\/1\.1 (\d{3})/.exec(received)?.[1]) || undefined });
  }));
  t.after(() => { clearInterval(timer); socket.destroy(); });
  return closed;
}

describe('receiver and slow clients', () => {
  test('100 clients trickling headers get 408 within 5-7 s, 5 silent ones are closed within 7 s; 200 pushes alongside ' +
    'are answered promptly (p99 < 1 s)', async (t) => {
    const store = await testStoreConfig(t, 'sqlite');
    const receiver = await startReceiverProcess(t, store);
    const body = JSON.stringify(pushBody(README_SCOPE, { run_id: 'slow' }));
    const head = `POST /api/v1/metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\n` +
      `X-Padding: ${'p'.repeat(200)}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`;
    const slowHeaders = Array.from({ length: 100 }, () => trickle(t, receiver.port, head, 500)); // ~200 s at that pace
    const silent = Array.from({ length: 5 }, () => trickle(t, receiver.port, '', 1_000));

    // Normal traffic while the slow ones hold their connections: 20 rounds of 10 concurrent pushes, spread over ~4 s.
    const ledger = new Ledger();
    for (let round = 0; round < 20; round++) {
      const started = performance.now();
      await Promise.all(Array.from({ length: 10 }, (_, i) => pushOnce(receiver.url, token, README_SCOPE, ledger, `normal-${round}-${i}`)));
      await new Promise((r) => setTimeout(r, Math.max(0, 200 - (performance.now() - started)))); // pacing, not waiting for a condition
    }
    assert.equal(ledger.count(is2xx), 200, 'every normal push is stored');
    assert.ok(ledger.percentile(99) < 1_000, `normal pushes slowed down: p99 ${ledger.percentile(99)} ms`);

    const headersCut = await Promise.all(slowHeaders);
    for (const c of headersCut) {
      assert.equal(c.status, 408);
      assert.ok(c.afterMs >= 4_900 && c.afterMs < 7_000, `a slow-header connection closed after ${Math.round(c.afterMs)} ms`);
    }
    const silentCut = await Promise.all(silent);
    for (const c of silentCut) assert.ok(c.afterMs < 7_000, `a silent connection closed after ${Math.round(c.afterMs)} ms`);
    assert.equal(checkLedger(ledger, await storedRows(store)).rows, 200, 'no slow client stored anything');
    const range = (cs: { afterMs: number }[]) => `${Math.round(Math.min(...cs.map((c) => c.afterMs)))}-${Math.round(Math.max(...cs.map((c) => c.afterMs)))} ms`;
    t.diagnostic(`slow headers cut after ${range(headersCut)}, silent after ${range(silentCut)}; ` +
      `200 normal pushes alongside: p50 ${ledger.percentile(50).toFixed(0)} ms, p99 ${ledger.percentile(99).toFixed(0)} ms`);
  });
});

// Issue 7, receiver with a store that is briefly unreachable: pushes get 503 with Retry-After (which collectors
// retry), never a 2xx for a write that did not happen, and the retries leave one row per execution. PostgreSQL is
// reached through a TCP proxy that the test cuts (connections reset, then refused) or stalls (bytes held, as a
// network dropping packets); SQLite is locked by another process's write transaction past its busy timeout.
import assert from 'node:assert/strict';
import { DatabaseSync } from 'node:sqlite';
import { describe, test } from 'node:test';
import { pushToken } from '../../src/receiver/token.ts';
import { checkLedger, is2xx, Ledger, pushOnce, runPushers, type Attempt, type Outcome } from '../support/push-load.ts';
import { waitFor } from '../support/programs.ts';
import { startReceiverProcess, storedRows } from '../support/receiver-process.ts';
import { createTestSchema, HMAC_KEY, PG_URL, postgresSkip, README_SCOPE, testStoreConfig } from '../support/receiver.ts';
import { startTcpProxy } from '../support/tcp-proxy.ts';

const PG_SKIP = await postgresSkip();
const token = pushToken(HMAC_KEY, README_SCOPE);
const UNAVAILABLE: Outcome = { status: 503, retryAfter: '1' };
const is503 = (o: Outcome) => 'status' in o && o.status === 503;

/** Retries, once each, every execution whose last attempt failed; all must now be stored (2xx). */
async function retryFailed(url: string, ledger: Ledger): Promise<Attempt[]> {
  const failed = [...ledger.byExecution()].filter(([, as]) => !is2xx(as.at(-1)!.outcome)).map(([e]) => e);
  const retries = await Promise.all(failed.map((e) => pushOnce(url, token, README_SCOPE, ledger, e)));
  assert.deepEqual(retries.filter((a) => !is2xx(a.outcome)).map((a) => a.outcome), [], 'retries once the store is back');
  return retries;
}

describe('receiver with PostgreSQL unreachable', { skip: PG_SKIP }, () => {
  async function proxied(t: Parameters<typeof createTestSchema>[0]) {
    const target = new URL(PG_URL);
    const proxy = await startTcpProxy(target.hostname, Number(target.port || 5432));
    t.after(() => proxy.stop());
    const url = new URL(PG_URL);
    url.host = `127.0.0.1:${proxy.port}`;
    const store = { kind: 'postgres' as const, url: url.toString(), schema: await createTestSchema(t) };
    return { proxy, store, receiver: await startReceiverProcess(t, store) };
  }

  test('connections cut under 8 pushers: each push is 2xx and stored, or 503 with Retry-After; retried, one row each', async (t) => {
    const { proxy, store, receiver } = await proxied(t);
    const ledger = new Ledger();
    let phase: 'up' | 'cut' | 'restored' = 'up';
    let acks = 0, unavailable = 0, acksAfter = 0;
    await runPushers({ url: receiver.url, token, scope: README_SCOPE, ledger, prefix: 'cut', pushers: 8, maxPushes: 300,
      stop: () => acksAfter >= 100,
      onAttempt: (a) => {
        if (phase === 'up' && is2xx(a.outcome) && ++acks === 100) { phase = 'cut'; void proxy.cut(); }
        else if (phase === 'cut' && is503(a.outcome) && ++unavailable === 40) { phase = 'restored'; void proxy.restore(); }
        else if (phase === 'restored' && is2xx(a.outcome)) acksAfter++;
      } });
    assert.equal(phase, 'restored', `the store never became unavailable: ${receiver.log()}`);
    const odd = ledger.attempts.filter((a) => !is2xx(a.outcome) && !is503(a.outcome));
    assert.deepEqual(odd.map((a) => a.outcome), [], 'neither a 500 nor a dropped connection: the receiver stays up');
    assert.ok(ledger.attempts.filter((a) => is503(a.outcome)).every((a) => JSON.stringify(a.outcome) === JSON.stringify(UNAVAILABLE)));
    const during = checkLedger(ledger, await storedRows(store));
    await retryFailed(receiver.url, ledger);
    const after = checkLedger(ledger, await storedRows(store));
    assert.equal(after.rows, after.executions);
    t.diagnostic(`${ledger.attempts.length} pushes: ${ledger.count(is2xx)} 2xx, ${ledger.count(is503)} 503 ` +
      `(${during.unansweredStored} of the failed executions had been written anyway), ${after.rows} rows for ${after.executions} execution_ids`);
  });

  test('network stalled: pushes get 503 within 5-8 s, not a hang; their writes, delivered late, do not undo the retries', async (t) => {
    const { proxy, store, receiver } = await proxied(t);
    const ledger = new Ledger();
    const executions = Array.from({ length: 5 }, (_, i) => `stalled-${i}`);
    const pushAll = () => Promise.all(executions.map((e) => pushOnce(receiver.url, token, README_SCOPE, ledger, e)));
    assert.ok((await pushAll()).every((a) => is2xx(a.outcome))); // five pooled connections, idle
    proxy.stall();
    const stalled = await pushAll(); // each INSERT is sent on a pooled connection and held by the network
    assert.deepEqual(stalled.map((a) => a.outcome), stalled.map(() => UNAVAILABLE));
    for (const a of stalled) assert.ok(a.latencyMs >= 4_900 && a.latencyMs < 8_000, `503 after ${Math.round(a.latencyMs)} ms`);

    // The network heals; the held INSERTs arrive 1.5 s late (retransmission backoff), after the collectors' retries.
    await proxy.restore(1_500);
    assert.deepEqual((await retryFailed(receiver.url, ledger)).map((a) => a.outcome), executions.map(() => ({ status: 200, retryAfter: null })));
    await waitFor('the held writes to be delivered', () => (proxy.held() === 0 ? true : undefined));
    assert.equal(proxy.deliveredLate().split('INSERT INTO runs').length - 1, 5, 'the five held INSERTs reached PostgreSQL');
    const after = checkLedger(ledger, await storedRows(store)); // each row holds its retry, not the late write
    assert.equal(after.rows, 5);
    t.diagnostic(`503 after ${stalled.map((a) => Math.round(a.latencyMs)).join(', ')} ms; late writes kept out: ` +
      `${(await storedRows(store)).map((r) => r.runId).join(', ')}`);
  });
});

describe('receiver with SQLite locked by another process', () => {
  test('write lock held past busy_timeout under 8 pushers: 503 with Retry-After, no 2xx without its row; after release, ' +
    'one row each', async (t) => {
    const store = await testStoreConfig(t, 'sqlite');
    if (store.kind !== 'sqlite') throw new Error('unreachable');
    const receiver = await startReceiverProcess(t, store);
    const ledger = new Ledger();
    const locker = new DatabaseSync(store.path);
    locker.exec('PRAGMA busy_timeout = 1000'); // BEGIN IMMEDIATE waits for the receiver's write in progress, if any
    t.after(() => { if (locker.isTransaction) locker.exec('ROLLBACK'); locker.close(); });
    let phase: 'up' | 'locked' | 'released' = 'up';
    let acks = 0, unavailable = 0, acksAfter = 0, lockedAt = 0, lockedForMs = 0;
    let guard: NodeJS.Timeout | undefined;
    const release = () => {
      if (phase !== 'locked') return;
      phase = 'released';
      clearTimeout(guard);
      locker.exec('ROLLBACK');
      lockedForMs = performance.now() - lockedAt;
    };
    t.after(() => clearTimeout(guard));
    await runPushers({ url: receiver.url, token, scope: README_SCOPE, ledger, prefix: 'lock', pushers: 8, maxPushes: 300,
      stop: () => acksAfter >= 50,
      onAttempt: (a) => {
        if (phase === 'up' && is2xx(a.outcome) && ++acks === 50) {
          phase = 'locked';
          lockedAt = performance.now();
          locker.exec('BEGIN IMMEDIATE'); // another process (a backup, the sqlite3 shell) holds the write lock
          guard = setTimeout(release, 12_000); // bounds the test if 503s come slowly (each push waiting 5 s)
        } else if (phase === 'locked' && is503(a.outcome) && ++unavailable === 40) release();
        else if (phase === 'released' && is2xx(a.outcome)) acksAfter++;
      } });
    assert.equal(phase, 'released', receiver.log());
    assert.deepEqual(ledger.attempts.filter((a) => !is2xx(a.outcome) && !is503(a.outcome)).map((a) => a.outcome), []);
    assert.ok(ledger.attempts.filter((a) => is503(a.outcome)).every((a) => JSON.stringify(a.outcome) === JSON.stringify(UNAVAILABLE)));
    const during = checkLedger(ledger, await storedRows(store));
    assert.equal(during.unansweredStored, 0, 'SQLite answered 503 for a write it made');
    await retryFailed(receiver.url, ledger);
    const after = checkLedger(ledger, await storedRows(store));
    assert.equal(after.rows, after.executions);
    // Only the first write waits the whole busy_timeout; the others fail fast instead of blocking the event loop 2 s each.
    const waits = ledger.attempts.filter((a) => is503(a.outcome)).map((a) => a.latencyMs).sort((x, y) => x - y);
    assert.ok(unavailable >= 40, `only ${unavailable} pushes got their 503 in the ${Math.round(lockedForMs)} ms the lock was held`);
    t.diagnostic(`${ledger.attempts.length} pushes: ${ledger.count(is2xx)} 2xx, ${ledger.count(is503)} 503 in the ` +
      `${Math.round(lockedForMs)} ms the lock was held (503 latency median ${Math.round(waits[waits.length >> 1] ?? NaN)} ms, ` +
      `max ${Math.round(waits.at(-1) ?? NaN)} ms), ${after.rows} rows for ${after.executions} execution_ids`);
  });
});

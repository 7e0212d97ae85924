// Issue 7, receiver durability: a push answered 2xx survives kill -9 of the receiver at any moment, on both
// stores. bin/receiver runs as a child process; it is first SIGKILLed while opening and migrating a fresh store,
// then three times under 8 concurrent pushers, when a randomly chosen number of pushes has been acknowledged (the
// other pushers are then mid-request, at every stage). Each time it is restarted on the same database, which is
// held against what the pushers were told; the pushes that got no answer are retried, as a collector does, and
// each ends as exactly one row. RRC_RELIABILITY_SEED=<n> replays a run's kill moments.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import type { StoreConfig } from '../../src/receiver/store/config.ts';
import { MIGRATIONS } from '../../src/receiver/store/migrations.ts';
import { pushToken } from '../../src/receiver/token.ts';
import { answered, checkLedger, is2xx, Ledger, pushOnce, runPushers } from '../support/push-load.ts';
import { spawnReceiver, startReceiverProcess, storedRows, type ReceiverProcess } from '../support/receiver-process.ts';
import { adminQuery, HMAC_KEY, postgresSkip, README_SCOPE, STORE_KINDS, testStoreConfig } from '../support/receiver.ts';

const PG_SKIP = await postgresSkip();
const SEED = Number(process.env.RRC_RELIABILITY_SEED ?? Math.floor(Math.random() * 2 ** 31));
const ROUNDS = 3;
const PUSHERS = 8;
/** The kill comes after 1..MAX_ACKS_BEFORE_KILL acknowledged pushes of a round. */
const MAX_ACKS_BEFORE_KILL = 200;
const token = pushToken(HMAC_KEY, README_SCOPE);

/** mulberry32: a small seeded generator, so that a failing run's kill moments can be replayed. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 2 ** 32;
  };
}

for (const kind of STORE_KINDS) {
  describe(`receiver durability (${kind})`, { skip: kind === 'postgres' && PG_SKIP }, () => {
    test(`kill -9 while starting, then at ${ROUNDS} random moments under ${PUSHERS} pushers: every push answered 2xx is ` +
      'stored once after restart', async (t) => {
      const random = seeded(SEED);
      t.diagnostic(`seed ${SEED}`);
      const store = await testStoreConfig(t, kind);

      // Module loading takes most of a start; the store is opened and migrated in its last ~300 ms. Kill 0-40 ms
      // after the store is first touched (file or schema_migrations created), so that the kill lands in there.
      const starting = spawnReceiver(store);
      t.after(() => starting.kill());
      await storeTouched(store);
      await delay(Math.floor(random() * 40)); // a deliberate random moment, not a wait for a condition
      await starting.kill();
      let receiver: ReceiverProcess = await startReceiverProcess(t, store);
      assert.deepEqual(await migrationVersions(store), MIGRATIONS.map((m) => m.version), 'migrations after a kill during start');

      const ledger = new Ledger();
      const totals = { inFlightAtKill: 0, inFlightStored: 0, retried: 0 };
      const killMoments: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        const killAfter = 1 + Math.floor(random() * MAX_ACKS_BEFORE_KILL);
        const victim = receiver;
        let acks = 0;
        let killed: Promise<void> | undefined;
        await runPushers({ url: victim.url, token, scope: README_SCOPE, ledger, prefix: `r${round}`, pushers: PUSHERS,
          maxPushes: 1_000, stop: () => false, stopOnNoAnswer: true,
          onAttempt: (a) => { if (is2xx(a.outcome) && ++acks === killAfter) killed = victim.kill(); } });
        assert.ok(killed !== undefined, `round ${round}: the pushers stopped before ${killAfter} acknowledgements: ${victim.log()}`);
        await killed;
        assert.equal((await victim.exited).signal, 'SIGKILL');
        killMoments.push(killAfter);

        receiver = await startReceiverProcess(t, store); // the same database, after the crash
        const thisRound = ledger.attempts.filter((a) => a.executionId.startsWith(`r${round}-`));
        assert.deepEqual(thisRound.filter((a) => answered(a.outcome) && !is2xx(a.outcome)).map((a) => a.outcome), [],
          'a push got an error status while the receiver was up');
        const rows = await storedRows(store);
        const before = checkLedger(ledger, rows);
        const stored = new Set(rows.map((r) => r.executionId));

        // A collector retries what got no answer, with the same execution_id: 200 if the write had happened, else 201.
        const unanswered = [...ledger.byExecution()].filter(([, as]) => !answered(as.at(-1)!.outcome)).map(([e]) => e);
        totals.inFlightAtKill += unanswered.length;
        totals.inFlightStored += unanswered.filter((e) => stored.has(e)).length;
        const retries = await Promise.all(unanswered.map((e) => pushOnce(receiver.url, token, README_SCOPE, ledger, e)));
        assert.deepEqual(retries.map((a) => a.outcome),
          unanswered.map((e) => ({ status: stored.has(e) ? 200 : 201, retryAfter: null })), 'retries after the restart');
        totals.retried += retries.length;
        const after = checkLedger(ledger, await storedRows(store));
        assert.equal(after.rows, before.rows + unanswered.filter((e) => !stored.has(e)).length);
      }
      const final = checkLedger(ledger, await storedRows(store));
      assert.equal(final.rows, final.executions, 'every execution ends as one row');
      t.diagnostic(`${kind}: 1 kill while starting; ${ledger.attempts.length} pushes, ${ledger.count(is2xx)} answered 2xx, ` +
        `${killMoments.length} kills under load (after ${killMoments.join(', ')} acks), ${totals.inFlightAtKill} pushes in flight ` +
        `at a kill (${totals.inFlightStored} of them written anyway), ${totals.retried} retried; ${final.rows} rows for ` +
        `${final.executions} execution_ids: 0 lost, 0 duplicated`);
    });
  });
}

/** Resolves as soon as the receiver has created the SQLite file or the schema_migrations table (polled every ms). */
async function storeTouched(store: StoreConfig): Promise<void> {
  const touched = store.kind === 'sqlite' ? async () => existsSync(store.path)
    : async () => (await adminQuery<{ t: string | null }>('SELECT to_regclass($1) AS t', [`${store.schema}.schema_migrations`]))[0]?.t != null;
  const deadline = Date.now() + 10_000;
  while (!(await touched())) {
    if (Date.now() > deadline) throw new Error('the receiver did not open its store within 10 s');
    await delay(1);
  }
}

async function migrationVersions(store: StoreConfig): Promise<number[]> {
  const sql = 'SELECT version FROM schema_migrations ORDER BY version';
  if (store.kind === 'postgres') return (await adminQuery<{ version: number }>(sql.replace('schema_migrations', `${store.schema}.schema_migrations`))).map((r) => r.version);
  const db = new DatabaseSync(store.path, { readOnly: true });
  try { return (db.prepare(sql).all() as { version: number }[]).map((r) => r.version); } finally { db.close(); }
}

// Retention (issue 12): runs received longer ago than --retention are deleted in batches by a background pass, on
// both stores, counted in /metrics and logged once per pass; the clock is the test's.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Pruner } from '../../src/receiver/maintenance/retention.ts';
import type { Store } from '../../src/receiver/store/types.ts';
import { waitFor } from '../support/programs.ts';
import { promtoolCheck, promtoolMissing } from '../support/promtool.ts';
import { call, captureLogger, fakeClock, openTestStore, postgresSkip, startTestReceiver, STORE_KINDS, testConfig, testStoreConfig } from '../support/receiver.ts';
import { startReceiver } from '../../src/receiver/server.ts';

const PG_SKIP = await postgresSkip();
const DAY = 86_400_000;
const SCOPE = { organization: 'o', repository: 'o/r', workflow: 'w', job: 'j' };

/** Runs received 40, 31, 30 (exactly at the cut-off), 29 and 1 days before NOW, plus `extraOld` more at 50 days. */
const NOW = '2026-03-01T12:00:00.000Z';
const daysAgo = (d: number) => new Date(Date.parse(NOW) - d * DAY);
async function seed(store: Store, extraOld = 0): Promise<void> {
  for (const d of [40, 31, 30, 29, 1]) await store.put({ ...SCOPE, run_id: `${d}d`, payload: '{}' }, daysAgo(d));
  if (extraOld > 0) {
    await store.importRuns(Array.from({ length: extraOld }, (_, i) => ({ ...SCOPE, run_id: `old-${i}`, execution_id: `old-${i}`,
      payload: '{}', received_at: daysAgo(50).toISOString() })));
  }
}
const left = async (store: Store) => {
  const rows = await store.query({ organization: 'o', repositories: ['o/r'], workflow: 'w', job: 'j', limit: 1000 });
  return rows.map((r) => r.run_id).sort();
};

for (const kind of STORE_KINDS) {
  describe(`retention (${kind})`, { skip: kind === 'postgres' && PG_SKIP, concurrency: true }, () => {
    test('a pass deletes the runs older than now − retention in batches, keeps the one exactly at the cut-off, logs once', async (t) => {
      const store = await openTestStore(t, await testStoreConfig(t, kind));
      await seed(store, 5);
      const { logger, text } = captureLogger('info');
      const batches: number[] = [];
      const passes: Date[] = [];
      const pruner = new Pruner(store, { retentionMs: 30 * DAY, now: () => new Date(NOW), log: logger, batchSize: 2,
        onBatch: (n) => batches.push(n), onPass: (at) => passes.push(at) });
      t.after(() => pruner.close());
      assert.equal(await pruner.pass(), 7);
      assert.deepEqual(batches, [2, 2, 2, 1], 'batches of 2: the last one short ends the pass');
      assert.deepEqual(passes, [new Date(NOW)]);
      assert.deepEqual(await left(store), ['1d', '29d', '30d']);
      const records = text().trim().split('\n').map((l) => JSON.parse(l) as { msg: string; pruned?: number; before?: string });
      assert.deepEqual(records.filter((r) => r.msg === 'retention pass').map((r) => [r.pruned, r.before]),
        [[7, daysAgo(30).toISOString()]], 'one line per pass, with the count');
      assert.equal(await pruner.pass(), 0, 'nothing left to delete');
    });
  });
}

describe('retention in the receiver', { concurrency: true }, () => {
  test('--retention: a background pass in the receiver prunes at start; /metrics counts the runs and shows the pass time', async (t) => {
    const config = await testStoreConfig(t, 'sqlite');
    const store = await openTestStore(t, config);
    await seed(store);
    await store.close();
    const clock = fakeClock(NOW);
    const receiver = await startTestReceiver(t, config, { now: clock.now });
    // No --retention: nothing is deleted, and the counter is there at 0.
    const metric = async (url: string, name: string) =>
      Number(/^(\S+) (\S+)$/m.exec(((await call(`${url}/metrics`)).json as string).split('\n').find((l) => l.startsWith(`${name} `)) ?? '')?.[2]);
    assert.equal(await metric(receiver.url, 'receiver_runs_pruned_total'), 0);
    assert.equal(await metric(receiver.url, 'receiver_runs_stored'), 5);
    await receiver.close();

    const { logger } = captureLogger();
    const pruning = await startReceiver({ ...testConfig(config), retentionMs: 30 * DAY }, { logger, now: clock.now });
    t.after(() => pruning.close());
    await waitFor('the first pass', async () => ((await metric(pruning.url, 'receiver_runs_pruned_total')) === 2 ? true : undefined));
    assert.equal(await metric(pruning.url, 'receiver_retention_last_pass_timestamp_seconds'), Date.parse(NOW) / 1000);
    const missing = promtoolMissing();
    if (missing) t.diagnostic(missing);
    else {
      const check = promtoolCheck((await call(`${pruning.url}/metrics`)).json as string);
      assert.equal(check.status, 0, check.output);
    }
    const reopened = await openTestStore(t, config);
    assert.deepEqual(await left(reopened), ['1d', '29d', '30d']);
  });
});

// GET /api/v1/sizing/repo/... over real sockets on both stores (issue 9): CI Sizer's parameters, the confidence
// phases, the answer equal to the method on the stored runs, the backtest, and runs stored before stats existed.
import assert from 'node:assert/strict';
import { DatabaseSync } from 'node:sqlite';
import { describe, test } from 'node:test';
import { parseCpuQuantity, parseMemoryQuantity } from '../../src/cgroup/quantity.ts';
import { backtest } from '../../src/receiver/sizing/backtest.ts';
import { DEFAULT_SIZING_OPTIONS } from '../../src/receiver/sizing/method.ts';
import { sizeJob } from '../../src/receiver/sizing/recommend.ts';
import { syntheticJob } from '../../src/receiver/sizing/synthetic.ts';
import type { Scope } from '../../src/receiver/store/types.ts';
import {
  adminQuery, call, fakeClock, openTestStore, postgresSkip, READ_TOKEN, README_SCOPE, startTestReceiver, STORE_KINDS, testStoreConfig,
} from '../support/receiver.ts';
import { asStored, pushRuns } from '../support/sizing-seed.ts';

const PG_SKIP = await postgresSkip();
const sizingUrl = (base: string, s: Scope, query = '') =>
  `${base}/api/v1/sizing/repo/${[s.organization, s.repository, s.workflow, s.job].map(encodeURIComponent).join('/')}${query}`;
type Answer = { meta: { confidence_phase: string; runs_used: number; parameters: Record<string, unknown> };
  containers: { name: string; cpu: { limit: { quantity: string; cores: number } } | null;
    memory: { limit: { quantity: string; bytes: number }; request: { quantity: string; bytes: number } } | null; reason: string }[];
  backtest?: unknown };

for (const kind of STORE_KINDS) {
  describe(`receiver sizing (${kind})`, { skip: kind === 'postgres' && PG_SKIP, concurrency: true }, () => {
    test('sizing: the answer is the method on the stored runs, in quantities that parse back to its numbers', async (t) => {
      const clock = fakeClock();
      const receiver = await startTestReceiver(t, await testStoreConfig(t, kind), { now: clock.now });
      const { runs } = syntheticJob('spiky', 2, { runs: 40 });
      await pushRuns(receiver, clock, README_SCOPE, runs);
      const r = await call(sizingUrl(receiver.url, README_SCOPE), { token: READ_TOKEN });
      assert.equal(r.status, 200);
      const a = r.json as Answer;
      // The receiver's clock set received_at to each run's time, so the stored history is the synthetic one.
      const want = sizeJob(asStored(runs).reverse(), DEFAULT_SIZING_OPTIONS);
      assert.deepEqual(a.containers.map((c) => [c.memory?.limit.quantity, c.cpu?.limit.quantity]),
        want.containers.map((c) => [c.memory?.limit.quantity, c.cpu?.limit.quantity]));
      assert.equal(a.meta.confidence_phase, 'confident');
      assert.equal(a.meta.runs_used, 30);
      assert.deepEqual(a.meta.parameters, { runs: 30, buffer: 20, cpu_percentile: 'p95', half_life: '10 runs' });
      for (const c of a.containers) {
        assert.equal(parseMemoryQuantity(c.memory?.limit.quantity ?? ''), c.memory?.limit.bytes);
        assert.equal(parseCpuQuantity(c.cpu?.limit.quantity ?? ''), c.cpu?.limit.cores);
      }
    });

    test('sizing: phases unknown (no runs), learning (1-2), confident (3+), as CI Sizer names them', async (t) => {
      const clock = fakeClock();
      const receiver = await startTestReceiver(t, await testStoreConfig(t, kind), { now: clock.now });
      const { runs } = syntheticJob('steady', 1, { runs: 3 });
      const phase = async () => ((await call(sizingUrl(receiver.url, README_SCOPE), { token: READ_TOKEN })).json as Answer).meta.confidence_phase;
      assert.equal(await phase(), 'unknown');
      const seen = [];
      for (const run of runs) {
        await pushRuns(receiver, clock, README_SCOPE, [run]);
        seen.push(await phase());
      }
      assert.deepEqual(seen, ['learning', 'learning', 'confident']);
    });

    test('sizing: CI Sizer\'s runs, buffer and cpu_percentile change the answer; bad values are 400s', async (t) => {
      const clock = fakeClock();
      const receiver = await startTestReceiver(t, await testStoreConfig(t, kind), { now: clock.now });
      await pushRuns(receiver, clock, README_SCOPE, syntheticJob('growing', 2, { runs: 12 }).runs);
      const get = async (q: string) => call(sizingUrl(receiver.url, README_SCOPE, q), { token: READ_TOKEN });
      const answer = async (q: string) => (await get(q)).json as Answer;
      assert.equal((await answer('?runs=5')).meta.runs_used, 5);
      const lean = (await answer('?buffer=0')).containers[0]?.cpu?.limit.cores ?? 0;
      const wide = (await answer('?buffer=100')).containers[0]?.cpu?.limit.cores ?? 0;
      assert.ok(wide > lean * 1.5, `buffer 0 → ${lean}, 100 → ${wide}`);
      assert.equal((await answer('?buffer=0.5')).meta.parameters.buffer, 50, 'a fraction is read as CI Sizer clients may send it');
      const p50 = (await answer('?cpu_percentile=p50')).containers[0]?.cpu?.limit.cores ?? Infinity;
      assert.ok(p50 < lean * 1.5 && (await answer('?cpu_percentile=50')).meta.parameters.cpu_percentile === 'p50');
      assert.equal((await answer('?half_life=7d')).meta.parameters.half_life, '7 days');
      const bad = [['?runs=0', /^querystring\.runs: must be an integer from 1 to 1000$/], ['?runs=1001', /runs/],
        ['?runs=5.5', /runs/], ['?buffer=-1', /^querystring\.buffer: /], ['?cpu_percentile=p42', /^querystring\.cpu_percentile: /],
        ['?half_life=0', /half_life/], ['?backtest=yes', /backtest/], ['?run=5', /^querystring\.run: unknown field$/]] as const;
      for (const [q, error] of bad) {
        const r = await get(q);
        assert.equal(r.status, 400, q);
        assert.match((r.json as { error: string }).error, error, q);
      }
      assert.equal((await call(sizingUrl(receiver.url, README_SCOPE))).status, 401);
      assert.equal((await call(sizingUrl(receiver.url, README_SCOPE), { token: 'wrong' })).status, 401);
    });

    test('sizing: ?backtest=true replays the stored history and scores ours, CI Sizer\'s and the actual limits', async (t) => {
      const clock = fakeClock();
      const receiver = await startTestReceiver(t, await testStoreConfig(t, kind), { now: clock.now });
      const { runs } = syntheticJob('oom-killed', 1, { runs: 40 });
      await pushRuns(receiver, clock, README_SCOPE, runs);
      const a = (await call(sizingUrl(receiver.url, README_SCOPE, '?backtest=true&history=40'), { token: READ_TOKEN })).json as Answer;
      assert.deepEqual(a.backtest, backtest(asStored(runs), DEFAULT_SIZING_OPTIONS));
    });

    test('sizing: runs stored without stats (before migration 2) are read from their payload and get stats', async (t) => {
      const config = await testStoreConfig(t, kind);
      const store = await openTestStore(t, config);
      const { runs } = syntheticJob('steady', 0, { runs: 5 });
      for (const run of runs) {
        await store.put({ ...README_SCOPE, run_id: run.runId, payload: JSON.stringify({ complete: true, duration_seconds: 900,
          containers: run.containers.map((c) => ({ name: c.name, cpu_cores: c.cpu, memory_bytes: c.memory })) }) }, new Date(run.receivedAt));
      }
      await store.close();
      const receiver = await startTestReceiver(t, config);
      const a = (await call(sizingUrl(receiver.url, README_SCOPE), { token: READ_TOKEN })).json as Answer;
      assert.equal(a.meta.runs_used, 5);
      assert.ok((a.containers[0]?.memory?.limit.bytes ?? 0) > 256 * 2 ** 20);
      const sql = 'SELECT count(*) AS n FROM runs WHERE stats IS NULL';
      const left = config.kind === 'postgres'
        ? (await adminQuery<{ n: string }>(sql.replace('runs', `${config.schema}.runs`)))[0]?.n
        : (() => { const db = new DatabaseSync(config.path); try { return (db.prepare(sql).get() as { n: number }).n; } finally { db.close(); } })();
      assert.equal(Number(left), 0, 'stats written back');
    });
  });
}

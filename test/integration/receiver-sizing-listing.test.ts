// The read API beside sizing (issue 9), on both stores: GET /api/v1/jobs (counts, latest run, prefix, paging),
// /api/v1/runs/{id}, /api/v1/history/... (at most `points` points, even for 10,000 runs, well under a second).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { syntheticJob } from '../../src/receiver/sizing/synthetic.ts';
import type { Scope } from '../../src/receiver/store/types.ts';
import {
  call, fakeClock, openTestStore, postgresSkip, READ_TOKEN, README_SCOPE, startTestReceiver, STORE_KINDS, testStoreConfig,
} from '../support/receiver.ts';
import { insertRuns, pushRuns } from '../support/sizing-seed.ts';

const PG_SKIP = await postgresSkip();
const path = (s: Scope) => [s.organization, s.repository, s.workflow, s.job].map(encodeURIComponent).join('/');
type Job = Scope & { runs: number; latest_received_at: string };

for (const kind of STORE_KINDS) {
  describe(`receiver listing (${kind})`, { skip: kind === 'postgres' && PG_SKIP, concurrency: true }, () => {
    test('jobs: every job with runs, its run count and latest run, in code-point order, filtered by prefix, paged', async (t) => {
      const clock = fakeClock();
      const receiver = await startTestReceiver(t, await testStoreConfig(t, kind), { now: clock.now });
      const scopes: Scope[] = [
        README_SCOPE, { ...README_SCOPE, job: 'test' }, { ...README_SCOPE, repository: 'my-org/other' },
        { organization: 'b-org', repository: 'b-org/Zeta', workflow: 'ci.yml', job: 'build' },
        { organization: 'b-org', repository: 'b-org/alpha', workflow: 'ci.yml', job: 'build' },
      ];
      const { runs } = syntheticJob('steady', 0, { runs: 3 });
      for (const [i, s] of scopes.entries()) await pushRuns(receiver, clock, s, runs.slice(0, 1 + (i % 3)));
      const jobs = async (q = '') => {
        const r = await call(`${receiver.url}/api/v1/jobs${q}`, { token: READ_TOKEN });
        assert.equal(r.status, 200, JSON.stringify(r.json));
        return { list: r.json as Job[], next: r.headers.get('x-next-cursor'), link: r.headers.get('link') };
      };
      const all = (await jobs()).list;
      assert.deepEqual(all.map((j) => `${j.repository}/${j.job}:${j.runs}`),
        ['b-org/Zeta/build:1', 'b-org/alpha/build:2', 'my-org/my-repo/build:1', 'my-org/my-repo/test:2', 'my-org/other/build:3']);
      assert.equal(all[4]?.latest_received_at, runs[2]?.receivedAt);
      assert.deepEqual((await jobs('?prefix=my-org/my')).list.map((j) => j.job), ['build', 'test']);
      assert.deepEqual((await jobs('?prefix=oth')).list.map((j) => j.repository), ['my-org/other'], 'the name after the owner');
      assert.deepEqual((await jobs('?organization=b-org')).list.length, 2);
      // Paging: two at a time, following the cursor, gives the same list.
      const walked: Job[] = [];
      let page = await jobs('?limit=2');
      walked.push(...page.list);
      assert.match(page.link ?? '', /^<\/api\/v1\/jobs\?limit=2&cursor=[A-Za-z0-9_-]+>; rel="next"$/);
      while (page.next !== null) {
        page = await jobs(`?limit=2&cursor=${page.next}`);
        walked.push(...page.list);
      }
      assert.deepEqual(walked, all);
      for (const [q, status] of [['?limit=0', 400], ['?cursor=bad!', 400], ['?cursor=e30', 400], ['?pefix=x', 400]] as const) {
        assert.equal((await call(`${receiver.url}/api/v1/jobs${q}`, { token: READ_TOKEN })).status, status, q);
      }
      assert.equal((await call(`${receiver.url}/api/v1/jobs`)).status, 401);
    });

    test('runs/{id}: one stored run as the query returns it; 404 for none; the read token only', async (t) => {
      const clock = fakeClock();
      const receiver = await startTestReceiver(t, await testStoreConfig(t, kind), { now: clock.now });
      await pushRuns(receiver, clock, README_SCOPE, syntheticJob('steady', 0, { runs: 1 }).runs);
      const listed = (await call(`${receiver.url}/api/v1/metrics/repo/${path(README_SCOPE)}`, { token: READ_TOKEN })).json as { id: number }[];
      const one = await call(`${receiver.url}/api/v1/runs/${listed[0]?.id}`, { token: READ_TOKEN });
      assert.deepEqual(one.json, listed[0]);
      assert.equal((await call(`${receiver.url}/api/v1/runs/99999`, { token: READ_TOKEN })).status, 404);
      assert.equal((await call(`${receiver.url}/api/v1/runs/abc`, { token: READ_TOKEN })).status, 400);
      assert.equal((await call(`${receiver.url}/api/v1/runs/1`)).status, 401);
    });

    test('history: 10,000 runs load as at most 300 points a chart, in well under a second', async (t) => {
      const config = await testStoreConfig(t, kind);
      await (await openTestStore(t, config)).close(); // migrated
      const { runs } = syntheticJob('spiky', 3, { runs: 10_000 });
      await insertRuns(config, README_SCOPE, runs);
      const receiver = await startTestReceiver(t, config);
      const url = `${receiver.url}/api/v1/history/repo/${path(README_SCOPE)}`;
      await call(`${url}?limit=1`, { token: READ_TOKEN }); // connections and statements warmed
      const started = performance.now();
      const r = await call(url, { token: READ_TOKEN });
      const ms = performance.now() - started;
      assert.equal(r.status, 200);
      const h = r.json as { runs: number; runs_per_point: number; containers: { time_ms: number[]; memory_peak_bytes: number[]; oom_kills: number[] }[]; recent: unknown[] };
      assert.equal(h.runs, 10_000);
      assert.equal(h.runs_per_point, 34);
      assert.equal(h.containers[0]?.time_ms.length, 295);
      assert.equal(h.recent.length, 20);
      const peak = Math.round(Math.max(...runs.map((x) => x.containers[0]?.memory?.peak ?? 0)));
      assert.equal(Math.max(...(h.containers[0]?.memory_peak_bytes ?? [])), peak, 'a group keeps its highest peak');
      assert.ok(ms < 1000, `history of 10,000 runs took ${ms.toFixed(0)} ms`);
      const sized = performance.now();
      assert.equal((await call(`${receiver.url}/api/v1/sizing/repo/${path(README_SCOPE)}`, { token: READ_TOKEN })).status, 200);
      assert.ok(performance.now() - sized < 500, 'sizing reads only the newest runs');
      t.diagnostic(`${kind}: history of 10,000 runs in ${ms.toFixed(0)} ms`);
    });
  });
}

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { history } from '../sizing/synthetic.ts';
import { jobHistory } from './history-points.ts';

const GI = 2 ** 30;

test('jobHistory: one point per run, oldest first, while runs fit', () => {
  const runs = history(5, { mem: GI, cpu: 1, memLimit: 2 * GI, cpuLimit: 2 }, { 3: { oom: true } });
  const h = jobHistory([...runs].reverse(), 300, 2);
  const c = h.containers[0];
  assert.equal(h.runs_per_point, 1);
  assert.deepEqual(c?.run_ids, [1, 2, 3, 4, 5]);
  assert.deepEqual(c?.oom_kills, [0, 0, 0, 1, 0]);
  assert.deepEqual(c?.memory_limit_bytes, Array(5).fill(2 * GI));
  assert.deepEqual(c?.cpu_avg_cores, Array(5).fill(0.5));
  assert.deepEqual(h.recent.map((r) => r.run_id), ['1004', '1003']);
});

test('jobHistory: more runs than points are grouped: the highest peak, the mean average, the OOM kills summed', () => {
  const runs = history(1000, { mem: GI, cpu: 1 }, { 10: { mem: 3 * GI, oom: true }, 11: { oom: true } });
  const h = jobHistory([...runs].reverse(), 300, 20);
  const c = h.containers[0];
  assert.equal(h.runs_per_point, 4);
  assert.equal(c?.time_ms.length, 250);
  assert.equal(c?.memory_peak_bytes[2], 3 * GI, 'runs 8-11 hold the spike');
  assert.equal(c?.oom_kills[2], 2);
  assert.equal(c?.run_ids[2], 12, 'the group\'s last run opens');
  assert.equal(h.recent.length, 20);
});

test('jobHistory: checkpoint-only runs give no CPU point', () => {
  const h = jobHistory(history(2, { mem: GI, cpu: 1, complete: false }), 300, 0);
  assert.deepEqual(h.containers[0]?.cpu_p95_cores, [null, null]);
});

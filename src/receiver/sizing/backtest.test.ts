// The backtest (issue 9): each run is recommended from the runs before it only, and scored for our method, CI
// Sizer's and the limits actually set. The targets are checked on the same synthetic histories as the table in
// docs/recommendations.md, and that table must be the one this code prints.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { backtest } from './backtest.ts';
import { backtestMarkdown, syntheticBacktest } from './backtest-report.ts';
import { DEFAULT_SIZING_OPTIONS } from './method.ts';
import { history } from './synthetic.ts';

const GI = 2 ** 30;

test('backtest: a run above every earlier peak would have been OOM-killed by both methods, not by a 4Gi limit', () => {
  const r = backtest(history(6, { mem: GI, cpu: 1, memLimit: 4 * GI, cpuLimit: 2 }, { 5: { mem: 3 * GI } }), DEFAULT_SIZING_OPTIONS);
  assert.equal(r.runs_replayed, 6);
  assert.equal(r.methods.ours.memory_runs, 5, 'the first run has nothing before it');
  assert.deepEqual([r.methods.ours.oom_kills, r.methods.ci_sizer.oom_kills, r.methods.actual.oom_kills], [1, 1, 0]);
  assert.equal(r.methods.actual.memory_waste_gib_hours, Number(((3 * 4 + 1) * 0.25).toFixed(3)), '(4 - 1) GiB x 4 runs + 1 GiB, 15 min each');
});

test('backtest: a run OOM-killed at its limit counts against any recommendation not above that limit', () => {
  const h = history(4, { mem: 900 * 2 ** 20, cpu: 1, memLimit: GI }, { 3: { mem: GI, oom: true } });
  const r = backtest(h, DEFAULT_SIZING_OPTIONS);
  assert.equal(r.methods.actual.oom_kills, 1);
  assert.equal(r.methods.ours.oom_kills, 0, 'ours recommended above 1Gi from 900 MiB peaks');
});

test('backtest: a run throttled at its CPU limit counts against any CPU limit not above it', () => {
  const r = backtest(history(4, { mem: GI, cpu: 0.5, cpuLimit: 1 }, { 3: { cpu: 0.98, throttled: 0.4 } }), DEFAULT_SIZING_OPTIONS);
  assert.equal(r.methods.actual.cpu_throttled, 1);
  assert.equal(r.methods.ours.cpu_throttled, 1, 'ours recommended about 0.6 cores from 0.5-core runs');
});

const rows = syntheticBacktest();
const all = rows.find((r) => r.label === 'all')?.methods;

test('backtest targets (issue 9): no more would-be OOM kills than CI Sizer and at least 25% less memory waste', () => {
  assert.ok(all !== undefined);
  assert.ok(all.ours.oom_kills <= all.ci_sizer.oom_kills, `OOM kills: ours ${all.ours.oom_kills}, CI Sizer ${all.ci_sizer.oom_kills}`);
  const ratio = all.ours.memory_waste_gib_hours / all.ci_sizer.memory_waste_gib_hours;
  assert.ok(ratio <= 0.75, `memory waste: ours ${ratio.toFixed(3)} of CI Sizer's`);
  assert.ok(all.ours.oom_kills < all.actual.oom_kills, 'fewer than the limits people set');
});

test('docs/recommendations.md shows the table the backtest prints (npm run backtest -- --synthetic)', () => {
  const doc = readFileSync(new URL('../../../docs/recommendations.md', import.meta.url), 'utf8');
  assert.ok(doc.includes(backtestMarkdown(rows)), 'regenerate the table: npm run backtest -- --synthetic');
});

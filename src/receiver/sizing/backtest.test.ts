// The backtest (issue 9): each run is recommended from the runs before it only, and scored for our method, CI
// Sizer's and the limits actually set. The targets are checked per scenario on the held-out synthetic histories of
// the table in docs/recommendations.md, and that table must be the one this code prints.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { backtest } from './backtest.ts';
import { backtestMarkdown, HELD_OUT_SEEDS, syntheticBacktest, TUNING_SEEDS } from './backtest-report.ts';
import { DEFAULT_SIZING_OPTIONS } from './method.ts';
import { history, SCENARIOS } from './synthetic.ts';

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

// Held-out seeds only: the method's constants were chosen on TUNING_SEEDS (scripts/sizing-sweep.ts).
const rows = syntheticBacktest(HELD_OUT_SEEDS);
const row = (label: string) => {
  const r = rows.find((x) => x.label === label);
  if (r === undefined) throw new Error(`no row ${label}`);
  return r;
};

test('backtest: the held-out seeds are disjoint from the tuning seeds, 300 jobs a scenario', () => {
  assert.equal(HELD_OUT_SEEDS.filter((s) => TUNING_SEEDS.includes(s)).length, 0);
  for (const s of SCENARIOS) assert.equal(row(s).jobs, 300, s);
});

// The targets of issue 9 per scenario. `kills`: whose OOM kills are compared with CI Sizer's. On *outlier*, the one
// 2.5x run is above any limit either method derives from the runs before it; CI Sizer's power-of-two rounding
// happens to leave 2.5x room for a few jobs, so there we compare the kills on every other run and check that the
// outlier run is one that both methods miss (docs/recommendations.md gives the numbers).
const targets: { scenario: (typeof SCENARIOS)[number]; kills: 'all runs' | 'all but the unforeseeable run' }[] = [
  { scenario: 'steady', kills: 'all runs' },
  { scenario: 'spiky', kills: 'all runs' },
  { scenario: 'growing', kills: 'all runs' },
  { scenario: 'outlier', kills: 'all but the unforeseeable run' },
  { scenario: 'oom-killed', kills: 'all runs' },
];
for (const t of targets) {
  test(`backtest targets (issue 9), ${t.scenario}, held-out: OOM kills at most CI Sizer's on ${t.kills}; memory waste 25% lower`, () => {
    const { methods: { ours, ci_sizer: ci }, surprise, jobs } = row(t.scenario);
    if (t.kills === 'all runs') {
      assert.ok(ours.oom_kills <= ci.oom_kills, `OOM kills: ours ${ours.oom_kills}, CI Sizer ${ci.oom_kills}`);
    } else {
      assert.ok(surprise !== undefined);
      const [o, c] = [ours.oom_kills - surprise.ours.oom_kills, ci.oom_kills - surprise.ci_sizer.oom_kills];
      assert.ok(o <= c, `OOM kills but at the unforeseeable run: ours ${o}, CI Sizer ${c}`);
      assert.ok(surprise.ci_sizer.oom_kills >= 0.95 * jobs, `CI Sizer misses it too: ${surprise.ci_sizer.oom_kills} of ${jobs}`);
    }
    const ratio = ours.memory_waste_gib_hours / ci.memory_waste_gib_hours;
    assert.ok(ratio <= 0.75, `memory waste: ours ${ratio.toFixed(3)} of CI Sizer's`);
  });
}

test('backtest targets (issue 9), all scenarios, held-out: fewer OOM kills than CI Sizer and than the limits set', () => {
  const { ours, ci_sizer: ci, actual } = row('all').methods;
  assert.ok(ours.oom_kills <= ci.oom_kills, `OOM kills: ours ${ours.oom_kills}, CI Sizer ${ci.oom_kills}`);
  assert.ok(ours.oom_kills < actual.oom_kills, `ours ${ours.oom_kills}, actual ${actual.oom_kills}`);
  assert.ok(ours.memory_waste_gib_hours <= 0.75 * ci.memory_waste_gib_hours);
});

test('docs/recommendations.md shows the table the backtest prints (npm run backtest)', () => {
  const doc = readFileSync(new URL('../../../docs/recommendations.md', import.meta.url), 'utf8');
  assert.ok(doc.includes(backtestMarkdown(rows)), 'regenerate the table: npm run backtest');
});

// The backtest table of docs/recommendations.md: every synthetic scenario replayed over several seeds, summed per
// scenario, as Markdown. `npm run backtest -- --synthetic` prints it; a test checks the targets and that the
// document shows the table this code produces.
import { backtest, BACKTEST_METHODS, type BacktestMethod, type MethodScore } from './backtest.ts';
import { DEFAULT_SIZING_OPTIONS, type SizingOptions } from './method.ts';
import { SCENARIOS, syntheticJobs } from './synthetic.ts';

export type ScenarioScores = { readonly label: string; readonly jobs: number; readonly methods: Record<BacktestMethod, MethodScore> };

/** Sums of scores over jobs. */
export function addScores(a: MethodScore, b: MethodScore): MethodScore {
  return {
    memory_runs: a.memory_runs + b.memory_runs, oom_kills: a.oom_kills + b.oom_kills,
    memory_waste_gib_hours: a.memory_waste_gib_hours + b.memory_waste_gib_hours,
    cpu_runs: a.cpu_runs + b.cpu_runs, cpu_throttled: a.cpu_throttled + b.cpu_throttled,
    cpu_waste_core_hours: a.cpu_waste_core_hours + b.cpu_waste_core_hours,
  };
}
const ZERO: MethodScore = { memory_runs: 0, oom_kills: 0, memory_waste_gib_hours: 0, cpu_runs: 0, cpu_throttled: 0, cpu_waste_core_hours: 0 };
const zeros = (): Record<BacktestMethod, MethodScore> => ({ ours: ZERO, ci_sizer: ZERO, actual: ZERO });

/** Seeds 1..`seeds` of every scenario; one row per scenario and a last row `all`. */
export function syntheticBacktest(seeds = 12, options: SizingOptions = DEFAULT_SIZING_OPTIONS): ScenarioScores[] {
  const rows = new Map<string, { jobs: number; methods: Record<BacktestMethod, MethodScore> }>(
    [...SCENARIOS, 'all'].map((s) => [s, { jobs: 0, methods: zeros() }]));
  for (let seed = 1; seed <= seeds; seed++) {
    for (const job of syntheticJobs({ seed })) {
      const result = backtest(job.runs, options);
      for (const key of [job.scenario, 'all']) {
        const row = rows.get(key);
        if (row === undefined) continue;
        row.jobs++;
        for (const m of BACKTEST_METHODS) row.methods[m] = addScores(row.methods[m], result.methods[m]);
      }
    }
  }
  return [...rows].map(([label, r]) => ({ label, ...r }));
}

const pct = (ours: number, theirs: number) => (theirs === 0 ? '–' : `${ours <= theirs ? '−' : '+'}${Math.abs(Math.round((1 - ours / theirs) * 100))}%`);
const f0 = (n: number) => Math.round(n).toLocaleString('en-US');

/** The Markdown table: per scenario, OOM kills and memory waste, CPU throttling and CPU waste, per method. */
export function backtestMarkdown(rows: readonly ScenarioScores[], first = 'scenario'): string {
  const head = [
    `| ${first} | runs scored | OOM kills: ours / CI Sizer / actual | memory waste GiB-h: ours / CI Sizer / actual | ours vs CI Sizer | CPU-throttled: ours / CI Sizer / actual | CPU waste core-h: ours / CI Sizer / actual |`,
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  const lines = rows.map(({ label, methods: { ours: o, ci_sizer: c, actual: a } }) =>
    `| ${label === 'all' ? '**all**' : label} | ${f0(o.memory_runs)} | ${o.oom_kills} / ${c.oom_kills} / ${a.oom_kills} | ` +
    `${f0(o.memory_waste_gib_hours)} / ${f0(c.memory_waste_gib_hours)} / ${f0(a.memory_waste_gib_hours)} | ` +
    `${pct(o.memory_waste_gib_hours, c.memory_waste_gib_hours)} | ${o.cpu_throttled} / ${c.cpu_throttled} / ${a.cpu_throttled} | ` +
    `${f0(o.cpu_waste_core_hours)} / ${f0(c.cpu_waste_core_hours)} / ${f0(a.cpu_waste_core_hours)} |`);
  return [...head, ...lines].join('\n') + '\n';
}

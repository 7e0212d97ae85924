// The backtest table of docs/recommendations.md: every synthetic scenario replayed over many seeds, summed per
// scenario, as Markdown. The method's constants are chosen on TUNING_SEEDS (scripts/sizing-sweep.ts); the table and
// the targets' test use HELD_OUT_SEEDS only, histories the constants never saw. `npm run backtest` prints it.
import { backtest, BACKTEST_METHODS, type BacktestMethod, type MethodScore } from './backtest.ts';
import { DEFAULT_METHOD, DEFAULT_SIZING_OPTIONS, type MethodParams, type SizingOptions } from './method.ts';
import { SCENARIOS, surpriseRun, syntheticJobs } from './synthetic.ts';

export type ScenarioScores = {
  readonly label: string;
  readonly jobs: number;
  readonly methods: Record<BacktestMethod, MethodScore>;
  /** The same scores on each job's unforeseeable run alone (synthetic.ts's surpriseRun), where the scenario has one. */
  readonly surprise?: Record<BacktestMethod, MethodScore>;
};

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

const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i);
/** Seeds the method's constants were chosen on: 40 seeds, 200 jobs a scenario. */
export const TUNING_SEEDS: readonly number[] = range(1, 40);
/** Seeds for the table and the targets only, disjoint from TUNING_SEEDS: 60 seeds, 300 jobs a scenario. */
export const HELD_OUT_SEEDS: readonly number[] = range(1001, 60);

/** `seeds` of every scenario; one row per scenario and a last row `all`. */
export function syntheticBacktest(seeds: readonly number[] = HELD_OUT_SEEDS, options: SizingOptions = DEFAULT_SIZING_OPTIONS,
  params: MethodParams = DEFAULT_METHOD): ScenarioScores[] {
  type Row = { jobs: number; methods: Record<BacktestMethod, MethodScore>; surprise?: Record<BacktestMethod, MethodScore> };
  const rows = new Map<string, Row>([...SCENARIOS, 'all'].map((s) => [s, { jobs: 0, methods: zeros() }]));
  for (const seed of seeds) {
    for (const job of syntheticJobs({ seed })) {
      const result = backtest(job.runs, options, params);
      const k = surpriseRun(job.scenario, job.runs.length);
      // Replaying up to run k and scoring only it: what each method did on the run nothing predicted.
      const surprise = k === undefined ? undefined : backtest(job.runs.slice(0, k + 1), options, params, k);
      for (const key of [job.scenario, 'all']) {
        const row = rows.get(key);
        if (row === undefined) continue;
        row.jobs++;
        for (const m of BACKTEST_METHODS) {
          row.methods[m] = addScores(row.methods[m], result.methods[m]);
          if (surprise !== undefined) (row.surprise ??= zeros())[m] = addScores(row.surprise?.[m] ?? ZERO, surprise.methods[m]);
        }
      }
    }
  }
  return [...rows].map(([label, r]) => ({ label, ...r }));
}

const pct = (ours: number, theirs: number) => (theirs === 0 ? '–' : `${ours <= theirs ? '−' : '+'}${Math.abs(Math.round((1 - ours / theirs) * 100))}%`);
const f0 = (n: number) => Math.round(n).toLocaleString('en-US');

/**
 * The Markdown table: per scenario, OOM kills (and, where rows have one, those at the unforeseeable run) and memory
 * waste, CPU throttling and CPU waste, per method.
 */
export function backtestMarkdown(rows: readonly ScenarioScores[], first = 'scenario'): string {
  const surprise = rows.some((r) => r.surprise !== undefined);
  const head = [
    `| ${first} | runs scored | OOM kills: ours / CI Sizer / actual |${surprise ? ' of them at the unforeseeable run: ours / CI Sizer |' : ''} ` +
    'memory waste GiB-h: ours / CI Sizer / actual | ours vs CI Sizer | CPU-throttled: ours / CI Sizer / actual | CPU waste core-h: ours / CI Sizer / actual |',
    `| --- | ---: | ---: |${surprise ? ' ---: |' : ''} ---: | ---: | ---: | ---: |`,
  ];
  const lines = rows.map(({ label, methods: { ours: o, ci_sizer: c, actual: a }, surprise: at }) =>
    `| ${label === 'all' ? '**all**' : label} | ${f0(o.memory_runs)} | ${o.oom_kills} / ${c.oom_kills} / ${a.oom_kills} | ` +
    (surprise ? `${at === undefined ? '–' : `${at.ours.oom_kills} / ${at.ci_sizer.oom_kills}`} | ` : '') +
    `${f0(o.memory_waste_gib_hours)} / ${f0(c.memory_waste_gib_hours)} / ${f0(a.memory_waste_gib_hours)} | ` +
    `${pct(o.memory_waste_gib_hours, c.memory_waste_gib_hours)} | ${o.cpu_throttled} / ${c.cpu_throttled} / ${a.cpu_throttled} | ` +
    `${f0(o.cpu_waste_core_hours)} / ${f0(c.cpu_waste_core_hours)} / ${f0(a.cpu_waste_core_hours)} |`);
  return [...head, ...lines].join('\n') + '\n';
}

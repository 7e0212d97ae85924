// The backtest: replays a job's history in time order, recommends each run from the runs before it only, and
// scores our method, CI Sizer's and the limits that were actually set on the same runs: would-be OOM kills,
// would-be CPU throttling and waste. Pure; docs/recommendations.md defines every count.
import { ciSizerContainer } from './ci-sizer.ts';
import {
  containerNames, DEFAULT_METHOD, recommendContainer, THROTTLED_FRACTION, type MethodParams, type RunPoint, type SizingOptions,
} from './method.ts';
import type { ContainerStats } from './run-stats.ts';

export const BACKTEST_METHODS = ['ours', 'ci_sizer', 'actual'] as const;
export type BacktestMethod = (typeof BACKTEST_METHODS)[number];

export type MethodScore = {
  /** (run, container) pairs scored for memory, and how many the recommended limit would have OOM-killed. */
  readonly memory_runs: number;
  readonly oom_kills: number;
  /** Sum over those runs of (recommended limit - peak used) x duration, GiB-hours; never negative per run. */
  readonly memory_waste_gib_hours: number;
  readonly cpu_runs: number;
  /** Runs whose CPU p95 is above the recommended CPU limit (or that were throttled at a limit not below it). */
  readonly cpu_throttled: number;
  readonly cpu_waste_core_hours: number;
};

export type BacktestResult = {
  readonly runs_replayed: number;
  readonly window: number;
  readonly methods: Readonly<Record<BacktestMethod, MethodScore>>;
};

const GIB = 2 ** 30;
type Score = { -readonly [K in keyof MethodScore]: MethodScore[K] };
const emptyScore = (): Score => ({ memory_runs: 0, oom_kills: 0, memory_waste_gib_hours: 0, cpu_runs: 0, cpu_throttled: 0, cpu_waste_core_hours: 0 });

/** What a run needed, as far as its record shows: at least its limit when it was killed or throttled there. */
function needs(c: ContainerStats) {
  const oom = (c.oom_kills ?? 0) > 0;
  const throttled = (c.throttled_fraction ?? 0) > THROTTLED_FRACTION && c.cpu_limit_cores !== undefined;
  const peak = c.memory?.peak;
  const p95 = c.cpu?.p95;
  return {
    memory: peak === undefined && !oom ? undefined : Math.max(peak ?? 0, oom ? c.memory_limit_bytes ?? 0 : 0),
    oom,
    cpu: p95 === undefined ? undefined : Math.max(p95, throttled ? c.cpu_limit_cores ?? 0 : 0),
    throttled,
  };
}

function score(s: Score, c: ContainerStats, hours: number, memoryLimit: number | undefined, cpuLimit: number | undefined, complete: boolean): void {
  const need = needs(c);
  if (memoryLimit !== undefined && need.memory !== undefined) {
    s.memory_runs++;
    // Killed at its limit: the need is unknown above it, so any limit not above it would have been killed too.
    if (need.oom ? memoryLimit <= need.memory : need.memory > memoryLimit) s.oom_kills++;
    s.memory_waste_gib_hours += (Math.max(0, memoryLimit - need.memory) / GIB) * hours;
  }
  if (complete && cpuLimit !== undefined && need.cpu !== undefined) {
    s.cpu_runs++;
    if (need.throttled ? cpuLimit <= need.cpu : need.cpu > cpuLimit) s.cpu_throttled++;
    s.cpu_waste_core_hours += Math.max(0, cpuLimit - need.cpu) * hours;
  }
}

/**
 * Replays `history` (oldest first). Run i is scored for a container only when both methods recommend it from runs
 * 0..i-1 (the newest options.runs of them); the actual limits are scored on the same pairs where the run had them.
 * `from`: score only runs from this index on (the ones before still feed the recommendations).
 */
export function backtest(history: readonly RunPoint[], options: SizingOptions, params: MethodParams = DEFAULT_METHOD, from = 1): BacktestResult {
  const scores = { ours: emptyScore(), ci_sizer: emptyScore(), actual: emptyScore() };
  for (let i = Math.max(1, from); i < history.length; i++) {
    const run = history[i];
    if (run === undefined) continue;
    const window = history.slice(Math.max(0, i - options.runs), i).reverse();
    const known = new Set(containerNames(window));
    const hours = (run.durationSeconds ?? 0) / 3600;
    for (const c of run.containers) {
      if (!known.has(c.name)) continue;
      const ours = recommendContainer(window, c.name, options, params);
      const ci = ciSizerContainer(window, c.name, options);
      const memoryBoth = ours.memory !== undefined && ci.memoryBytes !== undefined;
      const cpuBoth = ours.cpu !== undefined && ci.cpuCores !== undefined;
      const pick = (both: boolean, v: number | undefined) => (both ? v : undefined);
      score(scores.ours, c, hours, pick(memoryBoth, ours.memory?.limit.value), pick(cpuBoth, ours.cpu?.limit.value), run.complete);
      score(scores.ci_sizer, c, hours, pick(memoryBoth, ci.memoryBytes), pick(cpuBoth, ci.cpuCores), run.complete);
      score(scores.actual, c, hours, pick(memoryBoth, c.memory_limit_bytes), pick(cpuBoth, c.cpu_limit_cores), run.complete);
    }
  }
  const rounded = (s: Score): MethodScore => ({ ...s,
    memory_waste_gib_hours: Number(s.memory_waste_gib_hours.toFixed(3)), cpu_waste_core_hours: Number(s.cpu_waste_core_hours.toFixed(3)) });
  return {
    runs_replayed: history.length,
    window: options.runs,
    methods: { ours: rounded(scores.ours), ci_sizer: rounded(scores.ci_sizer), actual: rounded(scores.actual) },
  };
}

// CI Sizer's method, implemented from its description (issue 9), as the baseline the backtest compares with: the
// maximum over the last N clean runs of each run's CPU percentile plus `buffer`, and of each run's peak memory plus
// a 20/10/5% staircase, rounded up to 0.5 core and a power of two in MiB, memory doubled per consecutive OOM kill.
import type { RunPoint, SizingOptions } from './method.ts';
import { roundCpuHalfCore, roundMemoryPow2 } from './rounding.ts';

const GI = 2 ** 30;

/**
 * The staircase: 20% headroom below 1 GiB of peak, 10% below 4 GiB, 5% above. The description gives the steps,
 * not where they change; these thresholds are our reading, stated in docs/recommendations.md.
 */
export function ciSizerHeadroom(peakBytes: number): number {
  return peakBytes < GI ? 0.2 : peakBytes < 4 * GI ? 0.1 : 0.05;
}

export type CiSizerRecommendation = {
  readonly cpuCores: number | undefined;
  readonly memoryBytes: number | undefined;
  /** Clean runs: complete and not OOM-killed; they decide the phase. */
  readonly cleanRuns: number;
};

/** CI Sizer's figure for one container from `window` (newest first, at most options.runs long). */
export function ciSizerContainer(window: readonly RunPoint[], name: string, options: SizingOptions): CiSizerRecommendation {
  let cpuMax: number | undefined;
  let memoryMax: number | undefined;
  let oomMax: number | undefined; // what OOM-killed runs reached, for a job with no clean run yet
  let cleanRuns = 0;
  let consecutiveOoms = 0;
  let streak = true;
  for (const run of window) {
    const c = run.containers.find((x) => x.name === name);
    if (c === undefined) continue;
    const oom = (c.oom_kills ?? 0) > 0;
    if (streak && oom) consecutiveOoms++;
    else streak = false;
    const peak = c.memory?.peak;
    if (oom) {
      const reached = Math.max(peak ?? 0, c.memory_limit_bytes ?? 0);
      if (reached > 0) oomMax = Math.max(oomMax ?? 0, reached);
      continue;
    }
    if (!run.complete) continue;
    cleanRuns++;
    const cpu = c.cpu?.[options.cpuPercentile];
    if (cpu !== undefined) cpuMax = Math.max(cpuMax ?? 0, cpu);
    if (peak !== undefined) memoryMax = Math.max(memoryMax ?? 0, peak);
  }
  const base = memoryMax ?? oomMax;
  return {
    cpuCores: cpuMax === undefined ? undefined : roundCpuHalfCore(cpuMax * (1 + options.cpuBuffer)),
    memoryBytes: base === undefined ? undefined
      : roundMemoryPow2(base * (1 + ciSizerHeadroom(base))) * 2 ** consecutiveOoms,
    cleanRuns,
  };
}

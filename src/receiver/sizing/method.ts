// The recommendation method (docs/recommendations.md): per container, weighted percentiles of per-run usage with
// recent runs counting more, a safety margin, bounds that widen when few runs exist, a bump above the limit after
// an OOM kill or a peak at the limit, and rounding to values people write. Pure: runs in, numbers out.
import { roundCpuUp, roundMemoryUp } from './rounding.ts';
import type { ContainerStats, StatName } from './run-stats.ts';
import {
  distribution, effectiveCount, quantile, runWeight, weightedPercentile, type Distribution, type HalfLife, type Weighted,
} from './weighted.ts';

/** One run of the job, as sizing sees it. */
export type RunPoint = {
  readonly id: number;
  readonly runId: string;
  /** RFC 3339, the receiver's clock. */
  readonly receivedAt: string;
  readonly complete: boolean;
  readonly durationSeconds?: number | undefined;
  readonly containers: readonly ContainerStats[];
};

export type SizingOptions = {
  /** How many of the newest runs to use. @default 30 */
  readonly runs: number;
  /** The per-run CPU statistic that CPU is sized on. @default 'p95' */
  readonly cpuPercentile: StatName;
  /** CPU safety margin, a fraction (CI Sizer's `buffer`, 20 = 0.2). @default 0.2 */
  readonly cpuBuffer: number;
  /** @default 10 runs */
  readonly halfLife: HalfLife;
};

export const DEFAULT_SIZING_OPTIONS: SizingOptions = {
  runs: 30, cpuPercentile: 'p95', cpuBuffer: 0.2, halfLife: { unit: 'runs', value: 10 },
};

/** Memory safety margin over the limit's basis (the VPA recommender uses 15% over its percentile alone). */
export const MEMORY_MARGIN = 0.1;
/** At least this much memory above the limit's basis (or the basis itself, if smaller): the VPA's 100 MiB, doubled. */
export const MIN_MEMORY_HEADROOM_BYTES = 256 * 2 ** 20;
/** Room above the highest level in proportion to its distance from the median: wide-ranging jobs get more. */
export const TAIL_FACTOR = 0.5;
/** After an OOM kill at limit L the run counts as needing max(L x 1.2, L + 100 MiB): the VPA's OOM bump. */
export const OOM_BUMP_RATIO = 1.2;
export const OOM_MIN_BUMP_BYTES = 100 * 2 ** 20;
/** A working-set peak at or above this share of the memory limit counts as touching it (reclaim was squeezing). */
export const TOUCH_FRACTION = 0.95;
/** A run throttled in more than this share of CFS periods wanted more CPU than its limit. */
export const THROTTLED_FRACTION = 0.1;
export const CPU_THROTTLE_BUMP = 1.1;
/** Weighted quantiles: requests at the typical run, limits near the top. */
export const REQUEST_QUANTILE = 0.5;
export const CPU_LIMIT_QUANTILE = 0.95;
export const MEMORY_LIMIT_QUANTILE = 0.98;
/** Limits grow by (1 + FEW_RUNS_WIDENING / effective runs): +50% with one run, +2% with 25. */
export const FEW_RUNS_WIDENING = 0.5;

/** A recommended value with the range the same evidence allows: below `lower` the job is likely starved. */
export type Bounded = { readonly value: number; readonly lower: number; readonly upper: number };
export type ResourcePair = { readonly request: Bounded; readonly limit: Bounded };

/** Why a limit was raised: the run that forced it. */
export type Bump = { readonly runId: string; readonly kind: 'oom' | 'touched' | 'throttled'; readonly limit: number };

export type ContainerRecommendation = {
  readonly name: string;
  /** Undefined when no complete run measured the container's CPU. */
  readonly cpu: ResourcePair | undefined;
  readonly memory: ResourcePair | undefined;
  readonly inputs: {
    readonly runs: number;
    readonly cpuRuns: number;
    readonly memoryRuns: number;
    readonly effectiveRuns: number;
    /** Weighted percentiles of the samples (after bumps): cores and bytes. */
    readonly cpu: { readonly p50: number; readonly p95: number; readonly max: number } | undefined;
    readonly memory: { readonly p50: number; readonly p98: number; readonly max: number } | undefined;
    readonly memoryBump: Bump | undefined;
    readonly cpuBump: Bump | undefined;
  };
};

/** `value` is what the run counts as needing (bumped above its limit if it hit it); `raw` what it used. */
type Sample = Weighted & { readonly raw: number; readonly bump?: Bump };

/** OOM kills in a row at the newest end of the window. */
function newestOomStreak(window: readonly RunPoint[], name: string): number {
  let n = 0;
  for (const run of window) {
    const c = run.containers.find((x) => x.name === name);
    if (c === undefined) continue;
    if ((c.oom_kills ?? 0) === 0) break;
    n++;
  }
  return n;
}

/** The container's samples over `window` (newest first). */
function samples(window: readonly RunPoint[], name: string, options: SizingOptions) {
  const newestMs = Date.parse(window[0]?.receivedAt ?? '') || 0;
  const memory: Sample[] = [];
  const cpu: Sample[] = [];
  const consecutiveOoms = newestOomStreak(window, name);
  window.forEach((run, rank) => {
    const c = run.containers.find((x) => x.name === name);
    if (c === undefined) return;
    const weight = runWeight(options.halfLife, rank, Date.parse(run.receivedAt) || newestMs, newestMs);
    const oom = (c.oom_kills ?? 0) > 0;
    const peak = c.memory?.peak;
    const limit = c.memory_limit_bytes;
    if (peak !== undefined || (oom && limit !== undefined)) {
      const used = Math.max(peak ?? 0, oom ? limit ?? 0 : 0); // an OOM-killed run needed at least its limit
      const touched = limit !== undefined && used >= TOUCH_FRACTION * limit;
      let value = used;
      let bump: Bump | undefined;
      if (oom || touched) {
        const base = limit ?? used;
        const escalate = oom && rank === 0 ? OOM_BUMP_RATIO ** (consecutiveOoms - 1) : 1; // killed again and again
        value = Math.max(used, base * OOM_BUMP_RATIO * escalate, base + OOM_MIN_BUMP_BYTES);
        bump = { runId: run.runId, kind: oom ? 'oom' : 'touched', limit: base };
      }
      memory.push({ value, raw: used, weight, ...(bump === undefined ? {} : { bump }) });
    }
    const used = c.cpu?.[options.cpuPercentile];
    if (run.complete && used !== undefined) {
      const cpuLimit = c.cpu_limit_cores;
      const throttled = cpuLimit !== undefined && (c.throttled_fraction ?? 0) > THROTTLED_FRACTION;
      cpu.push(throttled
        ? { value: Math.max(used, cpuLimit * CPU_THROTTLE_BUMP), raw: used, weight, bump: { runId: run.runId, kind: 'throttled', limit: cpuLimit } }
        : { value: used, raw: used, weight });
    }
  });
  return { memory, cpu };
}

/**
 * The highest level a limit must cover: the weighted q-quantile, or the second-highest sample of the window if that
 * is higher. Weights let a single outlier fade within a few half-lives; a level that two runs in the window reached
 * is a pattern (a spiky job), not an outlier, and is kept for the whole window as CI Sizer keeps its maximum.
 */
export function limitTop(d: Distribution, q: number): number {
  const recurring = d.sorted.at(-2)?.value ?? 0;
  return Math.max(quantile(d, q) ?? 0, recurring);
}

/**
 * What a limit is sized on: the top of the (bumped) samples plus TAIL_FACTOR of how far the job's own use ranges
 * from its median to its top: the wider a job's runs vary, the more room above the highest seen.
 */
export function limitBasis(bumped: Distribution, raw: Distribution, q: number): number {
  const rawTop = limitTop(raw, q);
  return limitTop(bumped, q) + TAIL_FACTOR * (rawTop - (quantile(raw, 0.5) ?? rawTop));
}

function pair(s: readonly Sample[], limitQ: number, margin: number, round: (n: number) => number, minHeadroom = 0): ResourcePair {
  const n = effectiveCount(s);
  const d = distribution(s);
  const wp = (q: number) => quantile(d, q) ?? 0;
  const up = 1 + margin;
  const widen = 1 + 1 / n; // the range of plausible values: 2x either way with one run
  const clamp = (value: number, lower: number, upper: number): Bounded =>
    ({ value, lower: Math.min(lower, value), upper: Math.max(upper, value) });
  const basis = limitBasis(d, distribution(s.map((x) => ({ value: x.raw, weight: x.weight }))), limitQ);
  const unrounded = Math.max(basis * up, basis + Math.min(minHeadroom, basis)) * (1 + FEW_RUNS_WIDENING / n);
  const limit = clamp(round(unrounded), round((wp(0.9) * up) / widen), round(unrounded * widen));
  const requestValue = Math.min(round(wp(REQUEST_QUANTILE) * up), limit.value);
  const request = clamp(requestValue, round((wp(0.25) * up) / widen), Math.min(limit.value, round(wp(0.9) * up * widen)));
  return { request, limit };
}

/** The newest bump at or above the quantile the limit came from: the run that decided it, for the reason. */
function decidingBump(s: readonly Sample[], q: number): Bump | undefined {
  const basis = s.length === 0 ? Infinity : limitTop(distribution(s), q);
  return s.find((x) => x.bump !== undefined && x.value >= basis)?.bump;
}

/** Recommends one container from the job's newest runs (`window`, newest first, at most options.runs long). */
export function recommendContainer(window: readonly RunPoint[], name: string, options: SizingOptions): ContainerRecommendation {
  const { memory, cpu } = samples(window, name, options);
  let memoryPair = memory.length === 0 ? undefined : pair(memory, MEMORY_LIMIT_QUANTILE, MEMORY_MARGIN, roundMemoryUp, MIN_MEMORY_HEADROOM_BYTES);
  let memoryBump = decidingBump(memory, MEMORY_LIMIT_QUANTILE);
  // The newest run hit its limit: whatever the percentiles say, the next limit is above the bump.
  const first = memory[0];
  if (memoryPair !== undefined && first?.bump !== undefined && window[0]?.runId === first.bump.runId) {
    const floor = roundMemoryUp(first.value);
    if (memoryPair.limit.value < floor) {
      memoryPair = { ...memoryPair, limit: { ...memoryPair.limit, value: floor, upper: Math.max(memoryPair.limit.upper, floor) } };
      memoryBump = first.bump;
    }
  }
  const wp = (s: readonly Sample[], q: number) => weightedPercentile(s, q) ?? 0;
  return {
    name,
    cpu: cpu.length === 0 ? undefined : pair(cpu, CPU_LIMIT_QUANTILE, options.cpuBuffer, roundCpuUp),
    memory: memoryPair,
    inputs: {
      runs: window.filter((r) => r.containers.some((c) => c.name === name)).length,
      cpuRuns: cpu.length,
      memoryRuns: memory.length,
      effectiveRuns: effectiveCount(memory.length >= cpu.length ? memory : cpu),
      cpu: cpu.length === 0 ? undefined : { p50: wp(cpu, 0.5), p95: wp(cpu, 0.95), max: wp(cpu, 1) },
      memory: memory.length === 0 ? undefined : { p50: wp(memory, 0.5), p98: wp(memory, 0.98), max: wp(memory, 1) },
      memoryBump,
      cpuBump: decidingBump(cpu, CPU_LIMIT_QUANTILE),
    },
  };
}

/** Container names in the window, in the order the newest run lists them, then older ones. */
export function containerNames(window: readonly RunPoint[]): string[] {
  return [...new Set(window.flatMap((r) => r.containers.map((c) => c.name)))];
}

export type ConfidencePhase = 'unknown' | 'learning' | 'confident';
/** CI Sizer's phases: no runs, 1-2 runs, 3 or more. */
export const confidencePhase = (runs: number): ConfidencePhase => (runs === 0 ? 'unknown' : runs < 3 ? 'learning' : 'confident');

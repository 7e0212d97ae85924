// The recommendation method (docs/recommendations.md): per container, weighted percentiles of per-run usage with
// recent runs counting more, a safety margin, bounds that widen when few runs exist, a bump above the limit after
// an OOM kill or a peak at the limit, and rounding to values people write. Pure: runs in, numbers out.
import { roundCpuUp, roundMemoryUp } from './rounding.ts';
import type { ContainerStats, StatName } from './run-stats.ts';
import {
  distribution, effectiveCount, quantile, runWeight, type Distribution, type HalfLife, type Weighted,
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

/**
 * The method's constants. `DEFAULT_METHOD` is what the receiver uses; its memory constants were chosen on the
 * backtest's tuning seeds only (`scripts/sizing-sweep.ts` prints the trade-offs), and docs/recommendations.md reports
 * them on held-out seeds. A parameter object rather than module constants so that the sweep can vary them.
 */
export type MethodParams = {
  /** Memory safety margin over the limit's basis (the VPA recommender uses 15% over its percentile alone). */
  readonly memoryMargin: number;
  /** At least this much memory above the limit's basis (or the basis itself, if smaller): the VPA's 100 MiB, doubled. */
  readonly minMemoryHeadroomBytes: number;
  /**
   * Memory limits are at least the typical (weighted median) run x (1 + memoryJump): room for the next change to the
   * job (a dependency, a bigger test suite) that no run has shown yet, whose first run is killed otherwise.
   */
  readonly memoryJump: number;
  /** Room above the highest level in proportion to its distance from the median: wide-ranging jobs get more. */
  readonly memoryTailFactor: number;
  readonly cpuTailFactor: number;
  /**
   * A second-highest run this share above the weighted median marks a spiky job: its spikes vary, so its highest
   * run is kept for the whole window (Infinity: never; CPU, whose spikes slow a run but never kill it).
   */
  readonly memorySpikyBand: number;
  /** After an OOM kill at limit L the run counts as needing max(L x ratio, L + min bump): the VPA's OOM bump. */
  readonly oomBumpRatio: number;
  readonly oomMinBumpBytes: number;
  /** A working-set peak at or above this share of the memory limit counts as touching it (reclaim was squeezing). */
  readonly touchFraction: number;
  /** A run throttled in more than this share of CFS periods wanted more CPU than its limit, by this factor at least. */
  readonly throttledFraction: number;
  readonly cpuThrottleBump: number;
  /** Weighted quantiles: requests at the typical run, limits near the top. */
  readonly requestQuantile: number;
  readonly cpuLimitQuantile: number;
  readonly memoryLimitQuantile: number;
  /** Limits grow by (1 + fewRunsWidening / effective runs): +50% with one run, +2% with 25. */
  readonly fewRunsWidening: number;
};

export const DEFAULT_METHOD: MethodParams = {
  memoryMargin: 0.1, minMemoryHeadroomBytes: 256 * 2 ** 20, memoryJump: 0.35, memoryTailFactor: 0.05, cpuTailFactor: 0.5,
  memorySpikyBand: 0.1, oomBumpRatio: 1.2, oomMinBumpBytes: 100 * 2 ** 20, touchFraction: 0.95, throttledFraction: 0.1,
  cpuThrottleBump: 1.1, requestQuantile: 0.5, cpuLimitQuantile: 0.95, memoryLimitQuantile: 0.98, fewRunsWidening: 0.5,
};

/** A run throttled in more than this share of CFS periods wanted more CPU than its limit (the backtest's test too). */
export const THROTTLED_FRACTION = DEFAULT_METHOD.throttledFraction;

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
function samples(window: readonly RunPoint[], name: string, options: SizingOptions, p: MethodParams) {
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
      const touched = limit !== undefined && used >= p.touchFraction * limit;
      let value = used;
      let bump: Bump | undefined;
      if (oom || touched) {
        const base = limit ?? used;
        const escalate = oom && rank === 0 ? p.oomBumpRatio ** (consecutiveOoms - 1) : 1; // killed again and again
        value = Math.max(used, base * p.oomBumpRatio * escalate, base + p.oomMinBumpBytes);
        bump = { runId: run.runId, kind: oom ? 'oom' : 'touched', limit: base };
      }
      memory.push({ value, raw: used, weight, ...(bump === undefined ? {} : { bump }) });
    }
    const used = c.cpu?.[options.cpuPercentile];
    if (run.complete && used !== undefined) {
      const cpuLimit = c.cpu_limit_cores;
      const throttled = cpuLimit !== undefined && (c.throttled_fraction ?? 0) > p.throttledFraction;
      cpu.push(throttled
        ? { value: Math.max(used, cpuLimit * p.cpuThrottleBump), raw: used, weight, bump: { runId: run.runId, kind: 'throttled', limit: cpuLimit } }
        : { value: used, raw: used, weight });
    }
  });
  return { memory, cpu };
}

/**
 * The highest level a limit must cover: the weighted q-quantile, or the second-highest sample of the window if that
 * is higher, or the highest if the second-highest is itself `band` above the weighted median. Weights let a single
 * outlier fade within a few half-lives; a level that two runs in the window reached is a pattern, not an outlier, and
 * is kept for the whole window; and a job with two or more runs far above its typical one is spiky: its spikes
 * vary, so the highest of them is kept, as CI Sizer keeps its maximum.
 */
export function limitTop(d: Distribution, q: number, band: number): number {
  const second = d.sorted.at(-2)?.value ?? 0;
  const spiky = second > (quantile(d, 0.5) ?? Infinity) * (1 + band);
  return Math.max(quantile(d, q) ?? 0, spiky ? d.sorted.at(-1)?.value ?? 0 : second);
}

/**
 * What a limit is sized on: the top of the (bumped) samples plus `tailFactor` of how far the job's own use ranges
 * from its median to its top: the wider a job's runs vary, the more room above the highest seen.
 */
export function limitBasis(bumped: Distribution, raw: Distribution, q: number, tail: number, band: number): number {
  const rawTop = limitTop(raw, q, band);
  return limitTop(bumped, q, band) + tail * (rawTop - (quantile(raw, 0.5) ?? rawTop));
}

/** How one resource's limit is sized: the quantile, margin and rounding, and the room above the top. */
type Sizing = {
  readonly limitQ: number; readonly margin: number; readonly round: (n: number) => number;
  readonly minHeadroom: number; readonly jump: number; readonly tail: number; readonly band: number;
};

/** `d` is distribution(s), shared with the caller: the backtest sizes every run of a history, and sorting dominates. */
function pair(s: readonly Sample[], d: Distribution, z: Sizing, p: MethodParams): ResourcePair {
  const n = effectiveCount(s);
  const wp = (q: number) => quantile(d, q) ?? 0;
  const up = 1 + z.margin;
  const widen = 1 + 1 / n; // the range of plausible values: 2x either way with one run
  const clamp = (value: number, lower: number, upper: number): Bounded =>
    ({ value, lower: Math.min(lower, value), upper: Math.max(upper, value) });
  const raw = s.some((x) => x.value !== x.raw) ? distribution(s.map((x) => ({ value: x.raw, weight: x.weight }))) : d;
  const basis = limitBasis(d, raw, z.limitQ, z.tail, z.band);
  const typical = (quantile(raw, 0.5) ?? 0) * (1 + z.jump);
  const unrounded = Math.max(basis * up, basis + Math.min(z.minHeadroom, basis), typical) * (1 + p.fewRunsWidening / n);
  const limit = clamp(z.round(unrounded), z.round((wp(0.9) * up) / widen), z.round(unrounded * widen));
  const requestValue = Math.min(z.round(wp(p.requestQuantile) * up), limit.value);
  const request = clamp(requestValue, z.round((wp(0.25) * up) / widen), Math.min(limit.value, z.round(wp(0.9) * up * widen)));
  return { request, limit };
}

const memorySizing = (p: MethodParams): Sizing => ({ limitQ: p.memoryLimitQuantile, margin: p.memoryMargin, round: roundMemoryUp,
  minHeadroom: p.minMemoryHeadroomBytes, jump: p.memoryJump, tail: p.memoryTailFactor, band: p.memorySpikyBand });
const cpuSizing = (p: MethodParams, o: SizingOptions): Sizing => ({ limitQ: p.cpuLimitQuantile, margin: o.cpuBuffer, round: roundCpuUp,
  minHeadroom: 0, jump: 0, tail: p.cpuTailFactor, band: Infinity });

/** The newest bump at or above the quantile the limit came from: the run that decided it, for the reason. */
function decidingBump(s: readonly Sample[], d: Distribution, q: number, band: number): Bump | undefined {
  const basis = s.length === 0 ? Infinity : limitTop(d, q, band);
  return s.find((x) => x.bump !== undefined && x.value >= basis)?.bump;
}

/** Recommends one container from the job's newest runs (`window`, newest first, at most options.runs long). */
export function recommendContainer(window: readonly RunPoint[], name: string, options: SizingOptions,
  p: MethodParams = DEFAULT_METHOD): ContainerRecommendation {
  const { memory, cpu } = samples(window, name, options, p);
  const md = distribution(memory);
  const cd = distribution(cpu);
  let memoryPair = memory.length === 0 ? undefined : pair(memory, md, memorySizing(p), p);
  let memoryBump = decidingBump(memory, md, p.memoryLimitQuantile, p.memorySpikyBand);
  // The newest run hit its limit: whatever the percentiles say, the next limit is above the bump.
  const first = memory[0];
  if (memoryPair !== undefined && first?.bump !== undefined && window[0]?.runId === first.bump.runId) {
    const floor = roundMemoryUp(first.value);
    if (memoryPair.limit.value < floor) {
      memoryPair = { ...memoryPair, limit: { ...memoryPair.limit, value: floor, upper: Math.max(memoryPair.limit.upper, floor) } };
      memoryBump = first.bump;
    }
  }
  const wp = (d: Distribution, q: number) => quantile(d, q) ?? 0;
  return {
    name,
    cpu: cpu.length === 0 ? undefined : pair(cpu, cd, cpuSizing(p, options), p),
    memory: memoryPair,
    inputs: {
      runs: window.filter((r) => r.containers.some((c) => c.name === name)).length,
      cpuRuns: cpu.length,
      memoryRuns: memory.length,
      effectiveRuns: effectiveCount(memory.length >= cpu.length ? memory : cpu),
      cpu: cpu.length === 0 ? undefined : { p50: wp(cd, 0.5), p95: wp(cd, 0.95), max: wp(cd, 1) },
      memory: memory.length === 0 ? undefined : { p50: wp(md, 0.5), p98: wp(md, 0.98), max: wp(md, 1) },
      memoryBump,
      cpuBump: decidingBump(cpu, cd, p.cpuLimitQuantile, Infinity),
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

// Run statistics of one series: peak, average and percentiles, from every value. The accumulator counts values in
// bounded memory instead (distribution.ts); these are the definition it is tested against.
import type { Stats } from './types.ts';

/**
 * The p-th percentile (0..1) of ascending `sorted` by linear interpolation between the closest ranks
 * (Hyndman & Fan type 7, numpy's and Excel's default): rank h = (n - 1) p, value = x[floor h] +
 * (h - floor h)(x[floor h + 1] - x[floor h]). p50 of [1, 2, 3, 4] is 2.5; p95 of 1..100 is 95.05.
 */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  return percentileOfRanks(sorted.length, p, (rank) => sorted[rank]!);
}

/** The same over `n` values known by rank: `at(r)` is the r-th smallest (0-based); a counted distribution's. */
export function percentileOfRanks(n: number, p: number, at: (rank: number) => number): number {
  if (n === 0) return 0;
  const h = (n - 1) * p;
  const lo = Math.floor(h);
  const below = at(lo);
  return lo + 1 < n ? below + (h - lo) * (at(lo + 1) - below) : below;
}

/** Statistics of the values; all zeros for an empty series (a run shorter than one interval). */
export function computeStats(values: Float64Array, round: (n: number) => number = (n) => n): Stats {
  const sorted = Float64Array.from(values).sort();
  let sum = 0;
  for (const v of sorted) sum += v;
  const n = sorted.length;
  return {
    peak: round(n === 0 ? 0 : sorted[n - 1]!),
    p99: round(percentile(sorted, 0.99)),
    p95: round(percentile(sorted, 0.95)),
    p75: round(percentile(sorted, 0.75)),
    p50: round(percentile(sorted, 0.5)),
    avg: round(n === 0 ? 0 : sum / n),
  };
}

export const roundTo = (decimals: number) => {
  const f = 10 ** decimals;
  return (n: number) => Math.round(n * f) / f;
};

// Order statistics for benchmark figures: medians over repetitions, percentiles of latencies.
// Pure functions over plain arrays.

/** The median; the mean of the middle two for an even count; NaN for none. */
export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const n = s.length;
  if (n === 0) return NaN;
  return n % 2 === 1 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
}

/** The p-th percentile (0..100) of ascending `sorted`, nearest rank (the value at or below which p% of them lie). */
export function percentileSorted(sorted: readonly number[] | Float64Array, p: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  return sorted[Math.min(n - 1, Math.max(0, Math.ceil((p / 100) * n) - 1))]!;
}

export function minMax(values: readonly number[]): [number, number] {
  return [Math.min(...values), Math.max(...values)];
}

/** `median (min..max)` with `d` decimals, or the single value when there is one. */
export function spread(values: readonly number[], d: number): string {
  if (values.length === 0) return '-';
  const m = median(values).toFixed(d);
  if (values.length === 1) return m;
  const [lo, hi] = minMax(values);
  return `${m} (${lo.toFixed(d)}..${hi.toFixed(d)})`;
}

/** A ratio `a / b` as `1.23x`, or `-` when either side is missing. */
export function ratio(a: number, b: number, d = 2): string {
  return Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? `${(a / b).toFixed(d)}x` : '-';
}

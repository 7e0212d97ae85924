// Downsamples a run's series to at most `maxPoints` points for charts: each point covers the same number of
// consecutive intervals and keeps their max and average, so a short spike is never averaged away.
import type { SeriesPoints } from './types.ts';

/** Intervals per point so that `length` values fit in `maxPoints` points. */
export const perPoint = (length: number, maxPoints: number): number => Math.max(1, Math.ceil(length / Math.max(1, maxPoints)));

export function downsample(values: Float64Array, per: number, round: (n: number) => number): SeriesPoints {
  const points = Math.ceil(values.length / per);
  const max = new Array<number>(points), avg = new Array<number>(points);
  for (let p = 0; p < points; p++) {
    const from = p * per, to = Math.min(values.length, from + per);
    let hi = -Infinity, sum = 0;
    for (let i = from; i < to; i++) {
      const v = values[i]!;
      if (v > hi) hi = v;
      sum += v;
    }
    max[p] = round(hi);
    avg[p] = round(sum / (to - from));
  }
  return { max, avg };
}

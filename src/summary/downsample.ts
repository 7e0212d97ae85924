// Downsamples a run's series for charts as the values arrive, in memory that does not grow with the run: each point
// covers the same number of consecutive intervals and keeps their max and average, so a short spike is never
// averaged away. It keeps at most 4 x points buckets; when they are full, adjacent pairs merge and a bucket covers
// twice the intervals. A point is 1 to 4 whole buckets: the intervals per point are ceil(n / points), as when every
// value was kept, for runs of up to 4 x points intervals; longer runs get between 2/3 x points and points points.
import type { SeriesPoints } from './types.ts';

export class Downsampler {
  readonly #capacity: number;
  readonly #max: Float64Array;
  readonly #sum: Float64Array;
  /** Intervals per bucket. */
  #width = 1;
  /** Intervals added; bucket b covers intervals [b x width, (b + 1) x width). */
  #length = 0;

  /** `points`: the most points a summary shows (the buckets kept are four times that). */
  constructor(points: number) {
    this.#capacity = 4 * Math.max(1, points);
    this.#max = new Float64Array(this.#capacity);
    this.#sum = new Float64Array(this.#capacity);
  }

  get length(): number {
    return this.#length;
  }

  add(value: number): void {
    let b = Math.floor(this.#length / this.#width);
    if (b === this.#capacity) { this.#halve(); b = Math.floor(this.#length / this.#width); }
    if (this.#length % this.#width === 0) { this.#max[b] = value; this.#sum[b] = value; }
    else {
      if (value > this.#max[b]!) this.#max[b] = value;
      this.#sum[b]! += value;
    }
    this.#length++;
  }

  /** Adds `other` interval by interval: both must hold the same number of intervals (one run's clock). */
  addElementwise(other: Downsampler): void {
    if (other.#length !== this.#length || other.#width !== this.#width) {
      throw new Error(`downsampler: ${other.#length} intervals at width ${other.#width}, want ${this.#length} at ${this.#width}`);
    }
    const buckets = Math.ceil(this.#length / this.#width);
    for (let b = 0; b < buckets; b++) {
      // The max of a sum is the sum of the maxes only where at most one of the two is non-zero in each interval:
      // the caller merges series that never had values in the same interval (accumulator.ts), and values are >= 0.
      this.#max[b] = Math.max(this.#max[b]!, other.#max[b]!);
      this.#sum[b]! += other.#sum[b]!;
    }
  }

  clone(): Downsampler {
    const c = new Downsampler(this.#capacity / 4);
    c.#max.set(this.#max);
    c.#sum.set(this.#sum);
    c.#width = this.#width;
    c.#length = this.#length;
    return c;
  }

  /** Intervals per point such that the intervals so far fit in `points` points. */
  perPoint(points: number): number {
    return this.#width * Math.max(1, Math.ceil(Math.ceil(this.#length / this.#width) / Math.max(1, points)));
  }

  /** The series as points of `perPoint(points)` intervals each; the last point may cover fewer. */
  points(points: number, round: (n: number) => number): SeriesPoints {
    const per = this.perPoint(points), group = per / this.#width;
    const n = Math.ceil(this.#length / per);
    const max = new Array<number>(n), avg = new Array<number>(n);
    for (let p = 0; p < n; p++) {
      let hi = -Infinity, sum = 0;
      for (let b = p * group; b < (p + 1) * group && b * this.#width < this.#length; b++) {
        if (this.#max[b]! > hi) hi = this.#max[b]!;
        sum += this.#sum[b]!;
      }
      max[p] = round(hi);
      avg[p] = round(sum / (Math.min(this.#length, (p + 1) * per) - p * per));
    }
    return { max, avg };
  }

  #halve(): void {
    for (let b = 0; b < this.#capacity / 2; b++) {
      this.#max[b] = Math.max(this.#max[2 * b]!, this.#max[2 * b + 1]!);
      this.#sum[b] = this.#sum[2 * b]! + this.#sum[2 * b + 1]!;
    }
    this.#width *= 2;
  }
}

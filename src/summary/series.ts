// One series of a run (a container's CPU, say) in memory that does not grow with the run: a distribution for its
// statistics and, optionally, downsampled chart points. The last DELAY intervals' values wait in a ring before they
// are counted, so that a cgroup named late (CGROUP_PROCESS_MAP matches its process a few intervals after it
// appeared) can still be added interval by interval to the series of another cgroup of the same name.
import { Distribution, type DistributionOptions } from './distribution.ts';
import { Downsampler } from './downsample.ts';
import type { SeriesPoints, Stats } from './types.ts';

/** Intervals a value waits before it is counted: 256 is 8.5 minutes at the default 2 s. */
export const DELAY = 256;

export class Series {
  /** The last DELAY intervals' values by interval % DELAY; NaN where the series had no value. */
  readonly #recent = new Float64Array(DELAY).fill(NaN);
  readonly #distribution: Distribution;
  readonly #chart: Downsampler | undefined;
  #length = 0;

  /** `points` 0: no chart points. */
  constructor(options: DistributionOptions, points: number) {
    this.#distribution = new Distribution(options);
    this.#chart = points > 0 ? new Downsampler(points) : undefined;
  }

  /** Intervals so far, with or without a value. */
  get length(): number {
    return this.#length;
  }

  /** Whether any value has been counted: false while every value the series had is still in the ring. */
  get counted(): boolean {
    return this.#distribution.count > 0;
  }

  /** The next interval's value; NaN for an interval without one (it counts as 0). */
  push(value: number): void {
    const at = this.#length % DELAY;
    if (this.#length >= DELAY) this.#count(this.#distribution, this.#chart, this.#recent[at]!);
    this.#recent[at] = value;
    this.#length++;
  }

  /** Pads with intervals without a value up to `length`: a container that appears mid-run used nothing before. */
  padTo(length: number): void {
    while (this.#length < length) this.push(NaN);
  }

  /**
   * Adds `other`, of the same length, interval by interval. Exact for the intervals still in the ring; for those
   * counted, only if the two never had a value in the same interval (the caller checks).
   */
  add(other: Series): void {
    if (other.#length !== this.#length) throw new Error(`series: adding ${other.#length} intervals to ${this.#length}`);
    for (let i = 0; i < DELAY; i++) {
      const a = this.#recent[i]!, b = other.#recent[i]!;
      this.#recent[i] = Number.isNaN(a) ? b : Number.isNaN(b) ? a : a + b;
    }
    this.#distribution.merge(other.#distribution);
    if (this.#chart !== undefined && other.#chart !== undefined) this.#chart.addElementwise(other.#chart);
  }

  /** Statistics over every interval; leaves the series as it was (checkpoints are taken mid-run). */
  stats(round: (n: number) => number): Stats {
    const d = this.#distribution.clone();
    this.#forRecent((v) => this.#count(d, undefined, v));
    return d.stats(this.#length, round);
  }

  /** Chart points over every interval (at most `points`), and the intervals each covers; undefined without a chart. */
  points(points: number, round: (n: number) => number): { perPoint: number; points: SeriesPoints } | undefined {
    if (this.#chart === undefined) return undefined;
    const c = this.#chart.clone();
    this.#forRecent((v) => c.add(Number.isNaN(v) ? 0 : v));
    return { perPoint: c.perPoint(points), points: c.points(points, round) };
  }

  /** The ring's values, oldest first. */
  #forRecent(f: (value: number) => void): void {
    for (let i = Math.max(0, this.#length - DELAY); i < this.#length; i++) f(this.#recent[i % DELAY]!);
  }

  #count(d: Distribution, chart: Downsampler | undefined, v: number): void {
    if (!Number.isNaN(v)) d.add(v);
    chart?.add(Number.isNaN(v) ? 0 : v);
  }
}

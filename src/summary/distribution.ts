// The distribution of one series' interval values in memory that does not grow with the run: what peak, avg and
// the type-7 percentiles need. Values are counted at the precision the summary prints (a key per 1e-4 cores, per
// byte), exactly while a series has few enough distinct keys; past that, in logarithmic buckets (DDSketch, Masson,
// Rim and Lee, VLDB 2019) whose value is within a stated relative error of every key they hold.
import { percentileOfRanks } from './stats.ts';
import type { Stats } from './types.ts';

export type DistributionOptions = {
  /** Keys per unit: value v is counted as the key round(v x scale), so 1e4 counts cores at the printed 1e-4. */
  readonly scale: number;
  /** Distinct keys counted exactly (12 bytes each); one more turns the distribution into buckets. */
  readonly exactLimit: number;
  /** Once bucketed, every percentile is within this fraction of the exact one (0.001 = 0.1%). */
  readonly relativeError: number;
};

// Keys wait here, unsorted, and are merged into the sorted arrays a batch at a time: an add costs O(1) amortised
// instead of a shift of the sorted arrays per new key. The merge works in place, so that a long run does not
// allocate (and fragment the allocator with) a new array per batch: resident memory stays flat.
const PENDING = 512;
/** The batch, run-length encoded: one scratch for every distribution (a merge never yields). */
const batchKeys = new Float64Array(PENDING), batchCounts = new Uint32Array(PENDING);

type Buckets = { readonly gamma: number; readonly logGamma: number; offset: number; counts: Uint32Array };

export class Distribution {
  readonly #o: DistributionOptions;
  #count = 0;
  #sum = 0;
  #max = 0;
  /** Ascending distinct keys and their counts in [0, #distinct); the arrays have room to merge a batch. */
  #keys = new Float64Array(0);
  #counts = new Uint32Array(0);
  #distinct = 0;
  #pending = new Float64Array(PENDING);
  #pendingLength = 0;
  /** Set once the distinct keys exceeded the limit; #keys and #counts are then empty. */
  #buckets: Buckets | undefined;
  /** Keys of value 0, counted apart once bucketed (no logarithm of 0). */
  #zeros = 0;

  constructor(options: DistributionOptions) {
    this.#o = options;
  }

  /** Values counted (the intervals in which the series had a value). */
  get count(): number {
    return this.#count;
  }

  /** Whether every percentile is exact at the precision of the keys. */
  get exact(): boolean {
    return this.#buckets === undefined;
  }

  /** Adds one interval's value; rates and sizes are never negative, so a negative value counts as 0. */
  add(value: number): void {
    const v = value > 0 ? value : 0;
    this.#count++;
    this.#sum += v;
    if (v > this.#max) this.#max = v;
    const key = Math.round(v * this.#o.scale);
    if (this.#buckets !== undefined) return this.#addBucketed(key, 1);
    this.#pending[this.#pendingLength++] = key;
    if (this.#pendingLength === PENDING) this.#flush();
  }

  /** Adds every value of `other` (same options): the union of two series that never had a value in the same interval. */
  merge(other: Distribution): void {
    other.#flush();
    this.#flush();
    this.#count += other.#count;
    this.#sum += other.#sum;
    if (other.#max > this.#max) this.#max = other.#max;
    if (other.#buckets !== undefined && this.#buckets === undefined) this.#toBuckets();
    if (this.#buckets === undefined) {
      this.#mergeSorted(other.#keys, other.#counts, other.#distinct);
      if (this.#distinct > this.#o.exactLimit) this.#toBuckets();
      return;
    }
    for (let i = 0; i < other.#distinct; i++) this.#addBucketed(other.#keys[i]!, other.#counts[i]!);
    if (other.#buckets !== undefined) {
      this.#zeros += other.#zeros;
      const b = other.#buckets;
      for (let i = 0; i < b.counts.length; i++) if (b.counts[i]! > 0) this.#addIndex(b.offset + i, b.counts[i]!);
    }
  }

  clone(): Distribution {
    this.#flush();
    const c = new Distribution(this.#o);
    c.#count = this.#count; c.#sum = this.#sum; c.#max = this.#max; c.#zeros = this.#zeros;
    c.#keys = this.#keys.slice(0, this.#distinct); c.#counts = this.#counts.slice(0, this.#distinct); c.#distinct = this.#distinct;
    if (this.#buckets !== undefined) c.#buckets = { ...this.#buckets, counts: this.#buckets.counts.slice() };
    return c;
  }

  /**
   * Statistics over `intervals` values: the ones added, and a 0 for each interval the series had none (a container
   * before it appeared). Peak and avg are exact; the percentiles are type 7 (stats.ts) over the keys, so exact at
   * the keys' precision, or, once bucketed, within the relative error, which `percentile_relative_error` then states.
   */
  stats(intervals: number, round: (n: number) => number): Stats {
    this.#flush();
    const n = Math.max(intervals, this.#count);
    const zeros = n - this.#count;
    // A bucket's value may lie above the largest value it holds: never report a percentile above the peak.
    const at = (rank: number) => {
      const v = this.#valueAt(rank, zeros) / this.#o.scale;
      return this.#buckets === undefined ? v : Math.min(this.#max, v);
    };
    const percentile = (p: number) => percentileOfRanks(n, p, at);
    return {
      peak: round(this.#max), p99: round(percentile(0.99)), p95: round(percentile(0.95)), p75: round(percentile(0.75)),
      p50: round(percentile(0.5)), avg: round(n === 0 ? 0 : this.#sum / n),
      ...(this.#buckets === undefined ? {} : { percentile_relative_error: this.#o.relativeError }),
    };
  }

  /** The key of rank `rank` (0 = smallest) among `zeros` zeros and the values added. */
  #valueAt(rank: number, zeros: number): number {
    let left = rank - zeros;
    if (left < 0) return 0;
    if (this.#buckets === undefined) {
      for (let i = 0; i < this.#distinct; i++) if ((left -= this.#counts[i]!) < 0) return this.#keys[i]!;
      return this.#distinct === 0 ? 0 : this.#keys[this.#distinct - 1]!;
    }
    if ((left -= this.#zeros) < 0) return 0;
    const b = this.#buckets;
    for (let i = 0; i < b.counts.length; i++) {
      // Bucket k holds keys in (gamma^(k-1), gamma^k]; this value is within (gamma-1)/(gamma+1) of each of them.
      if ((left -= b.counts[i]!) < 0) return (2 * b.gamma ** (b.offset + i)) / (b.gamma + 1);
    }
    return this.#max * this.#o.scale;
  }

  #flush(): void {
    if (this.#pendingLength === 0) return;
    const batch = this.#pending.subarray(0, this.#pendingLength).sort();
    this.#pendingLength = 0;
    if (this.#buckets !== undefined) {
      for (const key of batch) this.#addBucketed(key, 1);
      return;
    }
    // Run-length encode the sorted batch, then merge it with the sorted keys.
    let m = 0;
    for (const key of batch) {
      if (m > 0 && batchKeys[m - 1] === key) batchCounts[m - 1]!++;
      else { batchKeys[m] = key; batchCounts[m++] = 1; }
    }
    this.#mergeSorted(batchKeys, batchCounts, m);
    if (this.#distinct > this.#o.exactLimit) this.#toBuckets();
  }

  /** Merges m ascending distinct keys into #keys, from the back, in place; equal keys add their counts. */
  #mergeSorted(keys: Float64Array, counts: Uint32Array, m: number): void {
    const d = this.#distinct;
    if (d + m > this.#keys.length) {
      // Never more room than the limit needs: the arrays are the series' memory until it turns into buckets.
      const room = Math.max(d + m, Math.min(Math.max(64, 2 * this.#keys.length), this.#o.exactLimit + PENDING));
      const grownKeys = new Float64Array(room), grownCounts = new Uint32Array(room);
      grownKeys.set(this.#keys.subarray(0, d)); grownCounts.set(this.#counts.subarray(0, d));
      this.#keys = grownKeys; this.#counts = grownCounts;
    }
    const k = this.#keys, c = this.#counts;
    let i = d - 1, j = m - 1, o = d + m - 1;
    while (j >= 0) {
      if (i >= 0 && k[i]! > keys[j]!) { k[o] = k[i]!; c[o--] = c[i--]!; }
      else if (i >= 0 && k[i] === keys[j]) { k[o] = k[i]!; c[o--] = c[i--]! + counts[j--]!; }
      else { k[o] = keys[j]!; c[o--] = counts[j--]!; }
    }
    // Keys below i are in place; equal keys left a gap of (o - i) slots between them and the merged ones.
    const gap = o - i;
    if (gap > 0) { k.copyWithin(i + 1, o + 1, d + m); c.copyWithin(i + 1, o + 1, d + m); }
    this.#distinct = d + m - gap;
  }

  #toBuckets(): void {
    const gamma = (1 + this.#o.relativeError) / (1 - this.#o.relativeError);
    this.#buckets = { gamma, logGamma: Math.log(gamma), offset: 0, counts: new Uint32Array(0) };
    const keys = this.#keys, counts = this.#counts, distinct = this.#distinct;
    this.#keys = new Float64Array(0);
    this.#counts = new Uint32Array(0);
    this.#distinct = 0;
    for (let i = 0; i < distinct; i++) this.#addBucketed(keys[i]!, counts[i]!);
  }

  #addBucketed(key: number, count: number): void {
    if (key === 0) this.#zeros += count;
    else this.#addIndex(Math.ceil(Math.log(key) / this.#buckets!.logGamma), count);
  }

  /** Counts into bucket `index`, growing the dense window of buckets to reach it. */
  #addIndex(index: number, count: number): void {
    const b = this.#buckets!;
    if (b.counts.length === 0) { b.offset = index; b.counts = new Uint32Array(16); }
    if (index < b.offset || index >= b.offset + b.counts.length) {
      const from = Math.min(b.offset, index), to = Math.max(b.offset + b.counts.length, index + 1);
      const grown = new Uint32Array(to - from + Math.ceil((to - from) / 4)); // headroom above: values mostly rise
      grown.set(b.counts, b.offset - from);
      b.offset = from;
      b.counts = grown;
    }
    b.counts[index - b.offset]! += count;
  }
}

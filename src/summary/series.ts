// A growable array of float64 samples: 8 bytes a value, no boxing. A 6-hour job at 2 s is 10,800 values
// (84 KiB) per series, so keeping every value for exact percentiles costs little.

export class Series {
  #values: Float64Array;
  #length = 0;

  constructor(initialCapacity = 256) {
    this.#values = new Float64Array(initialCapacity);
  }

  get length(): number {
    return this.#length;
  }

  push(value: number): void {
    if (this.#length === this.#values.length) {
      const bigger = new Float64Array(this.#values.length * 2);
      bigger.set(this.#values);
      this.#values = bigger;
    }
    this.#values[this.#length++] = value;
  }

  /** Pads with `value` up to `length` entries: a container that appears mid-run used nothing before. */
  padTo(length: number, value = 0): void {
    while (this.#length < length) this.push(value);
  }

  /** A view of the values; valid until the next push. */
  values(): Float64Array {
    return this.#values.subarray(0, this.#length);
  }

  /** Element-wise sum of aligned series (containers that share one name). */
  static sum(series: readonly Series[]): Series {
    const out = new Series(Math.max(1, ...series.map((s) => s.length)));
    for (const s of series) {
      const v = s.values();
      out.padTo(v.length);
      const o = out.#values;
      for (let i = 0; i < v.length; i++) o[i] = o[i]! + v[i]!;
    }
    return out;
  }
}

// Weighted statistics over runs: recent runs count more, with a half-life in runs or in days, as the Kubernetes
// VPA recommender decays its histograms (half-life 24 h there; CI jobs run irregularly, so runs are the default).

/** How fast a run's weight halves: every `runs` newer runs, or every `days` of age before the newest run. */
export type HalfLife = { readonly unit: 'runs'; readonly value: number } | { readonly unit: 'days'; readonly value: number };

export type Weighted = { readonly value: number; readonly weight: number };

const DAY_MS = 86_400_000;

/**
 * The weight of a run `rank` places before the newest (0 = newest), received at `atMs`, when the newest was at
 * `newestMs`: 1 for the newest, 0.5 one half-life before it.
 */
export function runWeight(halfLife: HalfLife, rank: number, atMs: number, newestMs: number): number {
  const age = halfLife.unit === 'runs' ? rank : Math.max(0, newestMs - atMs) / DAY_MS;
  return 0.5 ** (age / halfLife.value);
}

/** Samples sorted by value once, for several quantiles. */
export type Distribution = {
  readonly sorted: readonly Weighted[];
  /** Cumulative weight up to and including sorted[i]. */
  readonly cumulative: readonly number[];
  readonly total: number;
};

export function distribution(samples: readonly Weighted[]): Distribution {
  const sorted = samples.filter((s) => s.weight > 0).sort((a, b) => a.value - b.value);
  let total = 0;
  const cumulative = sorted.map((s) => (total += s.weight));
  return { sorted, cumulative, total };
}

/**
 * The weighted q-quantile: the smallest value whose cumulative weight (values sorted ascending) reaches q of the
 * total. A step function like VPA's histogram percentile: no interpolation, so it is always a value that was seen,
 * q = 1 is the maximum and a value holding less than 1 - q of the weight cannot be the answer.
 */
export function quantile(d: Distribution, q: number): number | undefined {
  const target = q * d.total * (1 - 1e-12); // 1e-12: float sums never miss q = 1 by rounding
  for (let i = 0; i < d.sorted.length; i++) if ((d.cumulative[i] ?? 0) >= target) return d.sorted[i]?.value;
  return d.sorted.at(-1)?.value;
}

export const weightedPercentile = (samples: readonly Weighted[], q: number): number | undefined => quantile(distribution(samples), q);

/** Kish's effective sample size (Σw)² / Σw²: how many equally weighted runs the weighted runs are worth. */
export function effectiveCount(samples: readonly Weighted[]): number {
  const sum = samples.reduce((n, s) => n + s.weight, 0);
  const squares = samples.reduce((n, s) => n + s.weight * s.weight, 0);
  return squares === 0 ? 0 : (sum * sum) / squares;
}

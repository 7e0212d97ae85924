// Realistic synthetic job histories for the backtest and the dashboard's tests: steady, spiky, growing, one
// outlier, OOM-killed. Seeded, so every run of the backtest gives the same table. Each scenario has five jobs, one
// per octave from 256 MiB, whose typical peaks are spread evenly over an octave (log scale) and turned by a random
// amount per seed, so that over many seeds no method gains or loses from where powers of two fall.
import type { RunPoint } from './method.ts';
import { roundMemoryPow2, roundMemoryUp } from './rounding.ts';
import type { ContainerStats } from './run-stats.ts';

export const SCENARIOS = ['steady', 'spiky', 'growing', 'outlier', 'oom-killed'] as const;
export type Scenario = (typeof SCENARIOS)[number];
export type SyntheticJob = { readonly scenario: Scenario; readonly job: string; readonly runs: readonly RunPoint[] };

const MI = 2 ** 20;
/** Typical memory peak (MiB: 2^k x 2^(0, 0.2, ..., 0.8)) and CPU p95 (cores) of the five jobs of a scenario. */
export type Level = { readonly memoryBytes: number; readonly cpuCores: number };
export const LEVELS: readonly Level[] = [
  { memoryBytes: 256 * MI, cpuCores: 0.35 },
  { memoryBytes: Math.round(512 * 2 ** 0.2) * MI, cpuCores: 0.8 },
  { memoryBytes: Math.round(1024 * 2 ** 0.4) * MI, cpuCores: 1.45 },
  { memoryBytes: Math.round(2048 * 2 ** 0.6) * MI, cpuCores: 2.3 },
  { memoryBytes: Math.round(4096 * 2 ** 0.8) * MI, cpuCores: 3.9 },
];

/**
 * LEVELS turned by `turn` (0-1) of an octave: job k's peak moves from 2^(k + k/5) to 2^(k + frac(k/5 + turn)) x 256 MiB,
 * its CPU in proportion. The five positions stay a fifth of an octave apart, so each seed is an even spread; over
 * many seeds every position is sampled, where fixed positions would favour whichever method their rounding suits.
 */
export function turnedLevels(turn: number): Level[] {
  return LEVELS.map((level, k) => {
    const from = k / LEVELS.length;
    const to = (from + turn) % 1;
    return { memoryBytes: Math.round(level.memoryBytes * 2 ** (to - from) / MI) * MI, cpuCores: level.cpuCores * 2 ** (to - from) };
  });
}

/** mulberry32: a small, fast, well-mixed 32-bit PRNG; good enough for test data. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Draw = { rand: () => number; normal: () => number; uniform: (lo: number, hi: number) => number };
function draws(seed: number): Draw {
  const rand = prng(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand()); // Box-Muller
  return { rand, normal, uniform: (lo, hi) => lo + (hi - lo) * rand() };
}

/** What one run of a job truly needs, before the limits in force shaped its record. */
type Need = { memory: number; cpuP95: number };

/**
 * The run of a history of n runs that nothing before it predicts: the outlier (2.5x), or the first after the
 * OOM-killed job's need steps up (1.4x). Undefined for the other scenarios. The backtest reports it apart.
 */
export function surpriseRun(scenario: Scenario, n: number): number | undefined {
  return scenario === 'outlier' ? Math.floor(n / 3) : scenario === 'oom-killed' ? Math.floor(0.4 * n) : undefined;
}

function needs(scenario: Scenario, level: Level, i: number, n: number, d: Draw): Need {
  const m = level.memoryBytes;
  const c = level.cpuCores;
  const noise = (sigma: number) => Math.exp(sigma * d.normal());
  switch (scenario) {
    case 'steady': return { memory: m * noise(0.04), cpuP95: c * noise(0.08) };
    case 'spiky': return { memory: m * noise(0.06) * (d.rand() < 0.15 ? d.uniform(1.3, 1.8) : 1), cpuP95: c * noise(0.3) };
    case 'growing': { const g = 0.7 + (0.8 * i) / n; return { memory: m * g * noise(0.04), cpuP95: c * g * noise(0.08) }; }
    case 'outlier': {
      const odd = i === surpriseRun(scenario, n);
      return { memory: m * noise(0.04) * (odd ? 2.5 : 1), cpuP95: c * noise(0.08) * (odd ? 2.5 : 1) };
    }
    case 'oom-killed': return { memory: m * noise(0.04) * (i >= (surpriseRun(scenario, n) ?? n) ? 1.4 : 1), cpuP95: c * noise(0.08) };
  }
}

/**
 * The limits people set: memory a power of two 1.6-3.2x the typical peak, CPU about twice the p95 in half cores;
 * for the outlier's jobs generous ones (4x), so that the outlier is measured rather than OOM-killed.
 */
function limitsAt(scenario: Scenario, level: Level, i: number, n: number, oomsSoFar: number) {
  const headroom = scenario === 'outlier' ? 4 : 1.6;
  const cpu = Math.max(1, Math.ceil(level.cpuCores * (scenario === 'outlier' ? 3 : 2) * 2) / 2);
  if (scenario !== 'oom-killed') return { memory: 2 ** Math.ceil(Math.log2((level.memoryBytes * headroom) / MI)) * MI, cpu };
  // Set tight at first (1.25x, to a value people write); after the third OOM kill someone doubles the new need.
  return { memory: oomsSoFar >= 3 && i >= Math.floor(0.4 * n) ? roundMemoryPow2(level.memoryBytes * 2.8) : roundMemoryUp(level.memoryBytes * 1.25), cpu };
}

export type SyntheticOptions = { readonly runs?: number; readonly seed?: number; readonly turn?: number };

/** One job's history, oldest first: job `levelIndex` (0-4) of the scenario, its level turned by `turn` (default 0). */
export function syntheticJob(scenario: Scenario, levelIndex: number, options: SyntheticOptions = {}): SyntheticJob {
  const n = options.runs ?? 120;
  const level = turnedLevels(options.turn ?? 0)[levelIndex] ?? LEVELS[0] ?? { memoryBytes: 256 * MI, cpuCores: 0.35 };
  const d = draws((options.seed ?? 9) * 1000 + SCENARIOS.indexOf(scenario) * 10 + levelIndex);
  const start = Date.parse('2026-01-05T06:00:00.000Z');
  const runs: RunPoint[] = [];
  let ooms = 0;
  for (let i = 0; i < n; i++) {
    const need = needs(scenario, level, i, n, d);
    const limit = limitsAt(scenario, level, i, n, ooms);
    const oom = need.memory > limit.memory;
    if (oom) ooms++;
    const throttled = need.cpuP95 > limit.cpu;
    const complete = oom || d.rand() > 0.02; // now and then a job is killed and leaves only its checkpoint
    const peak = oom ? limit.memory * d.uniform(0.97, 1) : need.memory * (complete ? 1 : d.uniform(0.5, 1));
    const p95 = throttled ? limit.cpu * 0.98 : need.cpuP95;
    const durationSeconds = Math.round(60 * 15 * Math.exp(0.4 * d.normal()));
    const container: ContainerStats = {
      name: 'build',
      cpu: { peak: p95 * d.uniform(1.05, 1.3), p99: p95 * 1.03, p95, p75: p95 * 0.85, p50: p95 * 0.7, avg: p95 * 0.6 },
      cpu_seconds: p95 * 0.6 * durationSeconds,
      memory: { peak, p99: peak * 0.98, p95: peak * 0.93, p75: peak * 0.8, p50: peak * 0.7, avg: peak * 0.65 },
      cpu_limit_cores: limit.cpu,
      memory_limit_bytes: limit.memory,
      oom_kills: oom ? 1 : 0,
      throttled_fraction: throttled ? 0.3 : need.cpuP95 > 0.8 * limit.cpu ? 0.04 : 0,
    };
    const at = start + i * 4 * 3_600_000 + Math.round(d.uniform(0, 3_600_000));
    runs.push({ id: i + 1, runId: String(1000 + i), receivedAt: new Date(at).toISOString(), complete,
      durationSeconds, containers: [container] });
  }
  return { scenario, job: `${scenario}-${levelIndex + 1}`, runs };
}

/** Every scenario's five jobs of `seed`, turned by an amount the seed draws (apart from the runs' own draws). */
export function syntheticJobs(options: { runs?: number; seed?: number } = {}): SyntheticJob[] {
  const turn = prng(0x5eed ^ (options.seed ?? 9))();
  return SCENARIOS.flatMap((s) => LEVELS.map((_, i) => syntheticJob(s, i, { ...options, turn })));
}

export type RunSpec = { mem?: number; cpu?: number; memLimit?: number; cpuLimit?: number; oom?: boolean; complete?: boolean; throttled?: number };

/** A hand-made history for tests, oldest first, one run every 6 hours: `specs[i]` fills run i, `base` the rest. */
export function history(n: number, base: RunSpec, specs: Record<number, RunSpec> = {}): RunPoint[] {
  return Array.from({ length: n }, (_, i) => {
    const s = { ...base, ...specs[i] };
    return {
      id: i + 1, runId: String(1000 + i), receivedAt: new Date(Date.UTC(2026, 0, 1) + i * 6 * 3_600_000).toISOString(),
      complete: s.complete ?? true, durationSeconds: 900,
      containers: [{
        name: 'build',
        ...(s.mem === undefined ? {} : { memory: { peak: s.mem, p95: s.mem * 0.9, avg: s.mem * 0.7 } }),
        ...(s.cpu === undefined ? {} : { cpu: { peak: s.cpu * 1.2, p99: s.cpu * 1.1, p95: s.cpu, p75: s.cpu * 0.8, p50: s.cpu * 0.6, avg: s.cpu * 0.5 } }),
        ...(s.memLimit === undefined ? {} : { memory_limit_bytes: s.memLimit }),
        ...(s.cpuLimit === undefined ? {} : { cpu_limit_cores: s.cpuLimit }),
        oom_kills: s.oom === true ? 1 : 0,
        ...(s.throttled === undefined ? {} : { throttled_fraction: s.throttled }),
      }],
    };
  });
}

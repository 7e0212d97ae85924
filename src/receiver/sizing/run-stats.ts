// The figures sizing and the dashboard need from one stored summary, kept small (about 300 bytes a container) so
// that 10,000 runs of a job load in milliseconds: a defensive read of an untrusted payload into plain data.

/** The six statistics a summary gives for a series; any may be missing in a summary from another collector. */
export type StatSet = {
  readonly peak?: number;
  readonly p99?: number;
  readonly p95?: number;
  readonly p75?: number;
  readonly p50?: number;
  readonly avg?: number;
};
export const STAT_NAMES = ['peak', 'p99', 'p95', 'p75', 'p50', 'avg'] as const;
export type StatName = (typeof STAT_NAMES)[number];

export type ContainerStats = {
  readonly name: string;
  /** CPU in cores (1 = one CPU busy all the time). */
  readonly cpu?: StatSet;
  readonly cpu_seconds?: number;
  /** Memory in bytes, as the collector measured it (the working set where cgroup counters were read): peak, p95, avg. */
  readonly memory?: StatSet;
  /** The kernel's memory.peak: includes page cache, so it is shown but does not size anything. */
  readonly memory_peak_bytes?: number;
  readonly cpu_limit_cores?: number;
  readonly memory_limit_bytes?: number;
  readonly oom_kills?: number;
  /** Share of CFS periods in which the container was throttled, 0-1. */
  readonly throttled_fraction?: number;
};

export type RunStats = {
  /** False for a checkpoint (the job was still running, or was killed before its final push). */
  readonly complete: boolean;
  readonly start_time?: string;
  readonly duration_seconds?: number;
  readonly containers: readonly ContainerStats[];
};

/** Bumped when RunStats changes: stored stats of another version are derived again from the payload. */
export const RUN_STATS_VERSION = 1;

const obj = (v: unknown): Record<string, unknown> | undefined =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined);
const str = (v: unknown, max = 256): string | undefined => (typeof v === 'string' && v.length > 0 ? v.slice(0, max) : undefined);

/** Copies only the defined fields, so that JSON stays small and `undefined` never means 0. */
function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** Rounded as the collector rounds (cores to 4 decimals, bytes to whole bytes): smaller to store and parse. */
const rounded = (v: number | undefined, digits: number) => (v === undefined ? undefined : Number(v.toFixed(digits)));

/** The statistics `names` of a stats object; memory keeps only those sizing or the dashboard read. */
function statSet(v: unknown, names: readonly StatName[], digits: number): StatSet | undefined {
  const o = obj(v);
  if (o === undefined) return undefined;
  const s = defined(Object.fromEntries(names.map((k) => [k, rounded(num(o[k]), digits)])) as StatSet);
  return Object.keys(s).length === 0 ? undefined : s;
}

function containerStats(v: unknown): ContainerStats | undefined {
  const c = obj(v);
  const name = str(c?.name);
  if (c === undefined || name === undefined) return undefined;
  const limits = obj(c.limits);
  const throttling = obj(c.cpu_throttling);
  const periods = num(throttling?.periods);
  const throttled = num(throttling?.throttled_periods);
  return defined({
    name,
    cpu: statSet(c.cpu_cores, STAT_NAMES, 4), // any of them may be the cpu_percentile sized on
    cpu_seconds: rounded(num(c.cpu_seconds), 3),
    memory: statSet(c.memory_bytes, ['peak', 'p95', 'avg'], 0),
    memory_peak_bytes: num(c.memory_peak_bytes),
    cpu_limit_cores: num(limits?.cpu_cores),
    memory_limit_bytes: num(limits?.memory_bytes),
    oom_kills: num(c.oom_kills),
    throttled_fraction: periods !== undefined && periods > 0 && throttled !== undefined
      ? rounded(Math.min(1, throttled / periods), 4) : undefined,
  });
}

/** The sizing figures of a summary as pushed (any JSON value: nothing in it is trusted). */
export function runStats(summary: unknown): RunStats {
  const s = obj(summary) ?? {};
  const containers = Array.isArray(s.containers) ? s.containers.map(containerStats) : [];
  return defined({
    complete: s.complete !== false, // older collectors send no flag: they pushed once, at the end
    start_time: str(s.start_time, 64),
    duration_seconds: num(s.duration_seconds),
    containers: containers.filter((c): c is ContainerStats => c !== undefined),
  });
}

/** The stored form: JSON with the version, so that a later receiver knows to derive it again. */
export const encodeRunStats = (stats: RunStats): string => JSON.stringify({ v: RUN_STATS_VERSION, ...stats });

/** The stored stats, or undefined when absent, of another version, or unreadable. */
export function decodeRunStats(text: string | null | undefined): RunStats | undefined {
  if (text === null || text === undefined) return undefined;
  try {
    const o = obj(JSON.parse(text));
    if (o?.v !== RUN_STATS_VERSION || !Array.isArray(o.containers)) return undefined;
    return o as unknown as RunStats;
  } catch {
    return undefined;
  }
}

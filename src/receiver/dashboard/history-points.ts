// A job's run history shaped for the dashboard's charts: per container, one point per run, or per group of
// consecutive runs when there are more runs than points (so 10,000 runs still send a few hundred points a chart),
// and the newest runs for the table. Pure: runs in, JSON-ready data out.
import type { RunPoint } from '../sizing/method.ts';

export type ContainerPoints = {
  readonly name: string;
  /** Columnar, oldest first: point i covers runs_per_point consecutive runs (the last may cover fewer). */
  readonly time_ms: number[];
  /** The id of the group's last run, to open it. */
  readonly run_ids: number[];
  readonly memory_peak_bytes: (number | null)[];
  readonly memory_limit_bytes: (number | null)[];
  readonly cpu_avg_cores: (number | null)[];
  readonly cpu_p95_cores: (number | null)[];
  readonly cpu_limit_cores: (number | null)[];
  /** OOM kills in the group's runs. */
  readonly oom_kills: number[];
};

export type RecentRun = {
  readonly id: number;
  readonly run_id: string;
  readonly received_at: string;
  readonly complete: boolean;
  readonly duration_seconds: number | null;
  readonly containers: readonly {
    readonly name: string; readonly cpu_avg_cores: number | null; readonly cpu_p95_cores: number | null;
    readonly memory_peak_bytes: number | null; readonly cpu_limit_cores: number | null;
    readonly memory_limit_bytes: number | null; readonly oom_kills: number;
  }[];
};

export type JobHistory = {
  readonly runs: number;
  readonly runs_per_point: number;
  readonly containers: readonly ContainerPoints[];
  readonly recent: readonly RecentRun[];
};

const cpuAvg = (c: RunPoint['containers'][number], durationSeconds: number | undefined) =>
  c.cpu?.avg ?? (c.cpu_seconds !== undefined && durationSeconds ? c.cpu_seconds / durationSeconds : undefined);

/** One group's figures for one container, accumulated run by run. */
class Bucket {
  memory: number | null = null;
  memoryLimit: number | null = null;
  cpuSum = 0;
  cpuCount = 0;
  cpuP95: number | null = null;
  cpuLimit: number | null = null;
  ooms = 0;
  runs = 0;
  static max = (a: number | null, b: number | undefined) => (b === undefined ? a : a === null ? b : Math.max(a, b));
}

/** `newestFirst` as the store returns it; at most `points` points a chart and the `recent` newest runs. */
export function jobHistory(newestFirst: readonly RunPoint[], points: number, recent: number): JobHistory {
  const n = newestFirst.length;
  const per = Math.max(1, Math.ceil(n / points));
  const names = [...new Set(newestFirst.flatMap((r) => r.containers.map((c) => c.name)))];
  const outs = new Map(names.map((name): [string, ContainerPoints] => [name, { name, time_ms: [], run_ids: [],
    memory_peak_bytes: [], memory_limit_bytes: [], cpu_avg_cores: [], cpu_p95_cores: [], cpu_limit_cores: [], oom_kills: [] }]));
  const buckets = new Map(names.map((name) => [name, new Bucket()]));
  // One pass, oldest first: a group closes after `per` runs (the last may hold fewer).
  for (let k = 0; k < n; k++) {
    const run = newestFirst[n - 1 - k];
    if (run === undefined) continue;
    for (const c of run.containers) {
      const b = buckets.get(c.name);
      if (b === undefined) continue;
      b.runs++;
      b.memory = Bucket.max(b.memory, c.memory?.peak);
      b.memoryLimit = Bucket.max(b.memoryLimit, c.memory_limit_bytes);
      b.cpuLimit = Bucket.max(b.cpuLimit, c.cpu_limit_cores);
      b.ooms += c.oom_kills ?? 0;
      if (run.complete) {
        b.cpuP95 = Bucket.max(b.cpuP95, c.cpu?.p95);
        const avg = cpuAvg(c, run.durationSeconds);
        if (avg !== undefined) { b.cpuSum += avg; b.cpuCount++; }
      }
    }
    if ((k + 1) % per !== 0 && k !== n - 1) continue;
    for (const [name, b] of buckets) {
      const out = outs.get(name);
      if (b.runs > 0 && out !== undefined) {
        out.time_ms.push(Date.parse(run.receivedAt));
        out.run_ids.push(run.id);
        out.memory_peak_bytes.push(b.memory);
        out.memory_limit_bytes.push(b.memoryLimit);
        out.cpu_avg_cores.push(b.cpuCount === 0 ? null : b.cpuSum / b.cpuCount);
        out.cpu_p95_cores.push(b.cpuP95);
        out.cpu_limit_cores.push(b.cpuLimit);
        out.oom_kills.push(b.ooms);
      }
      buckets.set(name, new Bucket());
    }
  }
  const containers = [...outs.values()];
  return {
    runs: n,
    runs_per_point: per,
    containers,
    recent: newestFirst.slice(0, recent).map((r) => ({
      id: r.id, run_id: r.runId, received_at: r.receivedAt, complete: r.complete, duration_seconds: r.durationSeconds ?? null,
      containers: r.containers.map((c) => ({
        name: c.name, cpu_avg_cores: cpuAvg(c, r.durationSeconds) ?? null, cpu_p95_cores: c.cpu?.p95 ?? null,
        memory_peak_bytes: c.memory?.peak ?? null, cpu_limit_cores: c.cpu_limit_cores ?? null,
        memory_limit_bytes: c.memory_limit_bytes ?? null, oom_kills: c.oom_kills ?? 0,
      })),
    })),
  };
}

// Realistic stored runs for the sizing, dashboard and browser tests: full summaries (series, top processes)
// built from synthetic sizing histories, pushed through the API with a fake clock, or inserted in bulk by SQL
// for the 10,000-run tests (a push each would fsync 10,000 times).
import { DatabaseSync } from 'node:sqlite';
import type { RunPoint } from '../../src/receiver/sizing/method.ts';
import { encodeRunStats, runStats } from '../../src/receiver/sizing/run-stats.ts';
import type { StoreConfig } from '../../src/receiver/store/config.ts';
import type { Scope } from '../../src/receiver/store/types.ts';
import type { Receiver } from '../../src/receiver/server.ts';
import { adminQuery, call, mint } from './receiver.ts';

const SERIES_POINTS = 60;

/** A wave over the run: idle at the start and end, busy in the middle, as a build looks. */
function series(peak: number, avg: number, seed: number) {
  const max: number[] = [];
  const mean: number[] = [];
  for (let i = 0; i < SERIES_POINTS; i++) {
    const x = i / (SERIES_POINTS - 1);
    const shape = Math.sin(Math.PI * x) ** 0.6 * (0.85 + 0.15 * Math.sin(seed + i * 1.7));
    max.push(Number((peak * Math.min(1, shape * 1.05)).toFixed(4)));
    mean.push(Number((avg * shape * 1.4).toFixed(4)));
  }
  return { max, avg: mean };
}

/** A summary as a collector pushes it, with the figures of `run`. */
export function summaryFor(run: RunPoint): Record<string, unknown> {
  const duration = run.durationSeconds ?? 600;
  const end = Date.parse(run.receivedAt);
  const containers = run.containers.map((c, i) => {
    const cpu = c.cpu ?? {};
    const memory = c.memory ?? {};
    return {
      name: c.name, cgroup: `/kubepods.slice/pod-${run.id}/${c.name}`,
      cpu_cores: { peak: cpu.peak ?? 0, p99: cpu.p99 ?? 0, p95: cpu.p95 ?? 0, p75: cpu.p75 ?? 0, p50: cpu.p50 ?? 0, avg: cpu.avg ?? 0 },
      cpu_seconds: c.cpu_seconds ?? (cpu.avg ?? 0) * duration,
      memory_bytes: { peak: Math.round(memory.peak ?? 0), p99: Math.round(memory.p99 ?? 0), p95: Math.round(memory.p95 ?? 0),
        p75: Math.round(memory.p75 ?? 0), p50: Math.round(memory.p50 ?? 0), avg: Math.round(memory.avg ?? 0) },
      process_count: 40 + run.id % 17, cpu_source: 'cgroup-v2', memory_source: 'cgroup-v2', oom_kills: c.oom_kills ?? 0,
      ...(c.cpu_limit_cores === undefined && c.memory_limit_bytes === undefined ? {} : {
        limits: { cpu_cores: c.cpu_limit_cores, memory_bytes: c.memory_limit_bytes } }),
      ...(c.throttled_fraction === undefined ? {} : {
        cpu_throttling: { periods: 10 * duration, throttled_periods: Math.round(10 * duration * c.throttled_fraction), throttled_seconds: 1 } }),
      series: { cpu_cores: series(cpu.peak ?? 0, cpu.avg ?? 0, run.id + i), memory_bytes: series(memory.peak ?? 0, memory.avg ?? 0, run.id + i + 3) },
    };
  });
  const proc = (pid: number, name: string, cpu: number, mem: number) => ({ pid, name, cmdline: `${name} --jobs 4`,
    container: run.containers[0]?.name ?? 'build', peak_cpu_percent: cpu * 1.4, avg_cpu_percent: cpu, peak_mem_bytes: mem });
  const mem0 = run.containers[0]?.memory?.peak ?? 2 ** 28;
  const tops = [proc(101, 'node', 85, mem0 * 0.5), proc(230, 'tsc', 60, mem0 * 0.3), proc(377, 'esbuild', 40, mem0 * 0.1)];
  return {
    complete: run.complete, start_time: new Date(end - duration * 1000).toISOString(), end_time: new Date(end).toISOString(),
    duration_seconds: duration, sample_count: Math.round(duration / 2),
    cpu_total_percent: { peak: 90, p99: 88, p95: 80, p75: 60, p50: 40, avg: 38 },
    mem_used_bytes: { peak: 8e9, p99: 7.9e9, p95: 7.5e9, p75: 6e9, p50: 5e9, avg: 5e9 }, mem_total_bytes: 16 * 2 ** 30,
    containers, top_cpu_processes: tops, top_mem_processes: tops,
    collection: { collector_version: '0.1.0', mode: 'sidecar', interval_seconds: 2, clock_ticks_per_second: 100,
      short_lived_accounting: true, processes_vanished: 0, processes_seen: 120 },
    series: { per_point: Math.max(1, Math.round(duration / 2 / SERIES_POINTS)), point_seconds: duration / SERIES_POINTS, points: SERIES_POINTS,
      cpu_total_percent: series(90, 38, run.id), mem_used_bytes: series(8e9, 5e9, run.id + 1) },
  };
}

/** `runs` as the receiver keeps them once pushed: the figures of their summaries, rounded as the collector rounds. */
export const asStored = (runs: readonly RunPoint[]): RunPoint[] => runs.map((r) => {
  const s = runStats(summaryFor(r));
  return { ...r, complete: s.complete, durationSeconds: s.duration_seconds, containers: s.containers };
});

/** Pushes `runs` (oldest first) through the API, setting the receiver's fake clock to each run's time. */
export async function pushRuns(receiver: Receiver, clock: { set: (iso: string) => void }, scope: Scope, runs: readonly RunPoint[]): Promise<void> {
  const token = await mint(receiver, scope);
  for (const run of runs) {
    clock.set(run.receivedAt);
    const r = await call(`${receiver.url}/api/v1/metrics`, { token, body: { ...scope, run_id: run.runId,
      execution_id: `exec-${run.runId}`, summary: summaryFor(run) } });
    if (r.status !== 201) throw new Error(`push failed: ${r.status} ${JSON.stringify(r.json)}`);
  }
}

/** Inserts `runs` straight into a migrated store (open it once first), in one transaction. Light payloads. */
export async function insertRuns(config: StoreConfig, scope: Scope, runs: readonly RunPoint[]): Promise<void> {
  const rows = runs.map((r) => {
    const payload = { complete: r.complete, duration_seconds: r.durationSeconds, containers: r.containers.map((c) => ({
      name: c.name, cpu_cores: c.cpu, memory_bytes: c.memory, oom_kills: c.oom_kills,
      limits: { cpu_cores: c.cpu_limit_cores, memory_bytes: c.memory_limit_bytes } })) };
    return [scope.organization, scope.repository, scope.workflow, scope.job, r.runId, r.receivedAt,
      JSON.stringify(payload), encodeRunStats(runStats(payload))] as const;
  });
  const sql = 'INSERT INTO runs (organization, repository, workflow, job, run_id, received_at, payload, stats) VALUES ';
  if (config.kind === 'sqlite') {
    const db = new DatabaseSync(config.path);
    try {
      db.exec('BEGIN');
      const insert = db.prepare(`${sql}(?, ?, ?, ?, ?, ?, ?, ?)`);
      for (const row of rows) insert.run(...row);
      db.exec('COMMIT');
    } finally {
      db.close();
    }
    return;
  }
  for (let i = 0; i < rows.length; i += 1000) {
    const chunk = rows.slice(i, i + 1000);
    const values = chunk.map((_, j) => `(${Array.from({ length: 8 }, (_, k) => `$${j * 8 + k + 1}`).join(', ')})`);
    await adminQuery(`${sql.replace('INTO runs', `INTO ${config.schema}.runs`)}${values.join(', ')}`, chunk.flat());
  }
}

// The collector's own Prometheus metrics, in a registry of its own (never the global one). Every label value
// comes from a fixed set: push results are constants, container names are the process map's, else `other`.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { registerDefaultMetrics } from './default-metrics.ts';

export const PUSH_RESULTS = ['success', 'retry', 'error'] as const;
export type PushResult = (typeof PUSH_RESULTS)[number];
/** Containers that CGROUP_PROCESS_MAP does not name share this label value: the series count stays bounded. */
export const OTHER_CONTAINER = 'other';

export type ContainerReading = { readonly name: string | undefined; readonly cpuCores: number; readonly memoryBytes: number };

export type CollectorMetrics = ReturnType<typeof createCollectorMetrics>;

export function createCollectorMetrics(version: string, startedAt = performance.now()) {
  const registry = new Registry();
  const registers = [registry];
  registerDefaultMetrics(registry);
  const info = new Gauge({ name: 'collector_info', help: 'Collector version; always 1.', labelNames: ['version'] as const, registers });
  info.set({ version }, 1);
  new Gauge({ name: 'collector_uptime_seconds', help: 'Seconds since the collector started.', registers,
    collect() { this.set((performance.now() - startedAt) / 1000); } }); // computed at scrape time, not on a timer
  const samples = new Counter({ name: 'collector_samples_total', help: 'Samples of /proc taken.', registers });
  // A sample reads a few files per process: ~1 ms for 100 processes, ~50 ms for 5,000.
  const sampleDuration = new Histogram({ name: 'collector_sample_duration_seconds', help: 'Time one sample of /proc took.',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1], registers });
  const processes = new Gauge({ name: 'collector_processes', help: 'Processes visible in the latest sample.', registers });
  const containerCpu = new Gauge({ name: 'collector_container_cpu_cores', labelNames: ['container'] as const, registers,
    help: 'CPU of each container over the latest interval, in cores; containers the process map does not name are summed as "other".' });
  const containerMemory = new Gauge({ name: 'collector_container_memory_bytes', labelNames: ['container'] as const, registers,
    help: 'Memory of each container in the latest sample, in bytes; unnamed containers are summed as "other".' });
  const memoryLimit = new Gauge({ name: 'collector_container_memory_limit_bytes', labelNames: ['container'] as const, registers,
    help: 'Memory limit of each container CGROUP_LIMITS names, in bytes.' });
  const cpuLimit = new Gauge({ name: 'collector_container_cpu_limit_cores', labelNames: ['container'] as const, registers,
    help: 'CPU limit of each container CGROUP_LIMITS names, in cores.' });
  const pushes = new Counter({ name: 'collector_push_total', help: 'Push attempts by result: success, retry (failed, tried again), error (given up).',
    labelNames: ['result'] as const, registers });
  for (const result of PUSH_RESULTS) pushes.inc({ result }, 0); // every series exists before the first push
  // Pushes go to a receiver in the cluster: tens of ms; retries within --push-timeout make seconds.
  const pushDuration = new Histogram({ name: 'collector_push_duration_seconds', help: 'Time a push took, all attempts included.',
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20], registers });

  return {
    registry,
    /** The configured limits, as gauges beside the readings (for alerts on use / limit). */
    setLimits(limits: Iterable<readonly [string, { readonly cpu?: number; readonly memory?: number }]>): void {
      for (const [container, l] of limits) {
        if (l.memory !== undefined) memoryLimit.set({ container }, l.memory);
        if (l.cpu !== undefined) cpuLimit.set({ container }, l.cpu);
      }
    },
    /** Records one sample: its duration and every container's reading, replacing the previous sample's. */
    observeSample(durationSeconds: number, processCount: number, containers: Iterable<ContainerReading>): void {
      samples.inc();
      sampleDuration.observe(durationSeconds);
      processes.set(processCount);
      const cpu = new Map<string, number>(), memory = new Map<string, number>();
      for (const c of containers) {
        const label = c.name ?? OTHER_CONTAINER;
        cpu.set(label, (cpu.get(label) ?? 0) + c.cpuCores);
        memory.set(label, (memory.get(label) ?? 0) + c.memoryBytes);
      }
      containerCpu.reset(); containerMemory.reset(); // containers that went away drop out
      for (const [container, v] of cpu) containerCpu.set({ container }, v);
      for (const [container, v] of memory) containerMemory.set({ container }, v);
    },
    observePush(result: PushResult, durationSeconds?: number): void {
      pushes.inc({ result });
      if (durationSeconds !== undefined) pushDuration.observe(durationSeconds);
    },
  };
}

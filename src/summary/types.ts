// The run summary as it goes over the wire: the reference collector's JSON shape, plus fields that
// older readers ignore. Field names carry their units; every number is finite.
import type { MeasurementSource } from '../sampling/sample.ts';


/** Statistics of one series over the run. Percentiles use linear interpolation (see docs/statistics.md). */
export type Stats = {
  readonly peak: number;
  readonly p99: number;
  readonly p95: number;
  readonly p75: number;
  readonly p50: number;
  readonly avg: number;
  /**
   * Present when p50..p99 are estimates (a series with more distinct values than the collector counts exactly):
   * each is then within this fraction of the exact figure (0.001 = 0.1%), plus one unit of the printed precision.
   * Absent: exact at the printed precision (docs/collector.md, "Statistics").
   */
  readonly percentile_relative_error?: number;
};

export type ContainerLimitsJson = {
  /** CPU limit in cores (Kubernetes `500m` = 0.5). */
  readonly cpu_cores?: number;
  /** Memory limit in bytes. */
  readonly memory_bytes?: number;
};

/** Use as a fraction of the limit (1 = at the limit); present for the limits that are known. */
export type FractionOfLimit = {
  readonly cpu_peak?: number;
  readonly cpu_p95?: number;
  readonly memory_peak?: number;
  readonly memory_p95?: number;
};

/**
 * One series over the run, downsampled: point i covers `per_point` consecutive intervals and holds their
 * maximum (so a one-sample spike survives) and their average. Columnar: `max[i]` and `avg[i]` are point i.
 */
export type SeriesPoints = { readonly max: readonly number[]; readonly avg: readonly number[] };

/** The time axis of every series in a summary. */
export type SeriesAxis = {
  /** Intervals (samples after the baseline) each point covers; the last point may cover fewer. */
  readonly per_point: number;
  /** Seconds each point covers: per_point x the sampling interval. Point i starts at start_time + i x this. */
  readonly point_seconds: number;
  readonly points: number;
};

/** Where a container's figure came from: its cgroup's own counters, or the sum over its processes. */
export type { MeasurementSource };

export type CpuThrottling = {
  /** CFS enforcement periods while the container ran, and how many of them throttled it. */
  readonly periods: number;
  readonly throttled_periods: number;
  readonly throttled_seconds: number;
};

export type ContainerSeries = { readonly cpu_cores: SeriesPoints; readonly memory_bytes: SeriesPoints };

export type ContainerSummary = {
  readonly name: string;
  /** The cgroup path the container was identified by, as the collector saw it. */
  readonly cgroup: string;
  readonly cpu_cores: Stats;
  /** CPU time used over the measured run: the sum of each interval's cores x its length. */
  readonly cpu_seconds?: number;
  readonly memory_bytes: Stats;
  /** Distinct processes (pid, start time) seen in this container over the run. */
  readonly process_count: number;
  readonly limits?: ContainerLimitsJson;
  readonly fraction_of_limit?: FractionOfLimit;
  /** CPU and memory over the run, on the summary's `series` axis. */
  readonly series?: ContainerSeries;
  /** Where cpu_cores and memory_bytes came from (absent in older collectors' summaries: processes). */
  readonly cpu_source?: MeasurementSource;
  readonly memory_source?: MeasurementSource;
  /** Processes the OOM killer killed in this container during the run (cgroup counters only). */
  readonly oom_kills?: number;
  /** CPU throttling during the run (cgroup counters with a CPU limit only). */
  readonly cpu_throttling?: CpuThrottling;
  /** The kernel's own record of the container's peak memory (memory.peak, memory.max_usage_in_bytes). */
  readonly memory_peak_bytes?: number;
  /** The sum of the processes' resident memory, beside a memory_bytes taken from the cgroup. */
  readonly rss_bytes?: Stats;
};

export type ProcessSummary = {
  readonly pid: number;
  readonly name: string;
  /** Command line, truncated to 256 characters, with values of secret-looking flags masked. */
  readonly cmdline: string;
  readonly container: string;
  /** Highest CPU rate seen over one interval; 100 = one core. */
  readonly peak_cpu_percent: number;
  /** Average CPU rate over the samples in which the process was alive; 100 = one core. */
  readonly avg_cpu_percent: number;
  readonly peak_mem_bytes: number;
};

export type RunSummary = {
  /** False for a checkpoint pushed while the job still runs; the final push replaces it with true. */
  readonly complete: boolean;
  readonly start_time: string;
  readonly end_time: string;
  readonly duration_seconds: number;
  readonly sample_count: number;
  /** Node-wide CPU busy, 0-100, from /proc/stat (in a pod this is the node, not the pod). */
  readonly cpu_total_percent: Stats;
  /** Node-wide memory in use: MemTotal - MemAvailable. */
  readonly mem_used_bytes: Stats;
  readonly mem_total_bytes: number;
  readonly containers: readonly ContainerSummary[];
  readonly top_cpu_processes: readonly ProcessSummary[];
  readonly top_mem_processes: readonly ProcessSummary[];
  /** What the collector could not see, so a reader can judge the figures. */
  readonly collection: CollectionInfo;
  /** The time axis of the downsampled series, and the node's CPU and memory over the run. */
  readonly series?: SeriesAxis & { readonly cpu_total_percent: SeriesPoints; readonly mem_used_bytes: SeriesPoints };
};

/**
 * How the run was measured: a sidecar beside the job (every visible process, grouped by cgroup), or `collector run`
 * wrapping the job's command, in a cgroup made for it or, where none could be made, by following its process tree.
 */
export type MeasurementMode = 'sidecar' | 'cgroup' | 'process-tree';

export type CollectionInfo = {
  readonly collector_version: string;
  /** Absent in summaries from collectors before wrap mode existed: sidecar. */
  readonly mode?: MeasurementMode;
  readonly interval_seconds: number;
  readonly clock_ticks_per_second: number;
  /** Whether the CPU of processes that exited between samples was counted (through their reaper's cutime). */
  readonly short_lived_accounting: boolean;
  /** Processes listed in /proc that exited before their files could be read. */
  readonly processes_vanished: number;
  /** Distinct processes (pid, start time) seen over the run. */
  readonly processes_seen: number;
};

/** The body of POST /api/v1/metrics. */
export type PushBody = {
  readonly organization: string;
  readonly repository: string;
  readonly workflow: string;
  readonly job: string;
  readonly run_id: string;
  readonly execution_id: string;
  readonly summary: RunSummary;
};

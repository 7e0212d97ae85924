// One sample of the system: what the Sampler hands to the summary. Plain data, units in the types.
import type { Bytes, Cores, Seconds } from '../units.ts';

export type ProcessSample = {
  readonly pid: number;
  readonly startTicks: number;
  readonly comm: string;
  /** argv for display (secret flags masked), read once per process and again after an exec. */
  readonly cmdline: string;
  readonly containerKey: string;
  /** CPU over the interval from this process's own utime+stime; 1 = one core. */
  readonly cpuCores: Cores;
  readonly rssBytes: Bytes;
};

export type MeasurementSource = 'cgroup-v2' | 'cgroup-v1' | 'processes';

export type ContainerSample = {
  /** The container's cgroup grouping key (see cgroup/identity.ts). */
  readonly key: string;
  /**
   * CPU over the interval: from the cgroup's own usage counter where it can be read, else the processes' own
   * CPU plus the unseen tail of children that exited in the interval.
   */
  readonly cpuCores: Cores;
  readonly cpuSource: MeasurementSource;
  /** The cgroup's working set where it can be read, else the sum of the processes' resident memory. */
  readonly memoryBytes: Bytes;
  readonly memorySource: MeasurementSource;
  /** The sum of the processes' resident memory, whatever memoryBytes came from. */
  readonly rssBytes: Bytes;
  readonly processes: number;
  /** From the cgroup's counters, when readable: growth over the interval, and the current peak and limits. */
  readonly periods?: number;
  readonly throttledPeriods?: number;
  readonly throttledSeconds?: number;
  readonly oomKills?: number;
  readonly memoryPeakBytes?: Bytes;
  readonly cpuLimitCores?: Cores;
  readonly memoryLimitBytes?: Bytes;
};

export type Sample = {
  /** Wall-clock time of the sample, ms since the epoch. */
  readonly timeMs: number;
  /** Monotonic time since the previous sample; 0 for the first, which only sets the baselines. */
  readonly elapsed: Seconds;
  /** Node-wide CPU busy, 0-100; undefined for the first sample. */
  readonly cpuTotalPercent: number | undefined;
  readonly memUsedBytes: Bytes;
  readonly memTotalBytes: Bytes;
  readonly containers: ReadonlyMap<string, ContainerSample>;
  readonly processes: readonly ProcessSample[];
  /** Processes listed in /proc that were gone before their files could be read. */
  readonly vanished: number;
  /** Processes seen for the first time in this sample. */
  readonly newProcesses: number;
};

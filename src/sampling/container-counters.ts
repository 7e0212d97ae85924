// Each container's own cgroup counters, where they can be read: the kernel's accounting, which sees every
// process (short-lived ones included) and the memory the limit is enforced on. Owns the located directories
// and the previous readings that turn counters into rates.
import { CgroupCounterReader, type CgroupCounters } from '../cgroup/counter-reader.ts';
import { locateCgroup, type CgroupDirs, type CgroupMount } from '../cgroup/locate.ts';
import type { CgroupEntry } from '../cgroup/identity.ts';
import type { ProcParseError } from '../proc/errors.ts';
import { bytes, cores, seconds, type Bytes, type Cores, type Seconds } from '../units.ts';

export type CounterSample = {
  readonly source: 'cgroup-v2' | 'cgroup-v1';
  /** CPU over the interval from the cgroup's usage counter; undefined on the first reading (a baseline). */
  readonly cpuCores?: Cores;
  /** The working set (usage − inactive file pages), else the usage: what the kubelet evicts on. */
  readonly memoryBytes?: Bytes;
  readonly memoryPeakBytes?: Bytes;
  readonly cpuLimitCores?: Cores;
  readonly memoryLimitBytes?: Bytes;
  /** Growth since the previous reading. */
  readonly periods?: number;
  readonly throttledPeriods?: number;
  readonly throttledSeconds?: number;
  readonly oomKills?: number;
};

export type ContainerCountersOptions = {
  /** The cgroup mounts to resolve against: ours (from /proc/self/mountinfo) or a --cgroup-root folder's. */
  readonly mounts: readonly CgroupMount[];
  /** /proc, to reach a sibling container's cgroup through /proc/<pid>/root; undefined turns that off. */
  readonly procRoot: string | undefined;
  readonly onParseError?: (err: ProcParseError) => void;
  readonly onLocated?: (key: string, dirs: CgroupDirs, via: string) => void;
};

/** Attempts to locate one container's cgroup (once per new process in it) before giving up on it. */
const MAX_ATTEMPTS = 5;

type Tracked = { dirs: CgroupDirs | undefined; attempts: number; previous: CgroupCounters | undefined; fromZero: boolean };

export class ContainerCounters {
  readonly #o: ContainerCountersOptions;
  readonly #reader: CgroupCounterReader;
  readonly #byKey = new Map<string, Tracked>();

  constructor(options: ContainerCountersOptions) {
    this.#o = options;
    this.#reader = new CgroupCounterReader(options.onParseError === undefined ? {} : { onParseError: options.onParseError });
  }

  /**
   * A process of container `key` was seen for the first time: locate the container's cgroup through it. A
   * container that appears after the first sample was most likely created during the run, so its counters count
   * from zero (like a process born between samples), not from their first reading.
   */
  observe(key: string, pid: number, entries: readonly CgroupEntry[], appearedDuringRun = false): void {
    let t = this.#byKey.get(key);
    if (t === undefined) this.#byKey.set(key, (t = { dirs: undefined, attempts: 0, previous: undefined, fromZero: appearedDuringRun }));
    if (t.dirs !== undefined || t.attempts >= MAX_ATTEMPTS) return;
    t.attempts++;
    const found = locateCgroup(pid, entries, { mounts: this.#o.mounts, containerKey: key,
      ...(this.#o.procRoot === undefined ? {} : { procRoot: this.#o.procRoot }) });
    if (found === undefined) return;
    t.dirs = found.dirs;
    this.#o.onLocated?.(key, found.dirs, found.via);
  }

  /**
   * Reads every located container; `elapsed` 0 (the first sample) only sets the baselines. A cgroup that holds
   * another container's cgroup (the root cgroup `/` on a host, a parent of nested containers) is skipped: its
   * counters are hierarchical and would count the other container twice.
   */
  read(elapsed: Seconds): Map<string, CounterSample> {
    const out = new Map<string, CounterSample>();
    const keys = [...this.#byKey.keys()];
    for (const [key, t] of this.#byKey) {
      if (t.dirs === undefined || keys.some((other) => other !== key && isAncestor(key, other))) continue;
      const now = this.#reader.read(t.dirs);
      if (now === undefined) { // the cgroup is gone: close its files, and locate it again through its next new process
        this.#reader.forget(t.dirs);
        t.dirs = undefined; t.previous = undefined; t.attempts = 0;
        continue;
      }
      const prev = t.previous ?? (t.fromZero && elapsed > 0 ? ZERO : undefined);
      t.previous = now;
      const delta = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined ? undefined : Math.max(0, a - b));
      const cpu = prev === undefined || elapsed <= 0 ? undefined : delta(now.cpuUsageSeconds, prev.cpuUsageSeconds);
      const memory = now.workingSetBytes ?? now.memoryCurrentBytes;
      out.set(key, {
        source: now.source,
        ...(cpu === undefined ? {} : { cpuCores: cores(cpu / elapsed) }),
        ...(memory === undefined ? {} : { memoryBytes: bytes(memory) }),
        ...(now.memoryPeakBytes === undefined ? {} : { memoryPeakBytes: now.memoryPeakBytes }),
        ...(now.cpuLimitCores == null ? {} : { cpuLimitCores: now.cpuLimitCores }),
        ...(now.memoryLimitBytes == null ? {} : { memoryLimitBytes: now.memoryLimitBytes }),
        ...(prev === undefined ? {} : withDefined({
          periods: delta(now.totalPeriods, prev.totalPeriods),
          throttledPeriods: delta(now.throttledPeriods, prev.throttledPeriods),
          throttledSeconds: delta(now.throttledSeconds, prev.throttledSeconds),
          oomKills: delta(now.oomKills, prev.oomKills),
        })),
      });
    }
    return out;
  }
}

const ZERO: CgroupCounters = { source: 'cgroup-v2', cpuUsageSeconds: seconds(0), totalPeriods: 0, throttledPeriods: 0,
  throttledSeconds: seconds(0), oomKills: 0 };

const isAncestor = (key: string, other: string) => key === '/' || other.startsWith(`${key}/`);

const withDefined = <T extends object>(o: T): Partial<T> =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;

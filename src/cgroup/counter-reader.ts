// Reads each container's cgroup counter files every sample, through kept descriptors, and its limits less often.
// Where the files are is locate.ts's job. Facts: research/linux-accounting.md §2.5.
import { fs } from '../node-builtins.ts';
import { ProcParseError } from '../proc/errors.ts';
import type { Bytes, Cores, Seconds } from '../units.ts';
import * as c from './counters.ts';
import { dirList, unreadable, type CgroupDirs } from './locate.ts';

/** One container's counters, read in one call. CPU and memory figures come from the same source. */
export type CgroupCounters = {
  readonly source: 'cgroup-v2' | 'cgroup-v1';
  /** All CPU time of the container, its exited processes included (v2 usage_usec, v1 cpuacct.usage). */
  readonly cpuUsageSeconds?: Seconds;
  readonly throttledPeriods?: number;
  readonly totalPeriods?: number;
  readonly throttledSeconds?: Seconds;
  /** What the memory limit is enforced on: v2 memory.current, v1 memory.usage_in_bytes. */
  readonly memoryCurrentBytes?: Bytes;
  /** High-water mark since the cgroup was made: v2 memory.peak (Linux 5.19+), v1 memory.max_usage_in_bytes. */
  readonly memoryPeakBytes?: Bytes;
  /** null: the cgroup has no limit of its own (an ancestor's may still apply). */
  readonly memoryLimitBytes?: Bytes | null;
  readonly cpuLimitCores?: Cores | null;
  /** Current − inactive file pages, at least 0: the figure kubelet evicts on. */
  readonly workingSetBytes?: Bytes;
  readonly oomKills?: number;
};
type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * Limits (memory.max, cpu.max; v1 memory.limit_in_bytes, cpu.cfs_quota_us and cpu.cfs_period_us) are read on a
 * cgroup's first reading and every LIMIT_REFRESH-th after, usage every time: a limit changes only when someone resizes
 * the container (`docker update`, an in-place pod resize), so at 2 s a new limit shows within 20 s.
 */
export const LIMIT_REFRESH = 10;

type Limits = { cpu?: Cores | null; memory?: Bytes | null };
const cgroupKey = (d: CgroupDirs) => (d.version === 2 ? d.dir : `${d.memory}\0${d.cpuacct}\0${d.cpu}`);

/**
 * Reads containers' counters every sample, into one reused buffer. Synchronous on purpose: cgroup files are made in
 * memory and never wait on a disk; ~20 containers × 5–9 small files every 2 s. No file is read twice in one call.
 * A cgroup file's descriptor stays open and is read again at offset 0 (pread), as ProcReader does for /proc/<pid>/stat:
 * one syscall a file instead of three. Once its cgroup is removed the kernel fails the read (ENODEV); the descriptor is
 * closed and the path opened again once, in case a new cgroup took it.
 */
export class CgroupCounterReader {
  #buf = Buffer.allocUnsafe(8192); // v2 memory.stat is ~1.7 KiB on 6.x; grows for anything longer
  readonly #onParseError: (err: ProcParseError) => void;
  /** Open descriptors by path, of kernfs files only (see #text). */
  readonly #kept = new Map<string, number>();
  /** Per cgroup: how many times it was read, and its limits as last read. */
  readonly #cgroups = new Map<string, { reads: number; limits: Limits }>();

  readonly #maxKept: number;

  /**
   * `onParseError`: a file not in the kernel's format; its figures stay undefined. By default it is thrown.
   * `maxKept`: descriptors to keep open; past it, files are opened by path each time. @default 128: ProcReader leaves
   * 1,024 of RLIMIT_NOFILE free (three quarters of the common 1,024), and 128 more fit in that (18-25 containers).
   */
  constructor(options: { onParseError?: (err: ProcParseError) => void; maxKept?: number } = {}) {
    this.#onParseError = options.onParseError ?? ((err) => { throw err; });
    this.#maxKept = options.maxKept ?? 128;
  }

  /** Closes the descriptors of a cgroup that is gone or no longer read, and forgets its limits. */
  forget(dirs: CgroupDirs): void {
    this.#cgroups.delete(cgroupKey(dirs));
    const prefixes = dirList(dirs).map((d) => `${d}/`);
    for (const [path, fd] of this.#kept) {
      if (prefixes.some((p) => path.startsWith(p))) { this.#kept.delete(path); fs.closeSync(fd); }
    }
  }

  /** Closes every kept descriptor. */
  close(): void {
    for (const fd of this.#kept.values()) fs.closeSync(fd);
    this.#kept.clear();
    this.#cgroups.clear();
  }

  /** The whole file, or undefined when it is missing, gone or not ours to read. */
  #text(path: string): string | undefined {
    const kept = this.#kept.get(path);
    if (kept !== undefined) {
      const n = this.#readAll(kept);
      if (n >= 0) return this.#buf.toString('latin1', 0, n);
      this.#kept.delete(path);
      fs.closeSync(kept);
    }
    let fd: number;
    try {
      fd = fs.openSync(path, 'r');
    } catch (err) {
      if (unreadable(err)) return undefined;
      throw err;
    }
    let keep = false;
    try {
      const n = this.#readAll(fd);
      if (n < 0) return undefined;
      // kernfs reports size 0 and fails a removed cgroup's reads; a plain file (a --cgroup-root copy) may be replaced
      // or deleted under its descriptor unnoticed, so it is read by path each time.
      keep = this.#kept.size < this.#maxKept && fs.fstatSync(fd).size === 0;
      return this.#buf.toString('latin1', 0, n); // counter files are ASCII; latin1 decodes fastest
    } finally {
      if (keep) this.#kept.set(path, fd);
      else fs.closeSync(fd);
    }
  }

  /** Reads the file from offset 0 into the buffer: its length, or -1 when it is gone or not ours to read. */
  #readAll(fd: number): number {
    try {
      for (let n = 0; ;) {
        const want = this.#buf.length - n;
        const got = fs.readSync(fd, this.#buf, n, want, n);
        n += got;
        // A short read is the end: kernfs fills the request unless the file ends (seq_read_iter), as a plain file does.
        if (got < want) return n;
        this.#buf = Buffer.concat([this.#buf, Buffer.allocUnsafe(this.#buf.length)]);
      }
    } catch (err) {
      if (unreadable(err)) return -1;
      throw err;
    }
  }

  /** The container's counters, or undefined when no file could be read (gone, hidden, or not permitted). */
  read(dirs: CgroupDirs): CgroupCounters | undefined {
    let read = false;
    const text = (dir: string | undefined, file: string) => {
      const t = dir === undefined ? undefined : this.#text(`${dir}/${file}`);
      if (t !== undefined) read = true;
      return t;
    };
    const parse = <T>(t: string | undefined, parser: (t: string) => T): T | undefined => {
      if (t === undefined) return undefined;
      try {
        return parser(t);
      } catch (err) {
        if (!(err instanceof ProcParseError)) throw err;
        this.#onParseError(err);
        return undefined;
      }
    };
    const get = <T>(dir: string | undefined, file: string, parser: (t: string) => T) =>
      parse(text(dir, file), parser);
    const bytesOf = (dir: string | undefined, file: string) => get(dir, file, (t) => c.parseMemoryBytes(file, t));

    const key = cgroupKey(dirs);
    let state = this.#cgroups.get(key);
    if (state === undefined) this.#cgroups.set(key, (state = { reads: 0, limits: {} }));
    const limits = state.limits, fresh = state.reads++ % LIMIT_REFRESH === 0;

    const out: Mutable<CgroupCounters> = { source: dirs.version === 2 ? 'cgroup-v2' : 'cgroup-v1' };
    let cpu: c.CgroupCpuStat | undefined, stat: c.CgroupMemoryStat | undefined;
    if (dirs.version === 2) {
      const { dir } = dirs;
      cpu = get(dir, 'cpu.stat', c.parseCpuStatV2);
      out.cpuUsageSeconds = cpu?.usage;
      if (fresh) limits.cpu = get(dir, 'cpu.max', c.parseCpuMax);
      out.cpuLimitCores = limits.cpu;
      out.memoryCurrentBytes = bytesOf(dir, 'memory.current');
      if (out.memoryCurrentBytes !== undefined) { // the other memory files come and go with the controller
        out.memoryPeakBytes = bytesOf(dir, 'memory.peak');
        if (fresh) limits.memory = get(dir, 'memory.max', c.parseMemoryMax);
        out.memoryLimitBytes = limits.memory;
        out.oomKills = get(dir, 'memory.events', c.parseMemoryEvents)?.oomKill;
        stat = get(dir, 'memory.stat', c.parseMemoryStatV2);
      }
    } else {
      const { memory, cpuacct } = dirs;
      out.cpuUsageSeconds = get(cpuacct, 'cpuacct.usage', c.parseCpuacctUsage);
      cpu = get(dirs.cpu, 'cpu.stat', c.parseCpuStatV1);
      if (fresh) {
        const quota = text(dirs.cpu, 'cpu.cfs_quota_us');
        const period = quota === undefined ? undefined : text(dirs.cpu, 'cpu.cfs_period_us');
        limits.cpu = period === undefined ? undefined : parse(quota, (q) => c.parseCfsLimitV1(q, period));
      }
      out.cpuLimitCores = limits.cpu;
      out.memoryCurrentBytes = bytesOf(memory, 'memory.usage_in_bytes');
      out.memoryPeakBytes = bytesOf(memory, 'memory.max_usage_in_bytes');
      if (fresh) limits.memory = get(memory, 'memory.limit_in_bytes', c.parseMemoryLimitV1);
      out.memoryLimitBytes = limits.memory;
      out.oomKills = get(memory, 'memory.oom_control', c.parseOomControl)?.oomKill;
      stat = get(memory, 'memory.stat', c.parseMemoryStatV1);
    }
    if (!read) return undefined;
    out.totalPeriods = cpu?.periods;
    out.throttledPeriods = cpu?.throttledPeriods;
    out.throttledSeconds = cpu?.throttled;
    out.workingSetBytes = c.workingSet(out.memoryCurrentBytes, stat?.inactiveFile);
    for (const k of Object.keys(out) as (keyof CgroupCounters)[]) if (out[k] === undefined) delete out[k];
    return out;
  }
}

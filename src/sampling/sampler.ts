// Takes one sample of every visible process: CPU from tick deltas of the same (pid, start time), memory
// from statm (read again only when the process's stat shows it may have changed, see MEMORY_REFRESH), the
// container from the cgroup (read once per process), plus the node's CPU and memory.
// Owns the state that makes deltas possible: the previous reading of every live process.
import { performance } from 'node:perf_hooks';
import { ProcParseError } from '../proc/errors.ts';
import { newStatFields, parseStatFields, sameComm, type StatFields } from '../proc/stat.ts';
import { parseStatm } from '../proc/statm.ts';
import { parseCmdline, executableName, displayCmdline } from '../proc/cmdline.ts';
import { parseMeminfo } from '../proc/meminfo.ts';
import { parseSystemStat, cpuBusyPercent, type SystemCpu } from '../proc/system-stat.ts';
import { parseUptime } from '../proc/uptime.ts';
import { parseCgroupFile, groupingPath, containerIdentity } from '../cgroup/identity.ts';
import type { ContainerNamer } from '../cgroup/naming.ts';
import { bytes, cores, seconds, type TicksPerSecond } from '../units.ts';
import { ProcReader } from './proc-reader.ts';
import type { ContainerCounters } from './container-counters.ts';
import type { ContainerSample, ProcessSample, Sample } from './sample.ts';

export type SamplerOptions = {
  readonly procPath: string;
  readonly clockTicks: TicksPerSecond;
  readonly pageSize: number;
  readonly namer: ContainerNamer;
  /** Count the CPU of children that exited between samples through their reaper's cutime/cstime. */
  readonly countExitedChildren: boolean;
  /** Called once per cgroup key, when its first process is seen. */
  readonly onNewContainer?: (key: string, cgroupPath: string) => void;
  readonly onNamed?: (key: string, name: string, by: string) => void;
  readonly onConflict?: (key: string, kept: string, ignored: string) => void;
  /** Locating a container's cgroup counters failed unexpectedly; the sample goes on without them. */
  readonly onCounterError?: (key: string, err: unknown) => void;
  /** Reads containers' own cgroup counters, where they can be found; without it every figure is per process. */
  readonly counters?: ContainerCounters;
  /** Which processes to measure and as which container; without it, every process, by its cgroup. */
  readonly scope?: ProcessScope;
  /** Monotonic and wall-clock milliseconds; tests replace them to make rates exact. */
  readonly clock?: { readonly monotonic: () => number; readonly wall: () => number };
  /**
   * A process whose stat shows no sign of a memory change has its statm read again at least once in this many
   * samples; 1 reads every process's statm at every sample. See MEMORY_REFRESH for what this trades.
   * @default MEMORY_REFRESH (10)
   */
  readonly memoryRefreshSamples?: number;
};

/**
 * statm (the exact resident count) is read for a process when it is first seen, when any stat field that moves
 * with its memory changed since the last statm read (utime+stime, minflt, majflt, vsize, the kernel's approximate
 * rss), and otherwise once every MEMORY_REFRESH samples, staggered by pid. Most processes of a CI pod sleep
 * through most samples, so this saves one read in two for them. It is not exact: a process can lose resident
 * pages with none of those fields moving (its own madvise(MADV_DONTNEED) of a few pages within one clock tick,
 * reclaim or a file truncated by another process, while the per-CPU counter deltas stay under the kernel's
 * batch), and that change then shows up to MEMORY_REFRESH samples late. Measured on Linux 6.18: a process that
 * dropped 10 of 400 touched pages with MADV_DONTNEED changed statm's resident by 10 and no stat field at all.
 */
export const MEMORY_REFRESH = 10;

const realClock = { monotonic: () => performance.now(), wall: () => Date.now() };

/**
 * Decides, once per process, whether it is measured: the container key to count it in, `{ reaperFor }` for a
 * process whose own CPU is not the job's but whose reaped children are (the collector that started the job), or
 * undefined to leave it out.
 */
export type ProcessScope = {
  classify(pid: number, ppid: number, cgroupKey: string): string | { readonly reaperFor: string } | undefined;
};

/** What the sampler remembers of one process between samples. Mutated in place: no garbage per sample. */
type ProcState = {
  readonly pid: number;
  readonly startTicks: number;
  containerKey: string;
  /** False for a reaper counted only through its children (see ProcessScope). */
  ownCounts: boolean;
  ppid: number;
  comm: string;
  /** comm as the kernel's bytes: compared at every sample, decoded only when it changes (an exec). */
  commBytes: Uint8Array;
  cmdline: string;
  /** Resident bytes from the last statm read, and the stat fields as they were then (see MEMORY_REFRESH). */
  rss: number;
  memOwn: number;
  memMinflt: number;
  memMajflt: number;
  memVsize: number;
  memRssPages: number;
  /** Last utime+stime and cutime+cstime, in ticks. */
  own: number;
  kids: number;
  seen: number;
  /** This interval's cutime+cstime growth, less what was already counted of children that exited. */
  kidDelta: number;
  /** A container other than its own whose exited processes this one reaped in the interval. */
  reapedFrom: string | undefined;
  /** Negative kidDelta still to absorb (a child counted while alive, reaped a sample later). */
  carry: number;
  carryAge: number;
};

type ContainerAcc = { cpuTicks: number; memory: number; processes: number };

/** Where a process counts: its container, and whether its own CPU counts there (false: a reaper, see ProcessScope). */
type Placement = { readonly key: string; readonly ownCounts: boolean };

/** Resident memory from statm; 0 for a file cut short by an exit (its CPU, read from stat, still counts). */
function residentBytes(buf: Buffer, n: number, pageSize: number): number {
  try {
    return parseStatm(buf, n).residentPages * pageSize;
  } catch (err) {
    if (err instanceof ProcParseError) return 0;
    throw err;
  }
}

const commDecoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true }); // a BOM is part of the name
const decodeComm = (bytes: Uint8Array) => commDecoder.decode(bytes);

/** A subtraction not absorbed within this many samples was an auto-reaped child: nobody's cutime grew. */
const MAX_CARRY_AGE = 3;

export class Sampler {
  readonly #o: SamplerOptions;
  readonly #reader: ProcReader;
  readonly #procs = new Map<number, ProcState>();
  #seq = 0;
  #prevMono = 0;
  #prevUptimeTicks = 0;
  #prevCpu: SystemCpu | undefined;
  #knownKeys = new Set<string>();
  /** Processes the scope left out, by pid: their start time, the sample that last saw them, and their comm (an exec looks again). */
  readonly #ignored = new Map<number, { start: number; seen: number; commBytes: Uint8Array }>();
  /** Every process's stat is parsed into this one record. */
  readonly #stat: StatFields = newStatFields();
  readonly #memoryRefresh: number;

  constructor(options: SamplerOptions) {
    this.#o = options;
    this.#reader = new ProcReader(options.procPath);
    const refresh = options.memoryRefreshSamples ?? MEMORY_REFRESH;
    if (!Number.isInteger(refresh) || refresh < 1) throw new RangeError(`memoryRefreshSamples: ${refresh} is not an integer >= 1`);
    this.#memoryRefresh = refresh;
  }

  /** Closes the descriptors kept open between samples. */
  close(): void {
    this.#reader.close();
  }

  /** Takes one sample. The first one sets baselines: its rates are zero and its elapsed time is 0. */
  sample(): Sample {
    const seq = ++this.#seq;
    const first = seq === 1;
    const clock = this.#o.clock ?? realClock;
    const mono = clock.monotonic();
    const timeMs = clock.wall();
    const elapsed = seconds(first ? 0 : (mono - this.#prevMono) / 1000);
    const hz = this.#o.clockTicks;
    const reader = this.#reader;

    const uptimeText = reader.readText('uptime');
    const uptimeTicks = uptimeText === undefined ? 0 : parseUptime(uptimeText) * hz;
    const cpu = parseSystemStat(this.#mustRead('stat'));
    const mem = parseMeminfo(this.#mustRead('meminfo'));

    const live: ProcState[] = [];
    const gone: ProcState[] = [];
    const processes: ProcessSample[] = [];
    const acc = new Map<string, ContainerAcc>();
    let vanished = 0, newProcesses = 0;

    const stat = this.#stat;
    const refresh = this.#memoryRefresh;
    reader.beginPass();
    const pids = reader.listPids();
    const listed = reader.listedFresh; // else a pid that fails to read exited before this sample: not a vanish
    const alive: number[] = [];
    for (const pid of pids) {
      let n = reader.readKept(pid, 'stat');
      if (n <= 0) { if (listed) vanished++; continue; }
      alive.push(pid);
      const buf = reader.buffer; // valid until the next read: comm is taken from it before any other file is read
      try {
        parseStatFields(buf, n, stat);
      } catch (err) {
        if (err instanceof ProcParseError) { vanished++; continue; } // cut short by an exit mid-read
        throw err;
      }
      const ignored = this.#ignored.get(pid);
      if (ignored !== undefined) {
        if (ignored.start === stat.startTicks && sameComm(buf, stat.commStart, stat.commEnd, ignored.commBytes)) { ignored.seen = seq; continue; }
        // A new process at a reused pid, or one that exec'd and may have changed cgroups on the way: classify it afresh.
        this.#ignored.delete(pid);
      }
      const own = stat.utime + stat.stime, kids = stat.cutime + stat.cstime;
      let st = this.#procs.get(pid);
      let ownDelta: number, kidDelta: number, readMemory: boolean;
      if (st !== undefined && st.startTicks === stat.startTicks) {
        ownDelta = Math.max(0, own - st.own);
        kidDelta = Math.max(0, kids - st.kids);
        readMemory = own !== st.memOwn || stat.minflt !== st.memMinflt || stat.majflt !== st.memMajflt ||
          stat.vsize !== st.memVsize || stat.rssPages !== st.memRssPages || (seq + pid) % refresh === 0;
        if (!sameComm(buf, stat.commStart, stat.commEnd, st.commBytes)) { // exec'd: same process, new name and argv
          st.commBytes = new Uint8Array(buf.subarray(stat.commStart, stat.commEnd)); // a copy: the buffer is reused
          st.comm = decodeComm(st.commBytes);
          // Whatever moves a process into a cgroup usually does it right before an exec (a runtime's init, the shell
          // `collector run` starts): its cgroup, read when it was first seen, may be out of date.
          let placed: Placement | undefined;
          try {
            placed = this.#place(pid, stat.ppid, first);
          } catch (err) {
            if (err instanceof ProcParseError) { vanished++; reader.forget(pid); continue; } // exiting: gone at the end
            throw err;
          }
          if (placed === undefined) { // moved out of the scope: from now on it is not measured
            this.#procs.delete(pid);
            this.#ignored.set(pid, { start: stat.startTicks, seen: seq, commBytes: st.commBytes });
            continue;
          }
          st.containerKey = placed.key;
          st.ownCounts = placed.ownCounts;
          this.#observe(st, this.#readArgv(pid));
        }
      } else {
        if (st !== undefined) gone.push(st); // the pid was reused: the old process is gone
        const commBytes = new Uint8Array(buf.subarray(stat.commStart, stat.commEnd)); // a copy: the buffer is reused
        let placed: Placement | undefined;
        try {
          placed = this.#place(pid, stat.ppid, first);
        } catch (err) {
          // Gone between its stat and its cgroup (an exiting process reads empty): skipped, like one gone before.
          if (err instanceof ProcParseError) { vanished++; reader.forget(pid); continue; }
          throw err;
        }
        if (placed === undefined) { this.#ignored.set(pid, { start: stat.startTicks, seen: seq, commBytes }); continue; }
        const { key, ownCounts } = placed;
        // Born since the last sample: all of its CPU was used in this interval. Otherwise it is a baseline.
        const born = !first && stat.startTicks > this.#prevUptimeTicks;
        ownDelta = born ? own : 0;
        kidDelta = born ? kids : 0;
        st = { pid, startTicks: stat.startTicks, containerKey: key, ownCounts, ppid: stat.ppid, comm: decodeComm(commBytes), commBytes,
          cmdline: '', rss: 0, memOwn: 0, memMinflt: 0, memMajflt: 0, memVsize: 0, memRssPages: 0,
          own, kids, seen: seq, kidDelta: 0, reapedFrom: undefined, carry: 0, carryAge: 0 };
        this.#procs.set(pid, st);
        this.#observe(st, this.#readArgv(pid));
        newProcesses++;
        readMemory = true;
      }
      if (readMemory) {
        n = reader.readKept(pid, 'statm');
        st.rss = n > 0 ? residentBytes(reader.buffer, n, this.#o.pageSize) : 0;
        // Unread (gone mid-sample), it is read again next time rather than standing at 0 until its refresh turn.
        st.memOwn = n > 0 ? own : -1; st.memMinflt = stat.minflt; st.memMajflt = stat.majflt; st.memVsize = stat.vsize;
        st.memRssPages = stat.rssPages;
      }
      const rss = st.rss;
      st.own = own; st.kids = kids; st.ppid = stat.ppid; st.seen = seq;
      st.kidDelta = kidDelta; st.reapedFrom = undefined;
      live.push(st);
      if (!st.ownCounts) continue; // a reaper: only its children's tails count, in #addExitedChildren

      let c = acc.get(st.containerKey);
      if (c === undefined) acc.set(st.containerKey, (c = { cpuTicks: 0, memory: 0, processes: 0 }));
      c.cpuTicks += ownDelta; c.memory += rss; c.processes++;
      processes.push({ pid, startTicks: st.startTicks, comm: st.comm, cmdline: st.cmdline, containerKey: st.containerKey,
        cpuCores: cores(first || elapsed <= 0 ? 0 : ownDelta / hz / elapsed), rssBytes: bytes(rss) });
    }

    reader.endPass(alive);
    for (const st of this.#procs.values()) if (st.seen !== seq) gone.push(st);
    for (const [pid, ig] of this.#ignored) if (ig.seen !== seq) this.#ignored.delete(pid);
    for (const st of gone) if (this.#procs.get(st.pid) === st) this.#procs.delete(st.pid);
    if (this.#o.countExitedChildren && !first) this.#addExitedChildren(live, gone, acc);

    const counted = this.#o.counters?.read(elapsed);
    const containers = new Map<string, ContainerSample>();
    for (const key of new Set([...acc.keys(), ...(counted?.keys() ?? [])])) {
      const c = acc.get(key) ?? { cpuTicks: 0, memory: 0, processes: 0 };
      const k = counted?.get(key);
      const { source: _source, cpuCores: kCpu, memoryBytes: kMemory, ...extra } = k ?? {};
      containers.set(key, {
        key, processes: c.processes, rssBytes: bytes(c.memory),
        cpuCores: kCpu ?? cores(first || elapsed <= 0 ? 0 : c.cpuTicks / hz / elapsed),
        cpuSource: kCpu === undefined ? 'processes' : k!.source,
        memoryBytes: kMemory ?? bytes(c.memory),
        memorySource: kMemory === undefined ? 'processes' : k!.source,
        ...extra,
      });
    }
    const cpuTotalPercent = this.#prevCpu === undefined ? undefined : cpuBusyPercent(this.#prevCpu, cpu);
    this.#prevCpu = cpu;
    this.#prevMono = mono;
    this.#prevUptimeTicks = uptimeTicks;
    return { timeMs, elapsed, cpuTotalPercent, memUsedBytes: bytes(mem.totalBytes - mem.availableBytes),
      memTotalBytes: mem.totalBytes, containers, processes, vanished, newProcesses };
  }

  /**
   * A reaped child's whole life lands in its reaper's cutime/cstime. Live reapers' growth is added, less what
   * was already counted while those children were seen alive (their last own+kids): what is left is the CPU of
   * children that lived and died between two samples, and the last interval of those that were seen. netdata's
   * apps.plugin does the same (research/linux-accounting.md §2.3). A child whose parent also exited flows up to
   * the nearest live ancestor, through the parent's cutime.
   */
  #addExitedChildren(live: ProcState[], gone: ProcState[], acc: Map<string, ContainerAcc>): void {
    const goneByPid = new Map<number, ProcState>();
    for (const st of gone) goneByPid.set(st.pid, st);
    for (const child of gone) {
      const reaper = this.#liveAncestor(child, goneByPid);
      if (reaper === undefined) continue; // reaped outside the namespace: its last interval is not visible
      reaper.kidDelta -= child.own + child.kids;
      if (child.containerKey !== reaper.containerKey) reaper.reapedFrom = child.containerKey;
    }
    for (const st of live) {
      const residual = st.kidDelta + st.carry;
      if (residual >= 0) {
        st.carry = 0; st.carryAge = 0;
        if (residual > 0) {
          // Children inherit their parent's cgroup, so the unseen tail is the parent's container's, unless it
          // reaped orphans of another container (the pod's pause process does).
          const key = st.reapedFrom ?? st.containerKey;
          let c = acc.get(key);
          if (c === undefined) acc.set(key, (c = { cpuTicks: 0, memory: 0, processes: 0 }));
          c.cpuTicks += residual;
        }
      } else if (++st.carryAge > MAX_CARRY_AGE) {
        st.carry = 0; st.carryAge = 0;
      } else st.carry = residual;
    }
  }

  #liveAncestor(child: ProcState, goneByPid: Map<number, ProcState>): ProcState | undefined {
    let ppid = child.ppid, born = child.startTicks;
    for (let depth = 0; depth < 64 && ppid > 0; depth++) {
      const parent = this.#procs.get(ppid);
      // A parent starts before its child: a younger process at that pid is a reuse, not the parent.
      if (parent !== undefined && parent.seen === this.#seq && parent.startTicks <= born) return parent;
      const dead = goneByPid.get(ppid);
      if (dead === undefined || dead.startTicks > born) return undefined;
      ppid = dead.ppid; born = dead.startTicks;
    }
    return undefined;
  }

  /**
   * The container the process at `pid` counts for, from its cgroup file; undefined when the scope leaves it out.
   * Registers a container seen for the first time, and the process with the counters. Throws ProcParseError when
   * the cgroup file is gone or empty (the process is exiting). Overwrites the reader's buffer.
   */
  #place(pid: number, ppid: number, first: boolean): Placement | undefined {
    const cgroupText = this.#reader.readText(`${pid}/cgroup`);
    if (cgroupText === undefined) throw new ProcParseError('cgroup', 'gone', '');
    const entries = parseCgroupFile(cgroupText);
    const path = groupingPath(entries);
    const cgroupKey = containerIdentity(path).key;
    const scoped = this.#o.scope === undefined ? cgroupKey : this.#o.scope.classify(pid, ppid, cgroupKey);
    if (scoped === undefined) return undefined;
    const key = typeof scoped === 'string' ? scoped : scoped.reaperFor;
    const newKey = !this.#knownKeys.has(key);
    if (newKey) { this.#knownKeys.add(key); this.#o.onNewContainer?.(key, path); }
    try {
      this.#o.counters?.observe(key, pid, entries, newKey && !first);
    } catch (err) {
      // Not finding a container's counters costs accuracy, never the sample: its processes still count.
      this.#o.onCounterError?.(key, err);
    }
    return { key, ownCounts: typeof scoped === 'string' };
  }

  #readArgv(pid: number): string[] {
    const n = this.#reader.read(`${pid}/cmdline`);
    return n <= 0 ? [] : parseCmdline(this.#reader.buffer, n);
  }

  #observe(st: ProcState, argv: string[]): void {
    st.cmdline = displayCmdline(argv);
    const result = this.#o.namer.observe(st.containerKey, st.comm, executableName(argv));
    if (result.named !== undefined) this.#o.onNamed?.(st.containerKey, result.named, st.comm);
    if (result.conflict !== undefined) this.#o.onConflict?.(st.containerKey, this.#o.namer.mapped(st.containerKey) ?? '', result.conflict);
  }

  #mustRead(file: string): string {
    const text = this.#reader.readText(file);
    if (text === undefined) throw new Error(`${this.#reader.root}/${file}: cannot be read`);
    return text;
  }
}

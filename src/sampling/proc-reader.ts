// Reads /proc files into one reused buffer. Owned by the Sampler: one buffer serves every pid and interval.
// Synchronous on purpose: /proc never waits on a disk, and open/read/close costs ~10 µs a process for three
// files this way against ~200 µs through fs.promises (research/linux-accounting.md §7.1).
import { fs } from '../node-builtins.ts';
import { lastPidOfLoadavg } from '../proc/loadavg.ts';

// EINVAL: some files of a process that is exiting (its namespaces are being torn down).
const GONE = new Set(['ENOENT', 'ESRCH', 'EINVAL']);
/** ENOENT/ESRCH: the process exited between listing /proc and reading it. Anything else is a real error. */
export const isGone = (err: unknown): boolean => GONE.has((err as NodeJS.ErrnoException).code ?? '');

/** The files read every sample; their descriptors stay open between samples. */
export type KeptFile = 'stat' | 'statm';

type Kept = { stat: number; statm: number; seen: number };

/** A full listing at least this often, whatever the pid cursor says: bounds the cost of any case it misjudges. */
const LIST_AT_LEAST_EVERY = 10;

export class ProcReader {
  readonly root: string;
  #buf = Buffer.allocUnsafe(16 * 1024);
  /**
   * Open descriptors of each process's per-sample files, read again at offset 0 (pread): a third of the
   * syscalls of open/read/close. Safe across pid reuse: a descriptor of a process that was reaped fails with
   * ESRCH even when a new process has its pid (research §1.5), and is then dropped and reopened by path.
   */
  readonly #kept = new Map<number, Kept>();
  readonly #maxKept: number;
  #pass = 0;
  /** The kept descriptor of `<root>/loadavg`, whose last field is the last pid allocated; -1 where it cannot be used. */
  #cursorFd: number | undefined;
  #listedAtCursor = -1;
  #passesSinceListing = 0;
  /** The pids the last pass found alive, in listing order. */
  #alive: readonly number[] = [];
  #listedFresh = true;

  /** `maxKeptProcesses`: how many processes' descriptors to keep (two each); beyond it, open/read/close. */
  constructor(root: string, maxKeptProcesses = keptBudget()) {
    this.root = root;
    this.#maxKept = maxKeptProcesses;
  }

  /** Starts a sample: descriptors of processes not read since the last call are closed at endPass(). */
  beginPass(): void {
    this.#pass++;
  }

  /**
   * Closes the descriptors of processes that were not read in this pass (they exited or were left out).
   * `alive`: the pids whose files this pass read, in listing order; the next pass reads them again instead of
   * listing the root when no pid has been allocated since (see listPids).
   */
  endPass(alive: readonly number[] = []): void {
    for (const [pid, k] of this.#kept) {
      if (k.seen !== this.#pass) { closeKept(k); this.#kept.delete(pid); }
    }
    this.#alive = alive;
  }

  /** Closes every kept descriptor. */
  close(): void {
    for (const k of this.#kept.values()) closeKept(k);
    this.#kept.clear();
    if (this.#cursorFd !== undefined && this.#cursorFd >= 0) fs.closeSync(this.#cursorFd);
    this.#cursorFd = undefined;
  }

  /** Reads a per-sample file of `pid` into the buffer through a kept descriptor; -1 when the process is gone. */
  readKept(pid: number, file: KeptFile, retry = true): number {
    let k = this.#kept.get(pid);
    if (k === undefined) {
      if (this.#kept.size >= this.#maxKept) return this.read(`${pid}/${file}`);
      k = { stat: -1, statm: -1, seen: this.#pass };
      this.#kept.set(pid, k);
    }
    k.seen = this.#pass;
    if (k[file] < 0) {
      try {
        k[file] = fs.openSync(`${this.root}/${pid}/${file}`, 'r');
      } catch (err) {
        if (isGone(err) || (err as NodeJS.ErrnoException).code === 'EACCES') { this.#drop(pid, k); return -1; }
        throw err;
      }
    }
    try {
      // These files are made whole at each read: one read at offset 0 returns all of it.
      return fs.readSync(k[file], this.#buf, 0, this.#buf.length, 0);
    } catch (err) {
      if (!isGone(err)) throw err;
      this.#drop(pid, k);
      // The process we held is gone; the pid may already be a new process's: open it afresh, once.
      return retry ? this.readKept(pid, file, false) : -1;
    }
  }

  /** The process at `pid` is not the one the descriptors were opened for (a reused pid): reopen next time. */
  forget(pid: number): void {
    const k = this.#kept.get(pid);
    if (k !== undefined) this.#drop(pid, k);
  }

  #drop(pid: number, k: Kept): void {
    closeKept(k);
    this.#kept.delete(pid);
  }

  /** The bytes last read; valid until the next read. */
  get buffer(): Buffer {
    return this.#buf;
  }

  /**
   * Reads `<root>/<rel>` whole into the buffer and returns its length, or -1 when the file is gone (the
   * process exited) or may not be read. /proc files report no useful size, so read until 0.
   */
  read(rel: string): number {
    let fd: number;
    try {
      fd = fs.openSync(`${this.root}/${rel}`, 'r');
    } catch (err) {
      if (isGone(err) || (err as NodeJS.ErrnoException).code === 'EACCES') return -1;
      throw err;
    }
    try {
      let n = 0;
      for (;;) {
        const got = fs.readSync(fd, this.#buf, n, this.#buf.length - n, null);
        if (got === 0) return n;
        n += got;
        if (n === this.#buf.length) this.#grow();
      }
    } catch (err) {
      if (isGone(err)) return -1;
      throw err;
    } finally {
      fs.closeSync(fd);
    }
  }

  /** The file as text, or undefined when it is gone. */
  readText(rel: string): string | undefined {
    const n = this.read(rel);
    return n < 0 ? undefined : this.#buf.toString('utf8', 0, n);
  }

  /**
   * The pids to read in this pass, in ascending order. Listing /proc costs the kernel a directory entry per process
   * (13% of a sample's CPU at 600 processes), so it is skipped when the pid namespace has allocated no pid since the
   * last listing: the last field of loadavg is that namespace's last allocated pid, and every new process, thread or
   * reused pid moves it. Then the processes are the ones the last pass found alive (endPass), less those that exited
   * since, which fail to read. At least every LIST_AT_LEAST_EVERY passes the root is listed all the same.
   */
  listPids(): readonly number[] {
    const cursor = this.#pidCursor();
    if (cursor >= 0 && cursor === this.#listedAtCursor && ++this.#passesSinceListing < LIST_AT_LEAST_EVERY) {
      this.#listedFresh = false;
      return this.#alive;
    }
    // The cursor is read before the listing: a process made in between is listed, and moves the cursor past it.
    this.#listedAtCursor = cursor;
    this.#passesSinceListing = 0;
    this.#listedFresh = true;
    const pids: number[] = [];
    for (const name of fs.readdirSync(this.root)) {
      const c = name.charCodeAt(0);
      if (c >= 0x30 && c <= 0x39) {
        const pid = Number(name);
        if (Number.isInteger(pid)) pids.push(pid);
      }
    }
    return pids;
  }

  /**
   * Whether this pass's pids came from listing the root. When they did not, a pid that fails to read exited since
   * the last pass (a listing would not have shown it), not during this one.
   */
  get listedFresh(): boolean {
    return this.#listedFresh;
  }

  /**
   * The last pid allocated in the pid namespace of the root, or -1 when that cannot be known. loadavg reports the
   * reader's own namespace, whichever /proc it is read through: it speaks for the root only when the root's
   * `self` is this process's own pid (a /proc of this namespace, not the host's mounted in).
   */
  #pidCursor(): number {
    if (this.#cursorFd === undefined) {
      this.#cursorFd = -1;
      try {
        if (fs.readlinkSync(`${this.root}/self`) === String(process.pid)) this.#cursorFd = fs.openSync(`${this.root}/loadavg`, 'r');
      } catch { /* no loadavg or self (a copied tree): list every pass */ }
    }
    if (this.#cursorFd < 0) return -1;
    const n = fs.readSync(this.#cursorFd, this.#buf, 0, this.#buf.length, 0);
    return lastPidOfLoadavg(this.#buf, n);
  }

  #grow(): void {
    const bigger = Buffer.allocUnsafe(this.#buf.length * 2);
    this.#buf.copy(bigger);
    this.#buf = bigger;
  }
}

function closeKept(k: Kept): void {
  for (const fd of [k.stat, k.statm]) if (fd >= 0) try { fs.closeSync(fd); } catch { /* already gone */ }
}

/** Descriptors left for everything else the collector opens: cgroup counters (128 kept), sockets, logs, the spool. */
const RESERVED_DESCRIPTORS = 1024;

/**
 * Processes whose descriptors may stay open, two each, under a soft open-files limit of `soft`: all but
 * RESERVED_DESCRIPTORS of it, and at least an eighth of it (a quarter of the descriptors) where the limit is small.
 * Node raises the soft limit to the hard one at start, which containers set high (containerd: 1,048,576); the
 * usual 1,024 keeps 128. Past the budget, files are opened by path: three syscalls a file instead of one, which
 * made 5,000 processes cost 2.05x the C floor against 1.57x at 1,000 under a limit of 20,000 (budget then 2,500).
 */
export function keptBudgetFor(soft: number): number {
  return Math.max(0, Math.floor(soft / 8), Math.floor((soft - RESERVED_DESCRIPTORS) / 2));
}

function keptBudget(): number {
  try {
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(fs.readFileSync('/proc/self/limits', 'utf8'));
    return keptBudgetFor(m === null || m[1] === 'unlimited' ? 1_048_576 : Number(m[1]));
  } catch {
    return 128;
  }
}

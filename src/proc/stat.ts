// Parses /proc/<pid>/stat (proc_pid_stat(5)) from the bytes read, without building strings for the
// numeric fields: this runs for every process at every sample. Pure: bytes in, record out.
import { ProcParseError } from './errors.ts';
import { ticks, type CpuTicks } from '../units.ts';

export type ProcStat = {
  readonly pid: number;
  /** The kernel's task name: at most 15 bytes for user tasks, may hold spaces and ')'. */
  readonly comm: string;
  /** One letter: R, S, D, Z, T, t, X, I, ... */
  readonly state: string;
  readonly ppid: number;
  /** Page faults of this process (all its threads) that needed no disk read, and those that did. */
  readonly minflt: number;
  readonly majflt: number;
  /** CPU time of this process (all its threads, dead ones included) in user and kernel mode. */
  readonly utime: CpuTicks;
  readonly stime: CpuTicks;
  /** CPU time of the children this process has waited for, their own waited-for children included. */
  readonly cutime: CpuTicks;
  readonly cstime: CpuTicks;
  readonly numThreads: number;
  /** Start time in clock ticks since boot: (pid, startTicks) identifies one process across pid reuse. */
  readonly startTicks: CpuTicks;
  /** Virtual memory size in bytes. */
  readonly vsize: number;
  /** Resident pages as the kernel's approximate counter has it; statm is exact. */
  readonly rssPages: number;
};

/**
 * The same fields, written into a record the caller owns and reuses: the sampler parses every process's stat
 * at every sample, so nothing is allocated. comm stays as bytes `[commStart, commEnd)` of the buffer; decoding
 * it is the caller's choice (the sampler does so only for a new process or a changed name).
 */
export type StatFields = { -readonly [K in Exclude<keyof ProcStat, 'comm' | 'state'>]: ProcStat[K] } & {
  commStart: number;
  commEnd: number;
  /** The state letter's character code. */
  state: number;
};

export const newStatFields = (): StatFields => ({ pid: 0, ppid: 0, minflt: 0, majflt: 0, utime: ticks(0), stime: ticks(0),
  cutime: ticks(0), cstime: ticks(0), numThreads: 0, startTicks: ticks(0), vsize: 0, rssPages: 0, commStart: 0, commEnd: 0, state: 0 });

const OPEN_PAREN = 0x28, CLOSE_PAREN = 0x29, SPACE = 0x20, NEWLINE = 0x0a, ZERO = 0x30, NINE = 0x39, MINUS = 0x2d;
const decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true }); // a BOM is part of the name, not a marker
/** The last field read: 24, rss. */
const LAST = 24;

/**
 * comm is cut at the LAST ')' because a name may contain ') ' (see fixture pid 7294, `a) b`). Fields
 * after it are numbered as in the man page: field 3 (state) is the first.
 */
export function parseStatFields(buf: Uint8Array, end: number, out: StatFields): StatFields {
  let open = 0;
  while (open < end && buf[open] !== OPEN_PAREN) open++;
  let close = end - 1;
  while (close > open && buf[close] !== CLOSE_PAREN) close--;
  if (open < 2 || open >= end || close <= open || close + 2 >= end) throw bad('no "(comm)" followed by fields', buf, end);
  const pid = digitsToNumber(buf, 0, open - 1);
  if (pid < 0) throw bad('pid is not a number', buf, end);
  out.pid = pid;
  out.commStart = open + 1;
  out.commEnd = close;
  out.state = buf[close + 2]!;
  let i = close + 2;
  while (i < end && buf[i] !== SPACE) i++; // past the state
  for (let field = 4; field <= LAST; field++) {
    if (i >= end) throw bad(`${field - 1} fields, want 52`, buf, end);
    i++; // past the space
    const from = buf[i] === MINUS ? i + 1 : i;
    let n = 0, ok = true;
    for (i = from; i < end; i++) {
      const c = buf[i]!;
      if (c === SPACE || c === NEWLINE) break;
      if (c < ZERO || c > NINE) ok = false;
      n = n * 10 + (c - ZERO);
    }
    switch (field) {
      case 4: out.ppid = want(n, ok, from, i, field, buf, end); break;
      case 10: out.minflt = want(n, ok, from, i, field, buf, end); break;
      case 12: out.majflt = want(n, ok, from, i, field, buf, end); break;
      case 14: out.utime = ticks(want(n, ok, from, i, field, buf, end)); break;
      case 15: out.stime = ticks(want(n, ok, from, i, field, buf, end)); break;
      case 16: out.cutime = ticks(want(n, ok, from, i, field, buf, end)); break;
      case 17: out.cstime = ticks(want(n, ok, from, i, field, buf, end)); break;
      case 20: out.numThreads = want(n, ok, from, i, field, buf, end); break;
      case 22: out.startTicks = ticks(want(n, ok, from, i, field, buf, end)); break;
      case 23: out.vsize = want(n, ok, from, i, field, buf, end); break;
      case LAST:
        // A field cut short by the end of what was read would read as a smaller number.
        if (i >= end || buf[i] !== SPACE) throw bad(`${field - 1} fields, want 52`, buf, end);
        // rss is printed signed; it can read -1 for a moment while the kernel's per-CPU counters settle.
        out.rssPages = buf[from - 1] === MINUS ? 0 : want(n, ok, from, i, field, buf, end);
        break;
    }
  }
  return out;
}

/** The whole record, comm decoded. */
export function parseStat(buf: Uint8Array, end: number = buf.length): ProcStat {
  const f = parseStatFields(buf, end, newStatFields());
  return { pid: f.pid, comm: decoder.decode(buf.subarray(f.commStart, f.commEnd)), state: String.fromCharCode(f.state),
    ppid: f.ppid, minflt: f.minflt, majflt: f.majflt, utime: f.utime, stime: f.stime, cutime: f.cutime, cstime: f.cstime,
    numThreads: f.numThreads, startTicks: f.startTicks, vsize: f.vsize, rssPages: f.rssPages };
}

/** A numeric field the sampler uses: digits only, at least one, not negative, finite (309 digits read as Infinity). */
function want(n: number, ok: boolean, from: number, to: number, field: number, buf: Uint8Array, end: number): number {
  if (!ok || to <= from || buf[from - 1] === MINUS || !Number.isFinite(n)) throw bad(`field ${field} is not a number`, buf, end);
  return n;
}

/** Digits in [from, to) as a number, or -1 if any byte is not a digit or there are too many (Infinity). Exact up to 2^53. */
function digitsToNumber(buf: Uint8Array, from: number, to: number): number {
  if (to <= from) return -1;
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = buf[i]!;
    if (c < ZERO || c > NINE) return -1;
    n = n * 10 + (c - ZERO);
  }
  return Number.isFinite(n) ? n : -1;
}

function bad(problem: string, buf: Uint8Array, end: number): ProcParseError {
  return new ProcParseError('stat', problem, decoder.decode(buf.subarray(0, Math.min(end, 200))));
}

/** Whether the comm bytes `[start, end)` of `buf` equal `name` (the bytes a sampler kept): no decoding. */
export function sameComm(buf: Uint8Array, start: number, end: number, name: Uint8Array): boolean {
  if (end - start !== name.length) return false;
  for (let i = 0; i < name.length; i++) if (buf[start + i] !== name[i]) return false;
  return true;
}

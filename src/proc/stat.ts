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
  /** CPU time of this process (all its threads, dead ones included) in user and kernel mode. */
  readonly utime: CpuTicks;
  readonly stime: CpuTicks;
  /** CPU time of the children this process has waited for, their own waited-for children included. */
  readonly cutime: CpuTicks;
  readonly cstime: CpuTicks;
  readonly numThreads: number;
  /** Start time in clock ticks since boot: (pid, startTicks) identifies one process across pid reuse. */
  readonly startTicks: CpuTicks;
  /** Resident pages as the kernel's approximate counter has it; statm is exact. */
  readonly rssPages: number;
};

const OPEN_PAREN = 0x28, CLOSE_PAREN = 0x29, SPACE = 0x20, ZERO = 0x30, NINE = 0x39, MINUS = 0x2d;
const decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true }); // a BOM is part of the name, not a marker

/**
 * comm is cut at the LAST ')' because a name may contain ') ' (see fixture pid 7294, `a) b`). Fields
 * after it are numbered as in the man page: field 3 (state) is the first.
 */
export function parseStat(buf: Uint8Array, end: number = buf.length): ProcStat {
  const open = buf.indexOf(OPEN_PAREN);
  const close = buf.lastIndexOf(CLOSE_PAREN, end - 1);
  if (open < 2 || close < open || close + 2 >= end) throw bad('no "(comm)" followed by fields', buf, end);
  const pid = parseUint(buf, 0, open - 1);
  if (pid < 0) throw bad('pid is not a number', buf, end);

  // Offsets of fields 3..24 (index 0 = field 3), found in one pass.
  const starts = FIELD_STARTS;
  let field = 0;
  starts[0] = close + 2;
  for (let i = close + 2; i < end && field < 22; i++) if (buf[i] === SPACE) starts[++field] = i + 1;
  if (field < 22) throw bad(`${field + 2} fields, want 52`, buf, end);
  const num = (n: number) => {
    const value = parseUint(buf, starts[n - 3]!, starts[n - 2]! - 1);
    if (value < 0) throw bad(`field ${n} is not a number`, buf, end);
    return value;
  };
  return {
    pid,
    comm: decoder.decode(buf.subarray(open + 1, close)),
    state: String.fromCharCode(buf[close + 2]!),
    ppid: num(4),
    utime: ticks(num(14)),
    stime: ticks(num(15)),
    cutime: ticks(num(16)),
    cstime: ticks(num(17)),
    numThreads: num(20),
    startTicks: ticks(num(22)),
    rssPages: parseSigned(buf, starts[21]!, starts[22]! - 1),
  };
}
const FIELD_STARTS = new Int32Array(24);

/** Digits in [from, to) as a number, or -1 if any byte is not a digit or there are too many (Infinity). Exact up to 2^53. */
function parseUint(buf: Uint8Array, from: number, to: number): number {
  if (to <= from) return -1;
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = buf[i]!;
    if (c < ZERO || c > NINE) return -1;
    n = n * 10 + (c - ZERO);
  }
  return Number.isFinite(n) ? n : -1;
}

// rss is printed signed; it can read -1 for a moment while the kernel's per-CPU counters settle.
function parseSigned(buf: Uint8Array, from: number, to: number): number {
  if (buf[from] === MINUS) return 0;
  return Math.max(0, parseUint(buf, from, to));
}

function bad(problem: string, buf: Uint8Array, end: number): ProcParseError {
  return new ProcParseError('stat', problem, decoder.decode(buf.subarray(0, Math.min(end, 200))));
}

// Parsers for a container's own cgroup counter files, v2 (cgroup-v2.rst) and v1 (cgroup-v1/memory.rst,
// cpuacct.rst, sched-bwc.rst). Pure: text in, unit-typed data out; reading the files is CgroupCounterReader's job.
// A key the kernel did not print is undefined, never 0: older kernels and disabled controllers omit lines.
import { ProcParseError } from '../proc/errors.ts';
import { bytes, cores, seconds } from '../units.ts';
import type { Bytes, Cores, Seconds } from '../units.ts';

/** CPU accounting of a cgroup and all its descendants, short-lived processes included. */
export type CgroupCpuStat = {
  /** All CPU time (v2 `usage_usec`; v1 has it in cpuacct.usage instead, see parseCpuacctUsage). */
  readonly usage?: Seconds;
  readonly user?: Seconds;
  readonly system?: Seconds;
  /** CFS bandwidth periods that had runnable tasks (`nr_periods`); only with the cpu controller enabled. */
  readonly periods?: number;
  /** Periods in which the group hit its quota (`nr_throttled`). */
  readonly throttledPeriods?: number;
  /** Time the group's tasks spent throttled (v2 `throttled_usec`, v1 `throttled_time` in ns). */
  readonly throttled?: Seconds;
};

/** memory.events (v2), hierarchical: counts of events since the cgroup was created. */
export type CgroupMemoryEvents = {
  /** Times usage was about to go over memory.max (reclaim at the limit). */
  readonly max?: number;
  /** Times the OOM killer was invoked because usage could not be brought under the limit. */
  readonly oom?: number;
  /** Processes of this cgroup killed by any OOM killer. */
  readonly oomKill?: number;
  /** Group OOMs (memory.oom.group); since Linux 5.17. */
  readonly oomGroupKill?: number;
};

/** The memory.stat figures the collector uses; v1 takes the hierarchical `total_*` keys. */
export type CgroupMemoryStat = {
  /** File pages the kernel will reclaim first; working set = usage − inactiveFile (cAdvisor, kubelet). */
  readonly inactiveFile?: Bytes;
  readonly activeFile?: Bytes;
  /** Anonymous memory (v1 `total_rss`). */
  readonly anon?: Bytes;
  /** Page cache, tmpfs included (v1 `total_cache`). */
  readonly file?: Bytes;
};

/** v1 memory.oom_control. */
export type CgroupOomControl = {
  readonly oomKillDisable?: boolean;
  /** The group is stopped at its limit, waiting for memory (only while oom_kill_disable is set). */
  readonly underOom?: boolean;
  /** Processes killed by the OOM killer; since Linux 4.13. */
  readonly oomKill?: number;
};

/**
 * A limit: a number, or null when the kernel says there is none (`max`, -1, or a sentinel such as v1's
 * 9223372036854771712 = PAGE_COUNTER_MAX pages). Any value above 2^53 is such a sentinel: no real limit is 8 PiB.
 */
export type Limit<T> = T | null;

// Divided, not multiplied by 1e-6: a quotient of two exact doubles is correctly rounded, so 10 µs is exactly 0.00001.
const USEC_PER_S = 1e6;
const NSEC_PER_S = 1e9;

// `\d+` only: the kernel prints these in decimal without sign or spaces; anything else is not its format.
const UINT = /^\d+$/;

function uint(file: string, word: string, line: string): number {
  if (!UINT.test(word)) throw new ProcParseError(file, `"${word.slice(0, 32)}" is not a whole number`, line);
  // Counters above 2^53 lose only their last digits as a double (2^53 ns is 104 days of CPU); limits handle theirs.
  return Number(word);
}

/** The one number of a single-value file (memory.current, cpuacct.usage). */
function single(file: string, text: string): number {
  return uint(file, text.trim(), text);
}

/** A flat-keyed file (`key value` per line, cgroup-v2.rst "Interface Files"): the wanted keys, in one pass. */
function flatKeyed<K extends string>(file: string, text: string, keys: readonly K[]): Partial<Record<K, number>> {
  const out: Partial<Record<K, number>> = {};
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const space = line.indexOf(' ');
    if (space < 1) throw new ProcParseError(file, 'line is not "key value"', line);
    const key = line.slice(0, space);
    if ((keys as readonly string[]).includes(key)) out[key as K] = uint(file, line.slice(space + 1), line);
  }
  return out;
}

const scaled = (n: number | undefined, perSecond: number) => (n === undefined ? undefined : seconds(n / perSecond));
const inBytes = (n: number | undefined) => (n === undefined ? undefined : bytes(n));

/** v2 cpu.stat. The throttling keys appear only when the cpu controller is enabled for the cgroup. */
export function parseCpuStatV2(text: string): CgroupCpuStat {
  const k = flatKeyed('cpu.stat', text, ['usage_usec', 'user_usec', 'system_usec', 'nr_periods', 'nr_throttled',
    'throttled_usec']);
  const s = (n: number | undefined) => scaled(n, USEC_PER_S);
  return { usage: s(k.usage_usec), user: s(k.user_usec), system: s(k.system_usec),
    periods: k.nr_periods, throttledPeriods: k.nr_throttled, throttled: s(k.throttled_usec) };
}

/** v1 cpu.stat of the cpu controller: bandwidth only (usage is cpuacct's); throttled_time is in ns. */
export function parseCpuStatV1(text: string): CgroupCpuStat {
  const k = flatKeyed('cpu.stat', text, ['nr_periods', 'nr_throttled', 'throttled_time']);
  return { periods: k.nr_periods, throttledPeriods: k.nr_throttled,
    throttled: scaled(k.throttled_time, NSEC_PER_S) };
}

/** v1 cpuacct.usage: all CPU time of the cgroup and its descendants, in ns. */
export const parseCpuacctUsage = (text: string): Seconds => seconds(single('cpuacct.usage', text) / NSEC_PER_S);

/**
 * A single byte count: v2 memory.current and memory.peak (Linux 5.19+), v1 memory.usage_in_bytes and
 * memory.max_usage_in_bytes. `file` names the file in errors.
 */
export const parseMemoryBytes = (file: string, text: string): Bytes => bytes(single(file, text));

const limit = (n: number): Limit<number> => (n > Number.MAX_SAFE_INTEGER ? null : n);

/** v2 memory.max: bytes, or `max` for none. Absent in the root cgroup. */
export function parseMemoryMax(text: string): Limit<Bytes> {
  const word = text.trim();
  if (word === 'max') return null;
  const n = limit(uint('memory.max', word, text));
  return n === null ? null : bytes(n);
}

/** v1 memory.limit_in_bytes: "no limit" is the largest page-aligned value, 9223372036854771712 on 4 KiB pages. */
export function parseMemoryLimitV1(text: string): Limit<Bytes> {
  const n = limit(single('memory.limit_in_bytes', text));
  return n === null ? null : bytes(n);
}

/** v2 memory.events. The counts are hierarchical; memory.events.local holds the cgroup's own. */
export function parseMemoryEvents(text: string): CgroupMemoryEvents {
  const k = flatKeyed('memory.events', text, ['max', 'oom', 'oom_kill', 'oom_group_kill']);
  return { max: k.max, oom: k.oom, oomKill: k.oom_kill, oomGroupKill: k.oom_group_kill };
}

/** v2 memory.stat (bytes). */
export function parseMemoryStatV2(text: string): CgroupMemoryStat {
  const k = flatKeyed('memory.stat', text, ['inactive_file', 'active_file', 'anon', 'file']);
  return { inactiveFile: inBytes(k.inactive_file), activeFile: inBytes(k.active_file), anon: inBytes(k.anon),
    file: inBytes(k.file) };
}

/**
 * v1 memory.stat (bytes). The `total_*` keys include descendants, as usage_in_bytes does; the plain ones
 * (`inactive_file`) are this cgroup's own only, and would undercount a container with nested cgroups.
 */
export function parseMemoryStatV1(text: string): CgroupMemoryStat {
  const k = flatKeyed('memory.stat', text, ['total_inactive_file', 'total_active_file', 'total_rss', 'total_cache']);
  return { inactiveFile: inBytes(k.total_inactive_file), activeFile: inBytes(k.total_active_file),
    anon: inBytes(k.total_rss), file: inBytes(k.total_cache) };
}

/** v1 memory.oom_control. */
export function parseOomControl(text: string): CgroupOomControl {
  const k = flatKeyed('memory.oom_control', text, ['oom_kill_disable', 'under_oom', 'oom_kill']);
  const flag = (n: number | undefined) => (n === undefined ? undefined : n !== 0);
  return { oomKillDisable: flag(k.oom_kill_disable), underOom: flag(k.under_oom), oomKill: k.oom_kill };
}

/** v2 cpu.max, `$MAX $PERIOD` in µs: the cores the cgroup may use, or null for `max`. Absent in the root. */
export function parseCpuMax(text: string): Limit<Cores> {
  const words = text.trim().split(' ');
  const [quota, period] = words;
  if (words.length !== 2 || quota === undefined || period === undefined) {
    throw new ProcParseError('cpu.max', 'is not "$MAX $PERIOD"', text);
  }
  const p = uint('cpu.max', period, text);
  if (p === 0) throw new ProcParseError('cpu.max', 'period is 0', text);
  return quota === 'max' ? null : cores(uint('cpu.max', quota, text) / p);
}

/** v1 cpu.cfs_quota_us and cpu.cfs_period_us (µs): the cores the cgroup may use, or null for quota -1. */
export function parseCfsLimitV1(quotaText: string, periodText: string): Limit<Cores> {
  const quota = quotaText.trim();
  if (quota === '-1') return null;
  const p = single('cpu.cfs_period_us', periodText);
  if (p === 0) throw new ProcParseError('cpu.cfs_period_us', 'period is 0', periodText);
  return cores(uint('cpu.cfs_quota_us', quota, quotaText) / p);
}

/** Working set as cAdvisor and the kubelet compute it: usage − inactive file pages, never below 0. */
export function workingSet(usage: Bytes | undefined, inactiveFile: Bytes | undefined): Bytes | undefined {
  if (usage === undefined || inactiveFile === undefined) return undefined;
  return bytes(Math.max(0, usage - inactiveFile));
}

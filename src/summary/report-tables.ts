// The tables of the run report as plain cells: one row per container for CPU and for memory, and the top
// processes. Shared by the Markdown step summary and the terminal report, which only lay the cells out.
import {
  UNKNOWN, cpuQuantity, formatBytes, formatCores, formatCount, formatDuration, formatPercent, sourceLabel,
} from './report-figures.ts';
import { memoryPeak } from './report-warnings.ts';
import type { ContainerSummary, ProcessSummary, RunSummary } from './types.ts';

export type ReportOptions = {
  /** What ran, for the heading: the wrapped command or the job's name. @default 'job' */
  readonly name?: string;
  /**
   * Whether every container's limits are known (CGROUP_LIMITS given, or read from the cgroup): then a container
   * without a limit has none and shows `none`; otherwise a missing limit is not known and shows `—`.
   * @default false
   */
  readonly limitsKnown?: boolean;
  /** Most points in each chart; the summary's series is downsampled further by max. @default 60 */
  readonly chartPoints?: number;
  /** Processes in each top list (the summary holds `--top` of them). @default 5 */
  readonly topProcesses?: number;
};

export type Column = { readonly header: string; readonly align: 'left' | 'right' };
/** `code`: a name or command line taken from the job, shown verbatim (a code span in Markdown). */
export type Cell = { readonly text: string; readonly code?: boolean };
export type Table = { readonly columns: readonly Column[]; readonly rows: readonly (readonly Cell[])[] };

/** Command lines in the top lists are cut to this many characters (the summary holds up to 256). */
export const COMMAND_CHARS = 72;

const left = (header: string): Column => ({ header, align: 'left' });
const right = (header: string): Column => ({ header, align: 'right' });
const cell = (text: string): Cell => ({ text });

type ColumnGroup = { readonly columns: readonly Column[]; readonly cells: (c: ContainerSummary) => readonly Cell[] };
const table = (s: RunSummary, parts: readonly (ColumnGroup | false)[]): Table => {
  const used = parts.filter((p): p is ColumnGroup => p !== false);
  return { columns: used.flatMap((p) => p.columns), rows: s.containers.map((c) => used.flatMap((p) => p.cells(c))) };
};

/** `p95 of limit`, `peak of limit` cells; `none` for no limit when limits are known, else `—`. */
function limitCells(limit: number | undefined, p95: number, peak: number, show: (n: number) => string, known: boolean): Cell[] {
  if (limit === undefined || limit <= 0) return [cell(known ? 'none' : UNKNOWN), cell(UNKNOWN), cell(UNKNOWN)];
  return [cell(show(limit)), cell(formatPercent(p95 / limit)), cell(formatPercent(peak / limit))];
}

const limitColumns = [right('limit'), right('p95 of limit'), right('peak of limit')];

/** CPU-seconds over the run; older collectors' summaries have none, whatever the type says. */
const cpuSeconds = (c: ContainerSummary): number | undefined => (c as { readonly cpu_seconds?: number }).cpu_seconds;

/** CPU in cores per container: avg, p95, peak, CPU time, the limit and its use, throttling, the source. */
export function cpuTable(s: RunSummary, o: ReportOptions): Table {
  const known = o.limitsKnown ?? false;
  const withLimits = known || s.containers.some((c) => c.limits?.cpu_cores !== undefined);
  return table(s, [
    { columns: [left('container')], cells: (c) => [cell(c.name)] },
    { columns: [right('avg'), right('p95'), right('peak')],
      cells: (c) => [c.cpu_cores.avg, c.cpu_cores.p95, c.cpu_cores.peak].map((n) => cell(formatCores(n))) },
    s.containers.some((c) => cpuSeconds(c) !== undefined) && { columns: [right('CPU time')],
      cells: (c) => [cell(formatDuration(cpuSeconds(c) ?? NaN))] },
    withLimits && { columns: limitColumns,
      cells: (c) => limitCells(c.limits?.cpu_cores, c.cpu_cores.p95, c.cpu_cores.peak, cpuQuantity, known) },
    s.containers.some((c) => c.cpu_throttling !== undefined) && { columns: [right('throttled')], cells: (c) => {
      const t = c.cpu_throttling;
      if (t === undefined) return [cell(UNKNOWN)];
      return [cell(t.periods === 0 ? '0%' : `${formatPercent(t.throttled_periods / t.periods)} (${formatDuration(t.throttled_seconds)})`)];
    } },
    { columns: [left('source')], cells: (c) => [cell(sourceLabel(c.cpu_source))] },
  ]);
}

/** Memory per container: avg, p95, peak, the kernel's peak, the limit and its use, OOM kills, the source. */
export function memoryTable(s: RunSummary, o: ReportOptions): Table {
  const known = o.limitsKnown ?? false;
  const withLimits = known || s.containers.some((c) => c.limits?.memory_bytes !== undefined);
  return table(s, [
    { columns: [left('container')], cells: (c) => [cell(c.name)] },
    { columns: [right('avg'), right('p95'), right('peak')],
      cells: (c) => [c.memory_bytes.avg, c.memory_bytes.p95, c.memory_bytes.peak].map((n) => cell(formatBytes(n))) },
    s.containers.some((c) => c.memory_peak_bytes !== undefined) && { columns: [right('kernel peak')],
      cells: (c) => [cell(c.memory_peak_bytes === undefined ? UNKNOWN : formatBytes(c.memory_peak_bytes))] },
    // peak of limit takes the kernel's peak where it is higher: that is what the OOM killer compares
    withLimits && { columns: limitColumns,
      cells: (c) => limitCells(c.limits?.memory_bytes, c.memory_bytes.p95, memoryPeak(c), formatBytes, known) },
    s.containers.some((c) => c.oom_kills !== undefined) && { columns: [right('OOM kills')],
      cells: (c) => [cell(c.oom_kills === undefined ? UNKNOWN : String(c.oom_kills))] },
    { columns: [left('source')], cells: (c) => [cell(sourceLabel(c.memory_source))] },
  ]);
}

/** A command line cut to `max` characters, the cut marked with `…`. */
export const clip = (text: string, max = COMMAND_CHARS): string =>
  [...text].length <= max ? text : `${[...text].slice(0, max - 1).join('')}…`;

/** The top processes: name, container, CPU in cores (peak; average while alive), peak memory, command line. */
export function processTable(ps: readonly ProcessSummary[], o: ReportOptions): Table {
  return {
    columns: [left('process'), left('container'), right('peak cores'), right('avg cores'), right('peak memory'), left('command')],
    rows: ps.slice(0, o.topProcesses ?? 5).map((p) => [
      { text: p.name, code: true }, cell(p.container), cell(formatCores(p.peak_cpu_percent / 100)),
      cell(formatCores(p.avg_cpu_percent / 100)), cell(formatBytes(p.peak_mem_bytes)), { text: clip(p.cmdline), code: true },
    ]),
  };
}

/** One line on how the figures were taken. */
export function collectionLine(s: RunSummary): string {
  const c = s.collection, n = (x: number) => formatCount(x);
  const vanished = c.processes_vanished > 0 ? ` (${n(c.processes_vanished)} exited before they could be read)` : '';
  return [
    `${n(s.sample_count)} samples every ${formatDuration(c.interval_seconds)}`,
    `${n(c.processes_seen)} processes seen${vanished}`,
    `node: CPU p95 ${formatPercent(s.cpu_total_percent.p95 / 100)}, memory peak ${formatBytes(s.mem_used_bytes.peak)} of ${formatBytes(s.mem_total_bytes)}`,
    `collector ${c.collector_version}`,
  ].join(' · ');
}

/** What a reader must know to judge the figures: an unfinished run, missing limits or series, blind spots. */
export function notes(s: RunSummary, o: ReportOptions): string[] {
  const out: string[] = [];
  if (!s.complete) out.push(`Incomplete: a checkpoint taken while the job was still running; it covers the first ${formatDuration(s.duration_seconds)}.`);
  if (!(o.limitsKnown ?? false) && !s.containers.some((c) => c.limits !== undefined)) {
    out.push('No limits were known (set CGROUP_LIMITS): no percent of limit and no sizing advice.');
  }
  if (!s.collection.short_lived_accounting) {
    out.push('The CPU of processes that exited between two samples is not counted: short-lived work reads low.');
  }
  if (s.containers.length === 0) out.push('No container was seen.');
  const estimated = [s.cpu_total_percent, s.mem_used_bytes, ...s.containers.flatMap((c) => [c.cpu_cores, c.memory_bytes])]
    .map((stats) => stats.percentile_relative_error).filter((e): e is number => e !== undefined);
  if (estimated.length > 0) {
    out.push(`Some percentiles are estimates within ${formatCount(Math.max(...estimated) * 100, 3)}% (a long run: more distinct values than are counted exactly); peaks and averages are exact.`);
  }
  return out;
}

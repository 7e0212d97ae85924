// The findings a person acts on after a run: memory near its limit, OOM kills, CPU throttling, and limits far
// above what the job used, with the figure the limit could be. Rules over a RunSummary; no formatting of output.
import { cpuQuantity, formatBytes, formatCores, formatPercent, memoryQuantity } from './report-figures.ts';
import type { ContainerSummary, RunSummary } from './types.ts';

/** Memory peak at or above this fraction of the limit is a warning (the next spike may be OOM-killed). */
export const MEMORY_NEAR_LIMIT = 0.9;
/** CPU throttled in more than this fraction of its CFS periods is a warning (the limit slowed the job). */
export const THROTTLED_PERIODS = 0.1;
/** A limit at least this many times the p95 use is over-provisioned. */
export const OVER_PROVISIONED = 4;
/** The figure a limit could be covers the run's peak with this much headroom, rounded up to a round quantity. */
export const HEADROOM = 1.2;

export const WARNING_KINDS = ['oom-kills', 'memory-near-limit', 'cpu-throttled', 'memory-over-provisioned',
  'cpu-over-provisioned'] as const;
export type WarningKind = (typeof WARNING_KINDS)[number];

export type Warning = {
  readonly kind: WarningKind;
  /** `error`: something failed (OOM kills); `warning`: the job is at risk or slowed; `advice`: money to save. */
  readonly level: 'error' | 'warning' | 'advice';
  readonly container: string;
  /** Plain text after the container's name, e.g. `memory peak 2.80 GiB is 93% of its 3 GiB limit`. */
  readonly message: string;
};

const MiB = 1024 ** 2;

/** Memory rounded up to 2^n or 1.5 × 2^n MiB, at least 16Mi: 456 MiB → 512Mi, 700 MiB → 768Mi, 1.1 GiB → 1536Mi. */
export function roundUpMemory(n: number): number {
  if (n <= 16 * MiB) return 16 * MiB;
  const pow2 = 2 ** Math.ceil(Math.log2(n / MiB)) * MiB;
  return pow2 * 0.75 >= n ? pow2 * 0.75 : pow2;
}

/** CPU rounded up to 100m steps below 1 core, 500m steps below 4, whole cores above: 0.72 → 0.8, 2.3 → 2.5. */
export function roundUpCpu(c: number): number {
  const milli = Math.ceil(Math.round(c * 1e6) / 1e3); // drop float noise below a microcore first
  const step = milli < 1000 ? 100 : milli < 4000 ? 500 : 1000;
  return Math.max(100, Math.ceil(milli / step) * step) / 1000;
}

/** The kernel's own peak where it has one: it sees spikes between samples. */
export const memoryPeak = (c: ContainerSummary): number => Math.max(c.memory_bytes.peak, c.memory_peak_bytes ?? 0);

/** The warnings of one container, most urgent first. */
export function containerWarnings(c: ContainerSummary): Warning[] {
  const out: Warning[] = [];
  const add = (kind: WarningKind, level: Warning['level'], message: string) => out.push({ kind, level, container: c.name, message });
  const memLimit = c.limits?.memory_bytes, cpuLimit = c.limits?.cpu_cores;
  if ((c.oom_kills ?? 0) > 0) {
    const n = c.oom_kills!;
    add('oom-kills', 'error', `the OOM killer killed ${n} process${n === 1 ? '' : 'es'}` +
      (memLimit === undefined ? '' : ` (memory limit ${formatBytes(memLimit)})`));
  }
  const peak = memoryPeak(c);
  if (memLimit !== undefined && memLimit > 0 && peak >= MEMORY_NEAR_LIMIT * memLimit) {
    const kernel = c.memory_peak_bytes !== undefined && c.memory_peak_bytes > c.memory_bytes.peak ? ' (kernel record)' : '';
    add('memory-near-limit', 'warning',
      `memory peak ${formatBytes(peak)}${kernel} is ${formatPercent(peak / memLimit)} of its ${formatBytes(memLimit)} limit`);
  }
  const t = c.cpu_throttling;
  if (t !== undefined && t.periods > 0 && t.throttled_periods > THROTTLED_PERIODS * t.periods) {
    add('cpu-throttled', 'warning', `CPU throttled in ${formatPercent(t.throttled_periods / t.periods)} of its periods, ` +
      `${Math.round(t.throttled_seconds)} s in all` + (cpuLimit === undefined ? '' : ` (limit ${cpuQuantity(cpuLimit)})`));
  }
  if (memLimit !== undefined && memLimit >= OVER_PROVISIONED * c.memory_bytes.p95) {
    const could = roundUpMemory(peak * HEADROOM);
    if (could < memLimit) {
      add('memory-over-provisioned', 'advice', `memory limit ${memoryQuantity(memLimit)}, p95 ${formatBytes(c.memory_bytes.p95)}, ` +
        `peak ${formatBytes(peak)}: ${memoryQuantity(could)} would do`);
    }
  }
  if (cpuLimit !== undefined && cpuLimit >= OVER_PROVISIONED * c.cpu_cores.p95) {
    const could = roundUpCpu(c.cpu_cores.peak * HEADROOM);
    if (could < cpuLimit) {
      add('cpu-over-provisioned', 'advice', `CPU limit ${cpuQuantity(cpuLimit)}, p95 ${formatCores(c.cpu_cores.p95)} cores, ` +
        `peak ${formatCores(c.cpu_cores.peak)}: ${cpuQuantity(could)} would do`);
    }
  }
  return out;
}

const LEVEL_ORDER = { error: 0, warning: 1, advice: 2 } as const;

/** Every container's warnings: errors first, then warnings, then advice; in container order within each. */
export const runWarnings = (s: RunSummary): Warning[] =>
  s.containers.flatMap(containerWarnings).sort((a, b) => LEVEL_ORDER[a.level] - LEVEL_ORDER[b.level]);

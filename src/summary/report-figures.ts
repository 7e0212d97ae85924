// Figures as a person reads them in the step summary and the terminal report: cores, binary bytes, percent of
// a limit, durations, Kubernetes quantities. Plain text, no Markdown; pure functions of numbers.
import { formatCpuQuantity, formatMemoryQuantity } from '../cgroup/quantity.ts';
import { bytes, cores } from '../units.ts';
import type { MeasurementSource } from './types.ts';

/** What a table shows for a figure that is not known (never 0: that would read as "nothing used"). */
export const UNKNOWN = '—';

/** C0 and C1 controls (`\p{Cc}`) and the bidirectional overrides that can make a name read as something else. */
export const UNPRINTABLE = /[\p{Cc}\u202a-\u202e\u2066-\u2069]/gu;

const BINARY_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'] as const;

/** Bytes with a binary unit and three significant digits, `512 B`, `45.3 MiB`, `2.80 GiB`, `612 MiB`; exact `3 GiB`. */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return UNKNOWN;
  let unit = 0, v = n;
  while (unit < BINARY_UNITS.length - 1 && v >= 1024) { v /= 1024; unit++; }
  if (unit === 0) return `${Math.round(v)} B`;
  // 1023.7 MiB rounds to 1024: say 1.00 GiB instead
  if (Math.round(v) >= 1024 && unit < BINARY_UNITS.length - 1) { v /= 1024; unit++; }
  if (Number.isInteger(v)) return `${v} ${BINARY_UNITS[unit]}`; // a limit such as 3 GiB reads as given
  const r = v >= 100 ? Math.round(v) : Number(v.toPrecision(3));
  return `${r.toFixed(r >= 100 ? 0 : r >= 10 ? 1 : 2)} ${BINARY_UNITS[unit]}`;
}

/**
 * A number as en-US writes it, `1,234,567` and `0.125`, with at most `maxFraction` decimals (trailing zeros
 * dropped). Not toLocaleString: that loads ICU's number formatting, 6.6 MiB resident in the collector, for commas.
 */
export function formatCount(n: number, maxFraction = 0): string {
  if (!Number.isFinite(n)) return UNKNOWN;
  const [whole = '', fraction = ''] = Math.abs(n).toFixed(maxFraction).split('.');
  const grouped = whole.replace(/\B(?=(\d{3})+$)/g, ',');
  const trimmed = fraction.replace(/0+$/, '');
  const text = trimmed === '' ? grouped : `${grouped}.${trimmed}`;
  return n < 0 && /[1-9]/.test(text) ? `-${text}` : text;
}

/** CPU in cores: `0`, `0.004`, `0.42`, `1.90`, `12.5`. */
export function formatCores(c: number): string {
  if (!Number.isFinite(c) || c < 0) return UNKNOWN;
  if (c === 0) return '0';
  return c.toFixed(c < 0.01 ? 3 : c < 10 ? 2 : 1);
}

/**
 * A fraction of a limit as a whole percent, rounded down so that the figure never reaches a warning threshold
 * the rule did not: 0.8996 is `89%`, 0.9 is `90%`, 1.2 is `120%`. (The epsilon undoes 0.29 × 100 = 28.999….)
 */
export function formatPercent(fraction: number): string {
  if (!Number.isFinite(fraction) || fraction < 0) return UNKNOWN;
  return `${Math.floor(fraction * 100 + 1e-9)}%`;
}

/** A duration or an offset into the run: `0.8s`, `45s`, `3m 20s`, `1h 05m`. */
export function formatDuration(s: number): string {
  if (!Number.isFinite(s) || s < 0) return UNKNOWN;
  if (s < 10 && !Number.isInteger(s)) return `${s.toFixed(1)}s`;
  const whole = Math.round(s);
  if (whole < 60) return `${whole}s`;
  const h = Math.floor(whole / 3600), m = Math.floor((whole % 3600) / 60), sec = whole % 60;
  return h > 0 ? `${h}h ${String(m).padStart(2, '0')}m` : `${m}m ${String(sec).padStart(2, '0')}s`;
}

const DECIMAL = [['E', 1e18], ['P', 1e15], ['T', 1e12], ['G', 1e9], ['M', 1e6], ['k', 1e3]] as const;

/**
 * A memory limit as Kubernetes writes it, with a short number: `4Gi`, `1536Mi`, `4G` (not `3906250Ki`); a figure
 * no suffix divides into a short number reads as bytes with a binary unit.
 */
export function memoryQuantity(n: number): string {
  const q = formatMemoryQuantity(bytes(n));
  if (/^\d{1,5}(Ki|Mi|Gi|Ti|Pi|Ei)?$/.test(q)) return q;
  const decimal = DECIMAL.find(([, f]) => n % f === 0 && n / f < 1e5);
  return decimal === undefined ? formatBytes(n) : `${n / decimal[1]}${decimal[0]}`;
}

/** A CPU limit as Kubernetes writes it: `2`, `500m`. */
export const cpuQuantity = (c: number): string => formatCpuQuantity(cores(c));

/** Where a figure came from; older collectors' summaries have no source and always summed processes. */
export const sourceLabel = (s: MeasurementSource | undefined): string =>
  s === 'cgroup-v2' ? 'cgroup v2' : s === 'cgroup-v1' ? 'cgroup v1' : 'processes';

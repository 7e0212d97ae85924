// CPU and memory over the run as Mermaid `xychart-beta` blocks, one line per container, with a text line under
// each that stays readable where Mermaid is not rendered. Built from the summary's downsampled series.
import { formatBytes, formatCores, formatDuration } from './report-figures.ts';
import type { ContainerSummary, RunSummary } from './types.ts';

/** Line colours, and the square emoji that stands for each in the text line (older Mermaid draws no legend). */
export const PALETTE = [
  { emoji: '🟦', color: '#2f80ed' }, { emoji: '🟧', color: '#f2994a' }, { emoji: '🟩', color: '#27ae60' },
  { emoji: '🟥', color: '#eb5757' }, { emoji: '🟪', color: '#9b51e0' }, { emoji: '🟨', color: '#f2c94c' },
  { emoji: '🟫', color: '#8d6e63' }, { emoji: '⬛', color: '#4f4f4f' },
] as const;

/** Most points per chart unless the caller asks otherwise: enough for a shape, few enough to read. */
export const CHART_POINTS = 60;

export type Chart = {
  /** The fenced ```mermaid block. */
  readonly mermaid: string;
  /** One line of text: each container's peak, when it was, and its average. */
  readonly fallback: string;
};

/** Values per chart point so that `length` values make at most `maxPoints` points (CHART_POINTS if not a count). */
export function groupSize(length: number, maxPoints: number): number {
  const most = Number.isFinite(maxPoints) && maxPoints >= 1 ? Math.floor(maxPoints) : CHART_POINTS;
  return Math.max(1, Math.ceil(length / most));
}

/** Groups consecutive values `per` at a time and keeps each group's max, so a one-point spike survives. */
export function maxPerGroup(values: readonly number[], per: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < values.length; i += per) {
    let hi = 0; // a series holds no negative figure; a non-finite one (never written) draws as 0
    for (let j = i; j < Math.min(values.length, i + per); j++) if (Number.isFinite(values[j]) && values[j]! > hi) hi = values[j]!;
    out.push(hi);
  }
  return out;
}

/** 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 × 10^n: the axis top at or above `n`. */
export function niceCeil(n: number): number {
  if (!(n > 0)) return 1;
  const scale = 10 ** Math.floor(Math.log10(n));
  const step = [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10].find((m) => m * scale >= n * (1 - 1e-12)) ?? 10;
  return Number((step * scale).toPrecision(3));
}

/** A number as Mermaid's grammar takes it: digits and a `.`, never an exponent, NaN or Infinity. */
export const mermaidNumber = (n: number, decimals: number): string =>
  Number.isFinite(n) ? String(Number(n.toFixed(decimals))) : '0';

/** Text inside a quoted Mermaid label: no quote, backslash, newline or character the lexer might take. */
export const mermaidLabel = (text: string): string =>
  text.replace(/[^\p{L}\p{N} ._:/()+,-]/gu, '_').slice(0, 60);

type Metric = {
  readonly title: string;
  readonly values: (c: ContainerSummary) => readonly number[] | undefined;
  readonly peak: (c: ContainerSummary) => number;
  readonly avg: (c: ContainerSummary) => number;
  readonly show: (n: number) => string;
};

const MEMORY_UNITS = [['GiB', 1024 ** 3], ['MiB', 1024 ** 2], ['KiB', 1024]] as const;

function timeAxis(seconds: number): { readonly title: string; readonly top: number } {
  if (seconds < 120) return { title: 'time (s)', top: Number(seconds.toFixed(0)) };
  if (seconds < 3 * 3600) return { title: 'time (min)', top: Number((seconds / 60).toFixed(1)) };
  return { title: 'time (h)', top: Number((seconds / 3600).toFixed(2)) };
}

function chart(s: RunSummary, m: Metric, unit: { readonly name: string; readonly size: number; readonly decimals: number },
  maxPoints: number): Chart | undefined {
  const axis = s.series;
  // a chart needs two points to draw a line; the summary's text and tables cover a run shorter than that
  const charted = s.containers.filter((c) => (m.values(c)?.length ?? 0) >= 2).slice(0, PALETTE.length);
  if (axis === undefined || charted.length === 0) return undefined;
  const per = groupSize(Math.max(...charted.map((c) => m.values(c)!.length)), maxPoints);
  const lines = charted.map((c) => maxPerGroup(m.values(c)!, per));
  const points = Math.max(...lines.map((l) => l.length));
  const top = niceCeil(Math.max(...lines.flat()) / unit.size);
  const time = timeAxis(points * per * axis.point_seconds);
  const palette = charted.map((_, i) => PALETTE[i]!.color).join(', ');
  const mermaid = [
    '```mermaid', '---', 'config:', '  xyChart:', '    height: 320', '  themeVariables:', '    xyChart:',
    `      plotColorPalette: "${palette}"`, '---', 'xychart-beta',
    `  title "${mermaidLabel(`${m.title} (max per ${formatDuration(per * axis.point_seconds)})`)}"`,
    `  x-axis "${time.title}" 0 --> ${mermaidNumber(time.top, 2)}`,
    `  y-axis "${mermaidLabel(unit.name)}" 0 --> ${mermaidNumber(top, 3)}`,
    ...charted.map((c, i) => `  line "${mermaidLabel(c.name)}" [${lines[i]!.map((v) => mermaidNumber(v / unit.size, unit.decimals)).join(', ')}]`),
    '```',
  ].join('\n');
  const more = s.containers.length - charted.length;
  const fallback = `${m.title}, max per ${formatDuration(per * axis.point_seconds)}: ` + charted.map((c, i) => {
    const v = m.values(c)!, at = v.indexOf(Math.max(...v)) * axis.point_seconds;
    return `${PALETTE[i]!.emoji} ${c.name} peak ${m.show(m.peak(c))} at ${formatDuration(at)}, avg ${m.show(m.avg(c))}`;
  }).join('; ') + (more > 0 ? `; ${more} more not charted` : '');
  return { mermaid, fallback };
}

/** The CPU chart (cores) and the memory chart (GiB, MiB or KiB by the highest point); none without a series. */
export function runCharts(s: RunSummary, maxPoints = CHART_POINTS): Chart[] {
  const memoryTop = Math.max(0, ...s.containers.flatMap((c) => c.series?.memory_bytes.max ?? []));
  const [name, size] = MEMORY_UNITS.find(([, b]) => memoryTop >= b) ?? MEMORY_UNITS[2];
  const cpu = chart(s, {
    title: 'CPU', values: (c) => c.series?.cpu_cores.max, peak: (c) => c.cpu_cores.peak, avg: (c) => c.cpu_cores.avg, show: formatCores,
  }, { name: 'cores', size: 1, decimals: 3 }, maxPoints);
  const memory = chart(s, {
    title: 'Memory', values: (c) => c.series?.memory_bytes.max, peak: (c) => c.memory_bytes.peak, avg: (c) => c.memory_bytes.avg,
    show: formatBytes,
  }, { name, size, decimals: 3 }, maxPoints);
  return [cpu, memory].filter((c): c is Chart => c !== undefined);
}

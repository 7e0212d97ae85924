// Line charts with uPlot that fit their container's width: a run history (one point per run or group of runs)
// or a run's series over time. Canvas-drawn, so a few hundred points cost nothing.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { h } from './dom.ts';

export type Line = {
  readonly label: string;
  readonly values: readonly (number | null)[];
  readonly color: string;
  readonly dash?: number[];
  /** Stepped (limits), or points only without a line (OOM kills). */
  readonly style?: 'line' | 'step' | 'points';
};

export type ChartSpec = {
  readonly title: string;
  /** Seconds since the epoch (uPlot's time scale). */
  readonly x: readonly number[];
  readonly lines: readonly Line[];
  readonly format: (v: number) => string;
  readonly testId: string;
  /** Called with the index of a clicked point. */
  readonly onPick?: (index: number) => void;
};

const HEIGHT = 220;

function series(line: Line): uPlot.Series {
  const base = { label: line.label, stroke: line.color, ...(line.dash === undefined ? {} : { dash: line.dash }) };
  if (line.style === 'points') {
    return { ...base, width: 0, paths: () => null, points: { show: true, size: 11, fill: line.color, stroke: line.color } };
  }
  return { ...base, width: 2, spanGaps: true, ...(line.style === 'step' ? { paths: uPlot.paths.stepped?.({ align: 1 }) } : {}),
    points: { show: false } };
}

/** Draws the chart into a new element; it redraws at its container's width when that changes. */
export function chart(spec: ChartSpec): HTMLElement {
  const box = h('figure', { class: 'chart', 'data-testid': spec.testId }, h('figcaption', {}, spec.title));
  const plotHost = h('div', { class: 'chart-plot' });
  box.appendChild(plotHost);
  const data: uPlot.AlignedData = [spec.x as number[], ...spec.lines.map((l) => l.values as (number | null)[])];
  const opts: uPlot.Options = {
    width: 600, height: HEIGHT,
    series: [{}, ...spec.lines.map(series)],
    axes: [{}, { values: (_u, ticks) => ticks.map((t) => spec.format(t)), size: 70 }],
    scales: { y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.08 : 1] } },
    cursor: { points: { size: 7 } },
    legend: { live: true },
  };
  // uPlot needs the element in the document to measure it: create once attached.
  requestAnimationFrame(() => {
    const plot = new uPlot({ ...opts, width: Math.max(280, plotHost.clientWidth) }, data, plotHost);
    if (spec.onPick !== undefined) {
      plot.over.addEventListener('click', () => {
        const i = plot.cursor.idx;
        if (i !== null && i !== undefined) spec.onPick?.(i);
      });
      plot.over.style.cursor = 'pointer';
    }
    // The observer also reports the size it starts with: redraw only on a real change (a page has 4+ charts).
    let width = plot.width;
    new ResizeObserver(() => {
      const now = Math.max(280, plotHost.clientWidth);
      if (now !== width) plot.setSize({ width: (width = now), height: HEIGHT });
    }).observe(plotHost);
  });
  return box;
}

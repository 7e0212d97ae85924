// One run: CPU and memory over time per container (the summary's series), and its top processes.
import { api } from './api.ts';
import { chart } from './charts.ts';
import { h, notice } from './dom.ts';
import { bytes, cores, duration, when } from './format.ts';
import { jobHash } from './jobs-page.ts';

type Points = { max: number[]; avg: number[] };
type Container = {
  name: string; limits?: { cpu_cores?: number; memory_bytes?: number }; oom_kills?: number;
  cpu_cores?: { peak?: number; p95?: number; avg?: number }; memory_bytes?: { peak?: number };
  series?: { cpu_cores?: Points; memory_bytes?: Points };
};
type Process = { pid: number; name: string; cmdline?: string; container?: string; avg_cpu_percent?: number; peak_cpu_percent?: number; peak_mem_bytes?: number };
type Summary = {
  complete?: boolean; start_time?: string; duration_seconds?: number; containers?: Container[];
  top_cpu_processes?: Process[]; top_mem_processes?: Process[];
  series?: { point_seconds?: number; per_point?: number };
  collection?: { mode?: string; interval_seconds?: number; collector_version?: string };
};
type Run = { id: number; organization: string; repository: string; workflow: string; job: string; run_id: string; received_at: string; payload: Summary };

const flat = (n: number, v: number | undefined) => (v === undefined ? [] : [{ values: Array<number>(n).fill(v) }]);

function containerCharts(c: Container, x: number[]): HTMLElement {
  const s = c.series;
  if (s?.cpu_cores === undefined || s.memory_bytes === undefined) {
    return h('section', { class: 'container' }, h('h2', {}, c.name), notice('empty', 'No series for this container.'));
  }
  const n = x.length;
  return h('section', { class: 'container', 'data-testid': `run-container-${c.name}` }, h('h2', {}, c.name, (c.oom_kills ?? 0) > 0 ? h('span', { class: 'badge-oom' }, ' OOM-killed') : null),
    h('div', { class: 'charts two' },
      chart({ title: 'CPU over the run, cores', x, format: cores, testId: `chart-run-cpu-${c.name}`, lines: [
        { label: 'max', values: s.cpu_cores.max, color: '#7c3aed' }, { label: 'avg', values: s.cpu_cores.avg, color: '#059669' },
        ...flat(n, c.limits?.cpu_cores).map((l) => ({ label: 'limit', values: l.values, color: '#dc2626', dash: [6, 4] })),
      ] }),
      chart({ title: 'Memory over the run', x, format: bytes, testId: `chart-run-memory-${c.name}`, lines: [
        { label: 'max', values: s.memory_bytes.max, color: '#2563eb' }, { label: 'avg', values: s.memory_bytes.avg, color: '#0891b2' },
        ...flat(n, c.limits?.memory_bytes).map((l) => ({ label: 'limit', values: l.values, color: '#dc2626', dash: [6, 4] })),
      ] })));
}

function processTable(title: string, ps: Process[] | undefined, testId: string): HTMLElement {
  if (ps === undefined || ps.length === 0) return notice('empty', `${title}: none recorded.`);
  return h('div', {}, h('h3', {}, title), h('table', { class: 'procs', 'data-testid': testId },
    h('thead', {}, h('tr', {}, h('th', {}, 'PID'), h('th', {}, 'Name'), h('th', {}, 'Container'), h('th', { class: 'num' }, 'CPU avg %'),
      h('th', { class: 'num' }, 'CPU peak %'), h('th', { class: 'num' }, 'Peak memory'), h('th', {}, 'Command'))),
    h('tbody', {}, ...ps.map((p) => h('tr', {}, h('td', {}, p.pid), h('td', {}, p.name), h('td', {}, p.container ?? ''),
      h('td', { class: 'num' }, p.avg_cpu_percent?.toFixed(1) ?? '–'), h('td', { class: 'num' }, p.peak_cpu_percent?.toFixed(1) ?? '–'),
      h('td', { class: 'num' }, bytes(p.peak_mem_bytes)), h('td', { class: 'cmd' }, p.cmdline ?? ''))))));
}

export async function runPage(main: HTMLElement, id: string): Promise<void> {
  main.replaceChildren(notice('loading', 'Loading the run…'));
  const run = await api<Run>(`/api/v1/runs/${encodeURIComponent(id)}`);
  const s = run.payload;
  const start = Date.parse(s.start_time ?? run.received_at) / 1000;
  const step = s.series?.point_seconds ?? 0;
  const points = Math.max(0, ...(s.containers ?? []).map((c) => c.series?.cpu_cores?.max.length ?? 0));
  const x = Array.from({ length: points }, (_, i) => start + i * step);
  main.replaceChildren(
    h('h1', {}, h('a', { href: '#/' }, 'Jobs'), ' / ', h('a', { href: jobHash(run) }, `${run.repository} · ${run.workflow} · ${run.job}`),
      ' / ', `run ${run.run_id}`),
    h('p', { class: 'muted', 'data-testid': 'run-facts' }, `Received ${when(run.received_at)} · ${duration(s.duration_seconds)} · `,
      s.complete === false ? 'checkpoint only (the job did not finish its push)' : 'complete',
      s.collection?.mode === undefined ? '' : ` · measured as ${s.collection.mode}`,
      s.collection?.interval_seconds === undefined ? '' : `, every ${s.collection.interval_seconds} s`),
    ...(points === 0 || step === 0 ? [notice('empty', 'This run has no series.', 'The collector ran with --series-points 0, or predates series.')]
      : (s.containers ?? []).map((c) => containerCharts(c, x))),
    h('h2', {}, 'Top processes'),
    h('div', { class: 'procs-grid' }, processTable('By CPU', s.top_cpu_processes, 'top-cpu'), processTable('By memory', s.top_mem_processes, 'top-mem')));
}

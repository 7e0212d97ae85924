// A job's page: per container, run history charts (peak memory against its limit with OOM kills marked; CPU avg and
// p95 against its limit), the recommendation, and the table of recent runs. The server aggregates the history.
import { api, scopePath, type Scope } from './api.ts';
import { chart } from './charts.ts';
import { h, notice } from './dom.ts';
import { bytes, cores, duration, when } from './format.ts';
import { recommendationCard, type Sizing } from './recommendation.ts';

type Points = {
  name: string; time_ms: number[]; run_ids: number[]; memory_peak_bytes: (number | null)[]; memory_limit_bytes: (number | null)[];
  cpu_avg_cores: (number | null)[]; cpu_p95_cores: (number | null)[]; cpu_limit_cores: (number | null)[]; oom_kills: number[];
};
type Recent = {
  id: number; run_id: string; received_at: string; complete: boolean; duration_seconds: number | null;
  containers: { name: string; cpu_p95_cores: number | null; memory_peak_bytes: number | null; oom_kills: number }[];
};
type History = { runs: number; runs_per_point: number; containers: Points[]; recent: Recent[] };

const COLORS = { peak: '#2563eb', limit: '#dc2626', oom: '#b91c1c', avg: '#059669', p95: '#7c3aed' };

/** A container's charts, and a place for its recommendation card, filled when the sizing answer comes. */
function containerSection(p: Points, perPoint: number, card: HTMLElement): HTMLElement {
  const x = p.time_ms.map((t) => t / 1000);
  const oom = p.memory_peak_bytes.map((v, i) => ((p.oom_kills[i] ?? 0) > 0 ? v ?? p.memory_limit_bytes[i] ?? null : null));
  const open = (i: number) => { const id = p.run_ids[i]; if (id !== undefined) location.hash = `#/run/${id}`; };
  const of = perPoint > 1 ? ` (each point: ${perPoint} runs, the highest peak)` : '';
  return h('section', { class: 'container', 'data-testid': `container-${p.name}` },
    h('h2', {}, p.name),
    h('div', { class: 'grid' },
      h('div', { class: 'charts' },
        chart({ title: `Peak memory per run${of}`, x, format: bytes, testId: `chart-memory-${p.name}`, onPick: open, lines: [
          { label: 'peak', values: p.memory_peak_bytes, color: COLORS.peak },
          { label: 'limit', values: p.memory_limit_bytes, color: COLORS.limit, dash: [6, 4], style: 'step' },
          { label: 'OOM-killed', values: oom, color: COLORS.oom, style: 'points' },
        ] }),
        chart({ title: `CPU per run, cores${perPoint > 1 ? ` (each point: ${perPoint} runs)` : ''}`, x, format: cores,
          testId: `chart-cpu-${p.name}`, onPick: open, lines: [
            { label: 'avg', values: p.cpu_avg_cores, color: COLORS.avg },
            { label: 'p95', values: p.cpu_p95_cores, color: COLORS.p95 },
            { label: 'limit', values: p.cpu_limit_cores, color: COLORS.limit, dash: [6, 4], style: 'step' },
          ] })),
      card));
}

function fillCard(card: HTMLElement, name: string, sizing: Sizing): void {
  const rec = sizing.containers.find((c) => c.name === name);
  card.replaceChildren(rec === undefined ? notice('empty', 'No recommendation for this container in the newest runs.')
    : recommendationCard(rec, sizing.meta.confidence_phase));
}

function recentTable(recent: Recent[]): HTMLElement {
  return h('table', { class: 'runs', 'data-testid': 'recent-runs' },
    h('thead', {}, h('tr', {}, h('th', {}, 'Run'), h('th', {}, 'Received'), h('th', {}, 'Duration'), h('th', {}, 'Status'),
      h('th', {}, 'Containers: CPU p95, peak memory'))),
    h('tbody', {}, ...recent.map((r) => {
      const oom = r.containers.some((c) => c.oom_kills > 0);
      return h('tr', { class: oom ? 'oom' : '' },
        h('td', {}, h('a', { href: `#/run/${r.id}`, 'data-testid': 'run-link' }, r.run_id)), h('td', {}, when(r.received_at)),
        h('td', {}, duration(r.duration_seconds)),
        h('td', {}, oom ? 'OOM-killed' : r.complete ? 'complete' : 'checkpoint only'),
        h('td', {}, r.containers.map((c) => `${c.name}: ${cores(c.cpu_p95_cores)} cores, ${bytes(c.memory_peak_bytes)}`).join(' · ')));
    })));
}

export async function jobPage(main: HTMLElement, scope: Scope): Promise<void> {
  main.replaceChildren(notice('loading', 'Loading the job…'));
  const path = scopePath(scope);
  // Both requests at once; the charts are drawn as soon as the history is here, the cards when the sizing is.
  const historyAnswer = api<History>(`/api/v1/history/repo/${path}?points=300&recent=20`);
  const sizingAnswer = api<Sizing>(`/api/v1/sizing/repo/${path}`);
  sizingAnswer.catch(() => undefined); // awaited below; no unhandled rejection while the history loads
  const history = await historyAnswer;
  const title = h('h1', {}, h('a', { href: '#/' }, 'Jobs'), ' / ', `${scope.repository} · ${scope.workflow} · ${scope.job}`);
  if (history.runs === 0) {
    main.replaceChildren(title, notice('empty', 'No runs for this job.', 'Its runs appear here once a collector pushes them.'));
    return;
  }
  const cards = history.containers.map((c) => [c.name, h('div', { class: 'card-slot' },
    notice('loading', 'Sizing…'))] as const);
  main.replaceChildren(title,
    h('p', { class: 'muted' }, `${history.runs.toLocaleString()} runs${history.runs_per_point > 1 ? `, ${history.runs_per_point} per chart point` : ''}. Click a point to open its run.`),
    ...history.containers.map((c, i) => containerSection(c, history.runs_per_point, cards[i]?.[1] ?? h('div'))),
    h('h2', {}, 'Recent runs'), recentTable(history.recent));
  const sizing = await sizingAnswer;
  for (const [name, card] of cards) fillCard(card, name, sizing);
}

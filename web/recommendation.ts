// The job page's recommendation card for one container: requests and limits with their bounds, the current
// limits and what changing would free or add, the reason, and a `resources:` snippet to copy.
import { h } from './dom.ts';
import { bytes } from './format.ts';

type Figure = { quantity: string; cores?: number; bytes?: number };
type Bounded = Figure & { lower: Figure; upper: Figure };
export type ContainerSizing = {
  name: string;
  cpu: { request: Bounded; limit: Bounded } | null;
  memory: { request: Bounded; limit: Bounded } | null;
  inputs: { runs: number; effective_runs: number; cpu_percentile: string; half_life: string };
  current: { cpu_limit: string | null; memory_limit: string | null; run_id: string } | null;
  difference: { cpu_limit_cores: number | null; memory_limit_bytes: number | null };
  reason: string;
  resources_yaml: string;
};
export type Sizing = { meta: { confidence_phase: string; runs_used: number }; containers: ContainerSizing[] };

const cell = (f: Bounded | undefined, id: string) => f === undefined ? h('td', {}, '–')
  : h('td', {}, h('strong', { 'data-testid': id }, f.quantity), h('span', { class: 'bounds' }, ` ${f.lower.quantity} – ${f.upper.quantity}`));

function change(d: ContainerSizing['difference']): string {
  const parts: string[] = [];
  if (d.cpu_limit_cores !== null && d.cpu_limit_cores !== 0) {
    parts.push(d.cpu_limit_cores < 0 ? `${-d.cpu_limit_cores} cores could be freed` : `${d.cpu_limit_cores} cores missing`);
  }
  if (d.memory_limit_bytes !== null && d.memory_limit_bytes !== 0) {
    parts.push(d.memory_limit_bytes < 0 ? `${bytes(-d.memory_limit_bytes)} could be freed` : `${bytes(d.memory_limit_bytes)} missing`);
  }
  return parts.join(', ');
}

export function recommendationCard(s: ContainerSizing, phase: string): HTMLElement {
  const id = (what: string) => `rec-${s.name}-${what}`;
  const yaml = h('pre', { class: 'yaml', 'data-testid': id('yaml') }, s.resources_yaml);
  const copy = h('button', { type: 'button', class: 'copy' }, 'Copy');
  copy.addEventListener('click', () => {
    void navigator.clipboard?.writeText(s.resources_yaml).then(() => { copy.textContent = 'Copied'; }, () => undefined);
  });
  const current = s.current === null ? 'no limits reported'
    : `current limits ${s.current.cpu_limit ?? '–'} CPU, ${s.current.memory_limit ?? '–'} memory (run ${s.current.run_id})`;
  const delta = change(s.difference);
  return h('section', { class: 'card', 'data-testid': id('card') },
    h('header', {}, h('h3', {}, 'Recommendation'),
      h('span', { class: `phase phase-${phase}`, 'data-testid': 'phase' }, phase),
      h('span', { class: 'muted' }, ` from ${s.inputs.runs} runs (half-life ${s.inputs.half_life}, CPU ${s.inputs.cpu_percentile})`)),
    h('table', { class: 'rec' },
      h('thead', {}, h('tr', {}, h('th', {}), h('th', {}, 'Request'), h('th', {}, 'Limit'))),
      h('tbody', {},
        h('tr', {}, h('th', {}, 'CPU'), cell(s.cpu?.request, id('cpu-request')), cell(s.cpu?.limit, id('cpu-limit'))),
        h('tr', {}, h('th', {}, 'Memory'), cell(s.memory?.request, id('memory-request')), cell(s.memory?.limit, id('memory-limit'))))),
    h('p', { class: 'reason', 'data-testid': id('reason') }, s.reason),
    h('p', { class: 'muted' }, current, delta === '' ? '' : `: ${delta}`),
    h('div', { class: 'yaml-box' }, yaml, copy));
}

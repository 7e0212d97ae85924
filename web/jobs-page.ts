// The jobs page: every job with runs, searchable by repository prefix (the server filters), paged.
import { apiGet, type Scope } from './api.ts';
import { h, notice } from './dom.ts';
import { when } from './format.ts';

type JobRow = Scope & { runs: number; latest_received_at: string };

export const jobHash = (s: Scope): string =>
  `#/job/${[s.organization, s.repository, s.workflow, s.job].map(encodeURIComponent).join('/')}`;

export async function jobsPage(main: HTMLElement, onError: (err: unknown) => void): Promise<void> {
  const search = h('input', { type: 'search', placeholder: 'Filter by repository (my-org/my-repo or my-repo)…',
    'aria-label': 'Filter jobs by repository', 'data-testid': 'job-search', autocomplete: 'off' });
  const results = h('div', { 'data-testid': 'jobs' });
  main.replaceChildren(h('h1', {}, 'Jobs'), search, results);

  let generation = 0;
  const load = async (prefix: string) => {
    const mine = ++generation;
    const rows: JobRow[] = [];
    const body = h('tbody');
    const more = h('button', { type: 'button', class: 'more' }, 'Load more');
    const table = h('table', { class: 'jobs' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Repository'), h('th', {}, 'Workflow'), h('th', {}, 'Job'),
        h('th', { class: 'num' }, 'Runs'), h('th', {}, 'Latest run'))), body);
    let cursor: string | undefined;
    const page = async () => {
      const q = new URLSearchParams({ limit: '100' });
      if (prefix !== '') q.set('prefix', prefix);
      if (cursor !== undefined) q.set('cursor', cursor);
      const { body: jobs, headers } = await apiGet<JobRow[]>(`/api/v1/jobs?${q}`);
      if (mine !== generation) return; // a newer search replaced this one
      rows.push(...jobs);
      for (const j of jobs) {
        body.appendChild(h('tr', {},
          h('td', {}, h('a', { href: jobHash(j) }, j.repository)), h('td', {}, j.workflow),
          h('td', {}, h('a', { href: jobHash(j), 'data-testid': 'job-link' }, j.job)),
          h('td', { class: 'num' }, j.runs.toLocaleString()), h('td', {}, when(j.latest_received_at))));
      }
      cursor = headers.get('x-next-cursor') ?? undefined;
      if (rows.length === 0) {
        results.replaceChildren(prefix === ''
          ? notice('empty', 'No runs stored yet.', 'Point a collector at this receiver (--push-endpoint …/api/v1/metrics with a push token) and its runs appear here.')
          : notice('empty', `No job matches “${prefix}”.`));
      } else {
        results.replaceChildren(table, ...(cursor === undefined ? [] : [more]));
      }
    };
    more.addEventListener('click', () => void page().catch(onError));
    results.replaceChildren(notice('loading', 'Loading jobs…'));
    await page();
  };

  let timer: ReturnType<typeof setTimeout> | undefined;
  search.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => void load(search.value.trim()).catch(onError), 200);
  });
  await load('');
}

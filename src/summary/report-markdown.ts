// The run report as GitHub-flavoured Markdown for $GITHUB_STEP_SUMMARY (GitHub and Forgejo Actions render it):
// heading, warnings, CPU and memory tables, Mermaid charts with a text line each, the top processes.
import { runCharts } from './charts.ts';
import { UNPRINTABLE, formatDuration } from './report-figures.ts';
import { clip, collectionLine, cpuTable, memoryTable, notes, processTable } from './report-tables.ts';
import type { Cell, ReportOptions, Table } from './report-tables.ts';
import { runWarnings } from './report-warnings.ts';
import type { Warning } from './report-warnings.ts';
import type { RunSummary } from './types.ts';

/**
 * Text taken from the job (names, a command) as inline Markdown that renders as itself: characters that start
 * emphasis, links, HTML, entities, tables, strikethrough, math (`$`) or mentions (`@`) are backslash-escaped.
 */
export const escapeMarkdown = (text: string): string =>
  text.replace(UNPRINTABLE, ' ').replace(/[\\`*_[\]<>|~&!#$@]/g, '\\$&');

/**
 * Text as a code span inside a table cell: shown verbatim, so only `|` needs its GFM table escape. The fence is
 * one backtick longer than any run inside, and padded where the text starts or ends with a backtick.
 */
export function codeSpan(text: string): string {
  const t = text.replace(UNPRINTABLE, '\uFFFD').replace(/\|/g, '\\|');
  if (t.trim() === '') return '—';
  const fence = '`'.repeat(Math.max(0, ...[...t.matchAll(/`+/g)].map((m) => m[0].length)) + 1);
  const pad = t.startsWith('`') || t.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${t}${pad}${fence}`;
}

const cellText = (c: Cell) => (c.code === true ? codeSpan(c.text) : escapeMarkdown(c.text));

export function markdownTable(t: Table): string {
  const row = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [
    row(t.columns.map((c) => escapeMarkdown(c.header))),
    row(t.columns.map((c) => (c.align === 'right' ? '---:' : '---'))),
    ...t.rows.map((r) => row(r.map(cellText))),
  ].join('\n');
}

/** A long wrapped command is cut to this many characters in the heading. */
const HEADING_CHARS = 80;

const ICON = { error: '🛑', warning: '⚠️', advice: '💡' } as const;

const warningLine = (w: Warning) => `- ${ICON[w.level]} **${escapeMarkdown(w.container)}**: ${escapeMarkdown(w.message)}`;

/** The whole report; ends with a newline. Pure: the same summary and options give the same text. */
export function stepSummaryMarkdown(s: RunSummary, o: ReportOptions = {}): string {
  const warnings = runWarnings(s);
  const charts = runCharts(s, o.chartPoints);
  const out: string[] = [
    `## Resource use: ${escapeMarkdown(clip(o.name ?? 'job', HEADING_CHARS))}, ${formatDuration(s.duration_seconds)}${s.complete ? '' : ' (incomplete)'}`,
    ...notes(s, o).map((n) => `> ${escapeMarkdown(n)}`),
    warnings.length === 0
      ? '✅ No warnings: no container near its memory limit, OOM-killed, throttled, or far below its limits.'
      : warnings.map(warningLine).join('\n'),
  ];
  if (s.containers.length > 0) {
    out.push('### CPU (cores)', markdownTable(cpuTable(s, o)), '### Memory', markdownTable(memoryTable(s, o)));
  }
  if (charts.length > 0) {
    out.push('### Over the run', ...charts.flatMap((c) => [c.mermaid, escapeMarkdown(c.fallback)]));
  } else if (s.containers.length > 0) {
    out.push(s.series === undefined ? 'No series in this summary (an older collector, or `--series-points 0`): no charts.'
      : 'The run was too short for a chart.');
  }
  for (const [title, list] of [['CPU', s.top_cpu_processes], ['memory', s.top_mem_processes]] as const) {
    if (list.length > 0) out.push(`### Top processes by ${title}`, markdownTable(processTable(list, o)));
  }
  out.push(`<sub>${escapeMarkdown(collectionLine(s))}</sub>`);
  return `${out.join('\n\n')}\n`;
}

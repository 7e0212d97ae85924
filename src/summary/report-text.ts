// The run report as plain text for a terminal (`--log-format text` and stderr a TTY): the step summary's tables
// with aligned columns, its warnings and notes; no Markdown, no colour, no charts.
import { UNPRINTABLE, formatDuration } from './report-figures.ts';
import { clip, collectionLine, cpuTable, memoryTable, notes, processTable } from './report-tables.ts';
import type { ReportOptions, Table } from './report-tables.ts';
import { runWarnings } from './report-warnings.ts';
import type { RunSummary } from './types.ts';

/**
 * Text from the job made safe to print: a control character (an escape sequence could move the cursor or set the
 * title) or a bidirectional override shows as its `\xNN`/`\uNNNN` code instead.
 */
export const printable = (text: string): string =>
  text.replace(UNPRINTABLE, (ch) => {
    const code = ch.codePointAt(0)!;
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });

// Code points, not UTF-16 units: a name such as "café" or one with an emoji is one column per character here.
const width = (s: string) => [...s].length;

/** Columns padded to their widest cell, two spaces apart; numbers right-aligned; no trailing spaces. */
export function textTable(t: Table, indent = '  '): string {
  const rows = [t.columns.map((c) => c.header), ...t.rows.map((r) => r.map((c) => printable(c.text)))];
  const widths = t.columns.map((_, i) => Math.max(...rows.map((r) => width(r[i] ?? ''))));
  return rows.map((r) => indent + r.map((text, i) => {
    const pad = ' '.repeat(widths[i]! - width(text));
    return t.columns[i]!.align === 'right' ? pad + text : text + pad;
  }).join('  ').trimEnd()).join('\n');
}

const LABEL = { error: 'error  ', warning: 'warning', advice: 'advice ' } as const;

/** The whole report; ends with a newline. */
export function terminalReport(s: RunSummary, o: ReportOptions = {}): string {
  const warnings = runWarnings(s);
  const out: string[] = [
    `Resource use: ${printable(clip(o.name ?? 'job', 80))}, ${formatDuration(s.duration_seconds)}${s.complete ? '' : ' (incomplete)'}`,
    ...notes(s, o).map((n) => `  note: ${n}`),
  ];
  if (warnings.length > 0) {
    out.push('', ...warnings.map((w) => `  ${LABEL[w.level]}  ${printable(w.container)}: ${printable(w.message)}`));
  }
  if (s.containers.length > 0) {
    out.push('', 'CPU (cores)', textTable(cpuTable(s, o)), '', 'Memory', textTable(memoryTable(s, o)));
  }
  for (const [title, list] of [['CPU', s.top_cpu_processes], ['memory', s.top_mem_processes]] as const) {
    if (list.length > 0) out.push('', `Top processes by ${title}`, textTable(processTable(list, o)));
  }
  out.push('', printable(collectionLine(s)));
  return `${out.join('\n')}\n`;
}

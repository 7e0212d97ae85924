// Prints a benchmark's results as a Markdown table (so a run can be pasted into docs/benchmarks.md as is).

export type Table = {
  readonly title: string;
  readonly columns: readonly string[];
  readonly rows: readonly (readonly string[])[];
  /** Lines printed under the table: what was measured, targets met or missed. */
  readonly notes?: readonly string[];
};

/** Right-aligns every column whose cells (after the header) all start with a digit, a sign or a dash. */
export function formatTable(t: Table): string {
  const numeric = t.columns.map((_, c) => t.rows.every((r) => /^[-+0-9.]/.test(r[c] ?? '')));
  const widths = t.columns.map((h, c) => Math.max(h.length, 3, ...t.rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: readonly string[]) =>
    `| ${cells.map((v, c) => (numeric[c] ? v.padStart(widths[c]!) : v.padEnd(widths[c]!))).join(' | ')} |`;
  const rule = `| ${widths.map((w, c) => (numeric[c] ? `${'-'.repeat(w - 1)}:` : '-'.repeat(w))).join(' | ')} |`;
  const out = [`### ${t.title}`, '', line(t.columns), rule, ...t.rows.map((r) => line(r))];
  if (t.notes !== undefined && t.notes.length > 0) out.push('', ...t.notes.map((n) => `- ${n}`));
  return `${out.join('\n')}\n`;
}

export function printTable(t: Table): void {
  process.stdout.write(`\n${formatTable(t)}`);
}

/** `met` or `MISSED`, for the notes under a table. */
export const verdict = (ok: boolean): string => (ok ? 'met' : 'MISSED');

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Window } from 'happy-dom';
import { marked } from 'marked';
import type { Token, Tokens } from 'marked';
import { appendStepSummary, stepSummaryMarkdown, terminalReport } from './report.ts';
import { containerWarnings, roundUpCpu, roundUpMemory } from './report-warnings.ts';
import type { WarningKind } from './report-warnings.ts';
import type { ContainerSummary, RunSummary } from './types.ts';

const fixture = (name: string) => new URL(`../../test/fixtures/summary/${name}`, import.meta.url);
const known = JSON.parse(readFileSync(fixture('known-run.json'), 'utf8')) as RunSummary;
const OPTIONS = { name: 'build-and-test' };
const GiB = 1024 ** 3, MiB = 1024 ** 2;

// --- Markdown as GitHub reads it: marked's GFM lexer, tables by the heading above them ---

/** The text a cell renders to: escapes undone, code spans verbatim, emphasis dropped. */
const inline = (tokens: readonly Token[] | undefined): string =>
  (tokens ?? []).map((t) => ('tokens' in t && t.tokens !== undefined ? inline(t.tokens) : (t as { text?: string }).text ?? '')).join('');

function tables(markdown: string): Map<string, { header: string[]; rows: string[][] }> {
  const out = new Map<string, { header: string[]; rows: string[][] }>();
  let heading = '';
  for (const t of marked.lexer(markdown)) {
    if (t.type === 'heading') heading = inline((t as Tokens.Heading).tokens);
    if (t.type === 'table') {
      const table = t as Tokens.Table;
      out.set(heading, { header: table.header.map((c) => inline(c.tokens)), rows: table.rows.map((r) => r.map((c) => inline(c.tokens))) });
    }
  }
  return out;
}
const mermaidBlocks = (markdown: string) =>
  marked.lexer(markdown).filter((t): t is Tokens.Code => t.type === 'code' && (t as Tokens.Code).lang === 'mermaid').map((t) => t.text);

// Mermaid's own parser; it sanitises labels with DOMPurify, which needs a window.
const window = new Window();
Object.assign(globalThis, { window });
const { default: mermaid } = await import('mermaid');
test.after(() => window.happyDOM.close());

/** A container of the known run with fields replaced (`undefined` removes one). */
const withContainer = (patch: Partial<ContainerSummary>, base = known.containers[0]!): RunSummary =>
  ({ ...known, containers: [JSON.parse(JSON.stringify({ ...base, ...patch })) as ContainerSummary] });

test('stepSummaryMarkdown: the known run matches test/fixtures/summary/known-run.md (UPDATE_GOLDEN=1 rewrites it)', () => {
  const markdown = stepSummaryMarkdown(known, OPTIONS);
  if (process.env.UPDATE_GOLDEN === '1') writeFileSync(fixture('known-run.md'), markdown);
  assert.equal(markdown, readFileSync(fixture('known-run.md'), 'utf8'));
});

// docs/step-summary.md shows both reports of the known run between <!-- example:NAME --> markers.
const DOC = new URL('../../docs/step-summary.md', import.meta.url);
const example = (name: string) => new RegExp(`(<!-- example:${name} -->\\n)([\\s\\S]*?)(<!-- /example:${name} -->)`);
test('docs/step-summary.md: its examples are the known run\'s reports (UPDATE_GOLDEN=1 rewrites them)', () => {
  const want = { markdown: stepSummaryMarkdown(known, OPTIONS), terminal: `\`\`\`text\n${terminalReport(known, OPTIONS)}\`\`\`\n` };
  let doc = readFileSync(DOC, 'utf8');
  if (process.env.UPDATE_GOLDEN === '1') {
    for (const [name, body] of Object.entries(want)) doc = doc.replace(example(name), (_m, open: string, _old, close: string) => open + body + close);
    writeFileSync(DOC, doc);
  }
  for (const [name, body] of Object.entries(want)) assert.equal(example(name).exec(doc)?.[2], body, name);
});

test('stepSummaryMarkdown: CPU and memory tables parse into one row per container with units', () => {
  const t = tables(stepSummaryMarkdown(known, OPTIONS));
  assert.deepEqual(t.get('CPU (cores)'), {
    header: ['container', 'avg', 'p95', 'peak', 'CPU time', 'limit', 'p95 of limit', 'peak of limit', 'throttled', 'source'],
    rows: [
      ['build', '1.18', '1.91', '1.95', '23m 39s', '2', '95%', '97%', '7% (1m 01s)', 'cgroup v2'],
      ['dind', '0.74', '1.00', '1.00', '14m 47s', '1', '100%', '100%', '34% (6m 53s)', 'cgroup v2'],
      ['runner', '0.10', '0.44', '0.60', '2m 02s', '4', '10%', '15%', '—', 'processes'],
    ],
  });
  const memory = t.get('Memory')!;
  assert.deepEqual(memory.header,
    ['container', 'avg', 'p95', 'peak', 'kernel peak', 'limit', 'p95 of limit', 'peak of limit', 'OOM kills', 'source']);
  assert.deepEqual(memory.rows.map((r) => [r[0], r[3], r[4], r[5], r[7], r[8]]), [
    ['build', '2.80 GiB', '2.82 GiB', '3 GiB', '94%', '0'],
    ['dind', '910 MiB', '1 GiB', '1 GiB', '100%', '2'], // the kernel saw the limit reached between samples
    ['runner', '375 MiB', '—', '4 GiB', '9%', '—'],
  ]);
  for (const row of memory.rows) for (const cell of row.slice(1, 4)) assert.match(cell, /^\d+(\.\d+)? (B|KiB|MiB|GiB)$/);
  assert.deepEqual(t.get('Top processes by CPU')?.rows[0], ['ld.lld', 'build', '1.00', '0.96', '1.41 GiB',
    'ld.lld -o build/bin/server --gc-sections build/obj/*.o -lpthread']);
  assert.equal(t.get('Top processes by memory')?.rows.length, 5);
});

test('stepSummaryMarkdown: warnings name the container, the figure and the limit, worst first', () => {
  const items = marked.lexer(stepSummaryMarkdown(known, OPTIONS)).find((t): t is Tokens.List => t.type === 'list')!.items;
  assert.deepEqual(items.map((i) => inline(i.tokens)), [
    '🛑 dind: the OOM killer killed 2 processes (memory limit 1 GiB)',
    '⚠️ build: memory peak 2.82 GiB (kernel record) is 94% of its 3 GiB limit',
    '⚠️ dind: memory peak 1 GiB (kernel record) is 100% of its 1 GiB limit',
    '⚠️ dind: CPU throttled in 34% of its periods, 413 s in all (limit 1)',
    '💡 runner: memory limit 4Gi, p95 343 MiB, peak 375 MiB: 512Mi would do',
    '💡 runner: CPU limit 4, p95 0.44 cores, peak 0.60: 800m would do',
  ]);
});

test('mermaid.parse: the parser is Mermaid\'s own and strict (it rejects NaN)', async () =>
  assert.rejects(mermaid.parse('xychart-beta\n  line "a" [1, NaN]'), /Parse error/));

test('stepSummaryMarkdown: every Mermaid block parses as an xychart with at most 60 points a line', async () => {
  const blocks = mermaidBlocks(stepSummaryMarkdown(known, OPTIONS));
  assert.equal(blocks.length, 2);
  for (const block of blocks) {
    assert.equal((await mermaid.parse(block)).diagramType, 'xychart');
    const lines = [...block.matchAll(/^ {2}line "[^"]*" \[(.*)\]$/gm)].map((m) => m[1]!.split(', '));
    assert.equal(lines.length, 3);
    for (const points of lines) {
      assert.equal(points.length, 60); // 300 series points, 5 to a chart point
      for (const p of points) assert.match(p, /^\d+(\.\d+)?$/);
    }
  }
});

test('stepSummaryMarkdown: a chart keeps the spike of its series and the text line says when it was', async () => {
  const max = [...known.containers[2]!.series!.cpu_cores.max];
  max[123] = 3.25; // one point of the summary's series, 123 x 4 s = 8m 12s into the run
  const c = known.containers[2]!;
  const s = withContainer({ cpu_cores: { ...c.cpu_cores, peak: 3.25 }, series: { ...c.series!, cpu_cores: { max, avg: max } } }, c);
  const markdown = stepSummaryMarkdown(s, { chartPoints: 10 });
  const [cpu] = mermaidBlocks(markdown);
  const values = /line "runner" \[(.*)\]/.exec(cpu!)![1]!.split(', ').map(Number);
  assert.equal(values.length, 10);
  assert.equal(Math.max(...values), 3.25);
  assert.match(cpu!, /y-axis "cores" 0 --> 4$/m);
  assert.match(markdown, /🟦 runner peak 3\.25 at 8m 12s, avg 0\.10/);
  assert.equal((await mermaid.parse(cpu!)).diagramType, 'xychart');
});

test('stepSummaryMarkdown: at most 8 lines a chart, the rest named in the text line; a one-point run draws none', async () => {
  const many = { ...known, containers: Array.from({ length: 10 }, (_, i) => ({ ...known.containers[i % 3]!, name: `c${i}` })) };
  const markdown = stepSummaryMarkdown(many);
  for (const block of mermaidBlocks(markdown)) {
    assert.equal(block.match(/^ {2}line /gm)?.length, 8);
    await mermaid.parse(block);
  }
  assert.match(markdown, /⬛ c7 peak [^;]*; 2 more not charted$/m);
  const point = (c: ContainerSummary) => ({ ...c, series: { cpu_cores: { max: [1], avg: [1] }, memory_bytes: { max: [GiB], avg: [GiB] } } });
  const short = stepSummaryMarkdown({ ...known, series: { ...known.series!, points: 1 }, containers: known.containers.map(point) });
  assert.deepEqual(mermaidBlocks(short), []);
  assert.match(short, /^The run was too short for a chart\.$/m);
});

test('stepSummaryMarkdown: names and command lines with Markdown characters stay in their cells, verbatim', async () => {
  const ESC = '\u001b', RLO = '\u202e'; // an escape sequence, and a right-to-left override that reverses what follows
  const evil = `a|b \`c\` *d* _e_ <script>x</script> [l](u) $m$ @team &amp; \\ ${ESC}[31m ${RLO}`;
  const c = known.containers[0]!;
  const s: RunSummary = {
    ...withContainer({ name: 'web|api *x*' }, c),
    top_cpu_processes: [{ ...known.top_cpu_processes[0]!, name: '(a b ) ( c d) ', cmdline: evil, container: 'web|api *x*' }],
    top_mem_processes: [],
  };
  const markdown = stepSummaryMarkdown(s, { name: 'npm run `build` | tee' });
  const t = tables(markdown);
  assert.equal(t.get('CPU (cores)')?.rows[0]?.[0], 'web|api *x*');
  const row = t.get('Top processes by CPU')!.rows[0]!;
  assert.equal(row.length, 6);
  assert.deepEqual([row[0], row[1], row[5]], ['(a b ) ( c d) ', 'web|api *x*', evil.replaceAll(ESC, '\uFFFD').replaceAll(RLO, '\uFFFD')]);
  assert.equal(inline((marked.lexer(markdown)[0] as Tokens.Heading).tokens), 'Resource use: npm run `build` | tee, 20m 00s');
  assert.doesNotMatch(await marked.parse(markdown), /<script/); // shown as text, never as a tag
  for (const block of mermaidBlocks(markdown)) await mermaid.parse(block);
  const text = terminalReport(s);
  assert.ok(!text.includes(ESC) && !text.includes(RLO));
  assert.match(text, /\\x1b\[31m \\u202e/);
});

test('stepSummaryMarkdown: a summary from an older collector (no series, limits or sources) still renders', () => {
  const old = JSON.parse(JSON.stringify(known)) as { series?: unknown; containers: Record<string, unknown>[] };
  delete old.series;
  for (const c of old.containers) {
    for (const k of ['series', 'limits', 'fraction_of_limit', 'cpu_source', 'memory_source', 'oom_kills', 'cpu_throttling',
      'memory_peak_bytes', 'rss_bytes', 'cpu_seconds']) delete c[k];
  }
  const markdown = stepSummaryMarkdown(old as unknown as RunSummary);
  const t = tables(markdown);
  assert.deepEqual(t.get('CPU (cores)')?.header, ['container', 'avg', 'p95', 'peak', 'source']);
  assert.deepEqual(t.get('Memory')?.rows[0], ['build', '1.29 GiB', '2.11 GiB', '2.80 GiB', 'processes']);
  assert.deepEqual(mermaidBlocks(markdown), []);
  assert.match(markdown, /No limits were known/);
  assert.match(markdown, /No series in this summary/);
  assert.match(markdown, /^## Resource use: job, 20m 00s$/m);
  assert.match(markdown, /✅ No warnings/);
  // limits known to be absent: the column says so instead of "not known"
  const none = tables(stepSummaryMarkdown(old as unknown as RunSummary, { limitsKnown: true })).get('Memory')!;
  assert.deepEqual(none.rows[0]?.slice(4, 7), ['none', '—', '—']);
});

test('stepSummaryMarkdown: an incomplete summary says so in its heading and a note', () => {
  const markdown = stepSummaryMarkdown({ ...known, complete: false, duration_seconds: 754 }, OPTIONS);
  assert.match(markdown, /^## Resource use: build-and-test, 12m 34s \(incomplete\)$/m);
  assert.match(markdown, /^> Incomplete: a checkpoint taken while the job was still running; it covers the first 12m 34s\.$/m);
  assert.match(terminalReport({ ...known, complete: false }), /^Resource use: job, 20m 00s \(incomplete\)$/m);
});

test('stepSummaryMarkdown: estimated percentiles are named with their bound; exact ones add no note', () => {
  const exact = stepSummaryMarkdown(known, OPTIONS);
  assert.doesNotMatch(exact, /estimates within/);
  const [first, ...rest] = known.containers;
  const estimated = { ...known, containers: [{ ...first!, memory_bytes: { ...first!.memory_bytes, percentile_relative_error: 0.001 } }, ...rest] };
  assert.match(stepSummaryMarkdown(estimated, OPTIONS), /^> Some percentiles are estimates within 0\.1% \(a long run: .*\); peaks and averages are exact\.$/m);
  assert.match(terminalReport(estimated), /Some percentiles are estimates within 0\.1%/);
});

test('terminalReport: the same tables in aligned plain text', () => {
  const text = terminalReport(known, OPTIONS);
  assert.doesNotMatch(text, /^[|#]|`/m); // no Markdown: no table rows, headings, code spans
  assert.ok(!text.includes('\u001b'));
  const lines = text.split('\n');
  const at = lines.indexOf('Memory');
  assert.deepEqual(lines.slice(at + 1, at + 5), [
    '  container       avg       p95      peak  kernel peak  limit  p95 of limit  peak of limit  OOM kills  source',
    '  build      1.29 GiB  2.11 GiB  2.80 GiB     2.82 GiB  3 GiB           70%            94%          0  cgroup v2',
    '  dind        513 MiB   848 MiB   910 MiB        1 GiB  1 GiB           82%           100%          2  cgroup v2',
    '  runner      311 MiB   343 MiB   375 MiB            —  4 GiB            8%             9%          —  processes',
  ]);
  assert.ok(lines.includes('  error    dind: the OOM killer killed 2 processes (memory limit 1 GiB)'));
});

// --- warning rules at their thresholds: a container using 1 of 2 cores and 1 of 2 GiB warns of nothing ---

const stats = (p95: number, peak: number) => ({ peak, p99: peak, p95, p75: p95, p50: p95, avg: p95 });
const base: ContainerSummary = { name: 'job', cgroup: '/job', process_count: 3, cpu_cores: stats(1, 1.5), cpu_seconds: 600,
  memory_bytes: stats(GiB, 1.5 * GiB), limits: { cpu_cores: 2, memory_bytes: 2 * GiB } };
const rules: { name: string; patch: Partial<ContainerSummary>; kinds: WarningKind[]; message?: RegExp }[] = [
  { name: 'memory peak at 89% of its limit', patch: { memory_bytes: stats(GiB, 0.89 * 2 * GiB) }, kinds: [] },
  { name: 'memory peak at 90% of its limit', patch: { memory_bytes: stats(GiB, 0.9 * 2 * GiB) }, kinds: ['memory-near-limit'],
    message: /^memory peak 1\.80 GiB is 90% of its 2 GiB limit$/ },
  { name: 'the kernel\'s peak at 90% where the samples missed it', patch: { memory_peak_bytes: 0.9 * 2 * GiB },
    kinds: ['memory-near-limit'], message: /1\.80 GiB \(kernel record\) is 90%/ },
  { name: 'no OOM kill', patch: { oom_kills: 0 }, kinds: [] },
  { name: 'one OOM kill', patch: { oom_kills: 1 }, kinds: ['oom-kills'], message: /^the OOM killer killed 1 process \(memory limit 2 GiB\)$/ },
  { name: 'throttled in exactly 10% of periods', patch: { cpu_throttling: { periods: 1000, throttled_periods: 100, throttled_seconds: 5 } }, kinds: [] },
  { name: 'throttled in 10.1% of periods', patch: { cpu_throttling: { periods: 1000, throttled_periods: 101, throttled_seconds: 5 } },
    kinds: ['cpu-throttled'], message: /^CPU throttled in 10% of its periods, 5 s in all \(limit 2\)$/ },
  { name: 'memory limit 3.99 times the p95', patch: { memory_bytes: stats((2 * GiB) / 3.99, 0.6 * GiB) }, kinds: [] },
  { name: 'memory limit exactly 4 times the p95', patch: { memory_bytes: stats(0.5 * GiB, 0.6 * GiB) }, kinds: ['memory-over-provisioned'],
    message: /^memory limit 2Gi, p95 512 MiB, peak 614 MiB: 768Mi would do$/ },
  { name: 'memory limit 4 times the p95, but the peak needs it', patch: { memory_bytes: stats(0.5 * GiB, 1.75 * GiB) }, kinds: [] },
  { name: 'CPU limit 3.99 times the p95', patch: { cpu_cores: stats(2 / 3.99, 0.7) }, kinds: [] },
  { name: 'CPU limit exactly 4 times the p95', patch: { cpu_cores: stats(0.5, 0.7) }, kinds: ['cpu-over-provisioned'],
    message: /^CPU limit 2, p95 0\.50 cores, peak 0\.70: 900m would do$/ },
  { name: 'no limits: only OOM kills and throttling can warn', patch: { limits: undefined, oom_kills: 1, memory_bytes: stats(GiB, 10 * GiB) },
    kinds: ['oom-kills'] },
];
for (const r of rules) {
  test(`containerWarnings: ${r.name}`, () => {
    const warnings = containerWarnings({ ...base, ...r.patch });
    assert.deepEqual(warnings.map((w) => w.kind), r.kinds);
    if (r.message !== undefined) assert.match(warnings[0]!.message, r.message);
  });
}

test('roundUpMemory, roundUpCpu: a Kubernetes-friendly figure at or above the need', () => {
  assert.deepEqual([1, 456, 600, 768, 769, 1100, 3000].map((m) => roundUpMemory(m * MiB) / MiB), [16, 512, 768, 768, 1024, 1536, 3072]);
  assert.deepEqual([0, 0.001, 0.72, 1, 1.01, 2.3, 4.2, 0.1 + 0.2].map(roundUpCpu), [0.1, 0.1, 0.8, 1, 1.5, 2.5, 5, 0.3]);
});

test('appendStepSummary: appends after what is there, a blank line between, never truncating', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'step-summary-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const cases = [
    { name: 'new file', before: undefined, want: '## A\n' },
    { name: 'ends in a blank line', before: 'x\n\n', want: 'x\n\n## A\n' },
    { name: 'ends in a newline', before: 'x\n', want: 'x\n\n## A\n' },
    { name: 'no newline at the end', before: 'x', want: 'x\n\n## A\n' },
  ];
  for (const [i, c] of cases.entries()) {
    const path = join(dir, `summary-${i}.md`);
    if (c.before !== undefined) writeFileSync(path, c.before);
    await appendStepSummary(path, '## A');
    assert.equal(readFileSync(path, 'utf8'), c.want, c.name);
  }
  await assert.rejects(appendStepSummary(join(dir, 'missing', 'x.md'), '## A'), { code: 'ENOENT' });
  await assert.rejects(appendStepSummary(dir, '## A'), { code: 'EISDIR' });
});


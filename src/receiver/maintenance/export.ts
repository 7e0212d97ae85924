// Runs as NDJSON (issue 12): one JSON object per run, in the order first stored, for `receiver export` and GET /api/v1/export.
// Lazy: a page of EXPORT_PAGE runs is read only when the consumer wants more, so memory stays at one page however
// many runs the store holds, and a slow reader (a pipe, an HTTP client) slows the reads down instead of buffering.
import type { ExportQuery, ExportRow, Store } from '../store/types.ts';

/** Runs per store read: a summary is 5-70 KB, so a page is at most a few MB. */
export const EXPORT_PAGE = 100;

const LINE_SEPARATORS = /[\u2028\u2029]/;

/** What to export: exact stored scope values and a received_at range, each optional. */
export type ExportFilter = Omit<ExportQuery, 'afterId' | 'limit'>;

/**
 * One NDJSON line (with its `\n`): organization, repository, workflow, job, run_id, execution_id (null when the
 * run has none), received_at, payload. The payload is spliced in as stored, not parsed and serialised again.
 */
export function exportLine(r: ExportRow): string {
  const head = JSON.stringify({ organization: r.organization, repository: r.repository, workflow: r.workflow, job: r.job,
    run_id: r.run_id, execution_id: r.execution_id, received_at: r.received_at });
  // Stores hold JSON.stringify output, which has no line break; anything else written there is compacted first.
  const payload = /[\n\r]/.test(r.payload) ? JSON.stringify(JSON.parse(r.payload)) : r.payload;
  const line = `${head.slice(0, -1)},"payload":${payload}}\n`;
  // Valid JSON either way, but line-oriented readers (node:readline, some editors) also break lines there.
  return LINE_SEPARATORS.test(line) ? line.replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029') : line;
}

/** The filter's runs as lines, by id: a run stored meanwhile comes at the end; one replaced meanwhile, as it was read. */
export async function* exportLines(store: Store, filter: ExportFilter, pageSize = EXPORT_PAGE): AsyncGenerator<string, void, undefined> {
  let afterId: number | undefined;
  for (;;) {
    const rows = await store.exportRuns({ ...filter, afterId, limit: pageSize });
    for (const r of rows) yield exportLine(r);
    const last = rows.at(-1);
    if (rows.length < pageSize || last === undefined) return;
    afterId = last.id;
  }
}

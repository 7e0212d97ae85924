// SQL text shared by both stores; the dialects differ only in placeholders ($1 vs ?) and casts.
import type { Dialect } from './migrations.ts';
import type { RunQuery } from './types.ts';

/**
 * The page's columns. Both stores hand the payload over as the stored text, so that the query route can splice it into
 * the response: a page of 100 summaries (~600 KB) parsed and serialised again cost more than the query itself.
 * PostgreSQL: payload is json (migration 4), whose text `::text` copies; without the cast pg would JSON.parse it.
 */
const COLUMNS: Readonly<Record<Dialect, string>> = {
  // As BLOB: the UTF-8 bytes go into the response as they are, without a V8 string of each payload in between.
  sqlite: 'id, organization, repository, workflow, job, run_id, received_at, CAST(payload AS BLOB) AS payload',
  postgres: 'id, organization, repository, workflow, job, run_id, received_at, payload::text AS payload',
};

/**
 * The page query. A bare repository name matches two stored names; each gets its own index-ordered
 * subquery (an `IN` on the second index column would make the database sort the whole scope), and
 * the outer query merges them. One name needs no merge: the index gives the order.
 */
export function selectRunsSql(dialect: Dialect, q: RunQuery, columns: string = COLUMNS[dialect]): { sql: string; params: (string | number)[] } {
  const params: (string | number)[] = [];
  const p = (value: string | number, cast = '') => {
    params.push(value);
    return dialect === 'postgres' ? `$${params.length}${cast}` : '?';
  };
  const ts = dialect === 'postgres' ? '::timestamptz' : '';
  const select = (repository: string) => {
    const where = [`organization = ${p(q.organization)}`, `repository = ${p(repository)}`,
      `workflow = ${p(q.workflow)}`, `job = ${p(q.job)}`];
    if (q.since !== undefined) where.push(`received_at >= ${p(q.since, ts)}`);
    if (q.until !== undefined) where.push(`received_at < ${p(q.until, ts)}`);
    if (q.after !== undefined) where.push(`(received_at, id) < (${p(q.after.receivedAt, ts)}, ${p(q.after.id)})`);
    return `SELECT ${columns} FROM runs WHERE ${where.join(' AND ')} ORDER BY received_at DESC, id DESC LIMIT ${p(q.limit)}`;
  };
  const [only] = q.repositories;
  if (q.repositories.length === 1 && only !== undefined) return { sql: select(only), params };
  const parts = q.repositories.map((repository, i) => `SELECT * FROM (${select(repository)}) AS r${i}`);
  return { sql: `${parts.join(' UNION ALL ')} ORDER BY received_at DESC, id DESC LIMIT ${p(q.limit)}`, params };
}

/** The (id, received_at) of the page's runs, newest first: what the next page's cursor and the page body need. */
export const selectRunKeysSql = (dialect: Dialect, q: RunQuery) => selectRunsSql(dialect, q, 'id, received_at');

/**
 * SQLite: the query route's answer for one page, built by SQLite as one BLOB: the JSON array runsJson makes of the
 * same rows (`json_quote` escapes exactly as JSON.stringify does for any text SQLite can hold; the test compares
 * the bytes), so that a page costs one allocation instead of one per run plus the copy into the response, and no
 * sort ever moves a payload (the keys are merged first, the payloads joined by id after).
 * The order: the keys subquery is ordered and LIMITed, so SQLite keeps its ORDER BY, CROSS JOIN keeps it the outer
 * loop, and string_agg appends in the order rows arrive. `string_agg(... ORDER BY ...)` would say so too, but
 * sorts the 6 KB strings in a temporary b-tree (+0.3 ms a page).
 */
export function selectPageBodySqlite(q: RunQuery): { sql: string; params: (string | number)[] } {
  const keys = selectRunKeysSql('sqlite', q);
  const text = (column: string) => `',"${column}":' || json_quote(r.${column})`;
  const run = [`'{"id":' || r.id`, ...['organization', 'repository', 'workflow', 'job', 'run_id', 'received_at'].map(text),
    `',"payload":' || r.payload || '}'`].join(' || ');
  return { sql: `SELECT CAST('[' || coalesce(string_agg(${run}, ','), '') || ']' AS BLOB) AS body
    FROM (${keys.sql}) AS k CROSS JOIN runs AS r ON r.id = k.id`, params: keys.params };
}

/** A stored payload as a value; SQLite's query pages carry it as UTF-8 bytes, PostgreSQL's as text. */
export const parseJsonText = (json: string | Uint8Array): unknown =>
  JSON.parse(typeof json === 'string' ? json : Buffer.from(json.buffer, json.byteOffset, json.byteLength).toString('utf8'));

export const UPSERT_SET = 'run_id = excluded.run_id, payload = excluded.payload, received_at = excluded.received_at, stats = excluded.stats';
/**
 * A push never replaces one received after it. An INSERT held by a stalled network reaches PostgreSQL after the
 * receiver answered 503 and the collector's retry was stored: without this it overwrote the retry (issue 7).
 */
export const UPSERT_WHERE = 'WHERE runs.received_at <= excluded.received_at';
export const EXECUTION_KEY = '(organization, repository, workflow, job, execution_id)';

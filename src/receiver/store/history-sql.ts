// SQL for sizing and the dashboard, shared by both stores: a job's history (stats only, the payload only where
// no stats are stored yet) and the list of jobs. Text compares in code-point order in both dialects (PostgreSQL:
// COLLATE "C"), so pages and cursors mean the same on either store.
import type { Dialect } from './migrations.ts';
import type { HistoryQuery, JobsQuery } from './types.ts';

type Sql = { sql: string; params: (string | number)[] };

function placeholders(dialect: Dialect) {
  const params: (string | number)[] = [];
  const p = (value: string | number, cast = '') => {
    params.push(value);
    return dialect === 'postgres' ? `$${params.length}${cast}` : '?';
  };
  return { params, p };
}

/**
 * Newest first by (received_at, id), like the page query: one index-ordered subquery per repository name.
 * PostgreSQL also returns the payload of rows without stats; SQLite reads only the covering index
 * runs_scope_stats, and its store fetches those payloads apart (selectPayloadsSql).
 */
export function selectHistorySql(dialect: Dialect, q: HistoryQuery): Sql {
  const { params, p } = placeholders(dialect);
  const payload = dialect === 'postgres' ? ', CASE WHEN stats IS NULL THEN payload END AS payload' : '';
  const parts = q.repositories.map((repository, i) => `SELECT * FROM (
      SELECT id, run_id, received_at, stats${payload} FROM runs
      WHERE organization = ${p(q.organization)} AND repository = ${p(repository)} AND workflow = ${p(q.workflow)}
        AND job = ${p(q.job)}
      ORDER BY received_at DESC, id DESC LIMIT ${p(q.limit)}) AS h${i}`);
  return { sql: `${parts.join(' UNION ALL ')} ORDER BY received_at DESC, id DESC LIMIT ${p(q.limit)}`, params };
}

/** One page of jobs after `q.after`, grouped in the scope index's order so that a page reads only its rows. */
export function selectJobsSql(dialect: Dialect, q: JobsQuery): Sql {
  const { params, p } = placeholders(dialect);
  const c = (column: string) => (dialect === 'postgres' ? `${column} COLLATE "C"` : column);
  const where: string[] = [];
  if (q.organization !== undefined) where.push(`organization = ${p(q.organization)}`);
  if (q.prefix !== undefined && q.prefix !== '') {
    const n = [...q.prefix].length; // both dialects count code points
    const slash = dialect === 'postgres' ? "strpos(repository, '/')" : "instr(repository, '/')";
    where.push(`(substr(repository, 1, ${p(n)}) = ${p(q.prefix)} OR substr(repository, ${slash} + 1, ${p(n)}) = ${p(q.prefix)})`);
  }
  if (q.after !== undefined) {
    const [o, r, w, j] = q.after;
    where.push(`(${c('organization')}, ${c('repository')}, ${c('workflow')}, ${c('job')}) > (${p(o)}, ${p(r)}, ${p(w)}, ${p(j)})`);
  }
  const keys = `${c('organization')}, ${c('repository')}, ${c('workflow')}, ${c('job')}`;
  return {
    sql: `SELECT organization, repository, workflow, job, count(*) AS runs, max(received_at) AS latest_received_at
      FROM runs ${where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`}
      GROUP BY organization, repository, workflow, job ORDER BY ${keys} LIMIT ${p(q.limit)}`,
    params,
  };
}

// SQL for moving and pruning runs (issue 12: export, import, retention), for both dialects, and the rule that
// makes an import idempotent. The stores run it: sqlite.ts and postgres.ts (import: sqlite-maintenance.ts).
import type { Dialect } from './migrations.ts';
import { EXECUTION_KEY, UPSERT_SET, UPSERT_WHERE } from './sql.ts';
import type { ExportQuery, ImportOutcome, ImportRun } from './types.ts';

const SCOPE_FIELDS = ['organization', 'repository', 'workflow', 'job'] as const;

/** `?` for SQLite, `$1`, `$2`, … for PostgreSQL, numbered as `params` grows. */
function placeholders(dialect: Dialect) {
  const params: (string | number)[] = [];
  const p = (value: string | number, cast = '') => {
    params.push(value);
    return dialect === 'postgres' ? `$${params.length}${cast}` : '?';
  };
  return { params, p, ts: dialect === 'postgres' ? '::timestamptz' : '' };
}

/**
 * One page of an export, in the order runs were first stored: by id, after the last page's last id. The primary key
 * serves every page in O(limit) however many rows precede it, with no index of its own: an index on (received_at,
 * id) would serve this too, but PostgreSQL's planner then picked it for a job's page query (a backward scan of every
 * run, filtered) over the scope index. Importing in this order keeps the runs' relative order in the new store.
 */
export function exportRunsSql(dialect: Dialect, q: ExportQuery): { sql: string; params: (string | number)[] } {
  const { params, p, ts } = placeholders(dialect);
  const where: string[] = [];
  for (const field of SCOPE_FIELDS) {
    const value = q[field];
    if (value !== undefined) where.push(`${field} = ${p(value)}`);
  }
  if (q.since !== undefined) where.push(`received_at >= ${p(q.since, ts)}`);
  if (q.until !== undefined) where.push(`received_at < ${p(q.until, ts)}`);
  if (q.afterId !== undefined) where.push(`id > ${p(q.afterId)}`);
  const filter = where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`;
  // PostgreSQL: the json column's text (pg would JSON.parse it), so that a line carries the payload as stored.
  const payload = dialect === 'postgres' ? 'payload::text AS payload' : 'payload';
  return { sql: `SELECT id, organization, repository, workflow, job, run_id, execution_id, received_at, ${payload}
    FROM runs ${filter} ORDER BY id LIMIT ${p(q.limit)}`, params };
}

/**
 * Deletes at most `limit` runs received before a time. Parameters: [before, limit]. Unordered: which old runs go
 * first does not matter, and without an ORDER BY the scan stops at the first `limit` it finds (old runs sit at the
 * low ids: a scan finds them first). The pass's last batch, finding fewer, reads every run once.
 */
export function pruneRunsSql(dialect: Dialect): string {
  const { p, ts } = placeholders(dialect);
  return `DELETE FROM runs WHERE id IN (SELECT id FROM runs WHERE received_at < ${p('', ts)} LIMIT ${p(0)})`;
}

/** The statements an import runs per line; their parameters are importParams's. */
export function importSql(dialect: Dialect) {
  const { p, ts } = placeholders(dialect);
  const scope = SCOPE_FIELDS.map((f) => `${f} = ${p('')}`).join(' AND ');
  const at = (n: number) => (dialect === 'postgres' ? `$${n}${ts}` : '?');
  const n = (k: number) => (dialect === 'postgres' ? `$${k}` : '?');
  return {
    /** [scope…, execution_id] → the row of that execution. */
    byExecution: `SELECT id, received_at FROM runs WHERE ${scope} AND execution_id = ${n(5)}`,
    /**
     * [scope…, received_at, run_id] → rows of that run received at that millisecond (the scope index, received_at
     * included, finds them; execution_id is checked by the caller, so the planner has no reason to prefer the other).
     */
    sameRun: `SELECT id, execution_id FROM runs WHERE ${scope} AND received_at = ${at(5)} AND run_id = ${n(6)}`,
    /**
     * [scope…, run_id, execution_id, received_at, payload, stats]. The upsert only guards against a push of the same
     * execution arriving between the look-up and the insert (PostgreSQL, another process): it then keeps the newer.
     */
    insert: `INSERT INTO runs (organization, repository, workflow, job, run_id, execution_id, received_at, payload, stats)
      VALUES (${n(1)}, ${n(2)}, ${n(3)}, ${n(4)}, ${n(5)}, ${n(6)}, ${at(7)}, ${n(8)}${dialect === 'postgres' ? '::json' : ''}, ${n(9)})
      ON CONFLICT ${EXECUTION_KEY} DO UPDATE SET ${UPSERT_SET} ${UPSERT_WHERE}`,
    /** [run_id, received_at, payload, stats, id, received_at]: replaces an older row of the same execution. */
    update: `UPDATE runs SET run_id = ${n(1)}, received_at = ${at(2)}, payload = ${n(3)}${dialect === 'postgres' ? '::json' : ''},
      stats = ${n(4)} WHERE id = ${n(5)} AND received_at < ${at(6)}`,
  };
}

export const scopeParams = (r: ImportRun) => [r.organization, r.repository, r.workflow, r.job];
export const insertParams = (r: ImportRun) =>
  [...scopeParams(r), r.run_id, r.execution_id ?? null, r.received_at, r.payload, r.stats ?? null];
export const updateParams = (r: ImportRun, id: number) => [r.run_id, r.received_at, r.payload, r.stats ?? null, id, r.received_at];

/**
 * What importing `run` does, given the stored row of its execution (or, without an execution_id, whether an
 * identical run is stored). The same line imported twice is `unchanged` the second time: idempotent.
 * - with an execution_id: none stored → insert; stored at the same received_at → unchanged; stored earlier →
 *   update (replaced, as a later push would); stored later → skipped (the newer one is kept, as for pushes).
 * - without one: a row of the same scope, run_id and received_at and no execution_id → unchanged; else insert.
 */
export function importAction(run: ImportRun, stored: { readonly id: number; readonly received_at: string } | undefined):
  { readonly outcome: ImportOutcome; readonly write: 'insert' | 'update' | 'none'; readonly id?: number } {
  if (stored === undefined) return { outcome: 'imported', write: 'insert' };
  if (run.execution_id === undefined || stored.received_at === run.received_at) return { outcome: 'unchanged', write: 'none' };
  return stored.received_at < run.received_at
    ? { outcome: 'replaced', write: 'update', id: stored.id }
    : { outcome: 'skipped', write: 'none' };
}

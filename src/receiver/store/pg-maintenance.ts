// PostgreSQL's side of export and import (issue 12), beside postgres.ts: the import's transaction on one pooled
// connection, and the export row's conversions.
import type pg from 'pg';
import { importAction, importSql, insertParams, scopeParams, updateParams } from './maintenance-sql.ts';
import type { ExportRow, ImportOutcome, ImportRun } from './types.ts';

const SQL = importSql('postgres');
/** Imports take this transaction-level lock: two imports of one file at once cannot both insert a run. Pushes do not. */
const IMPORT_LOCK = 'rrc-receiver-import';

/** The payload comes as the stored json text (exportRunsSql: payload::text). */
export type PgExportRow = Omit<ExportRow, 'id' | 'received_at'> & { id: string; received_at: Date };

export const fromPgExportRow = (r: PgExportRow): ExportRow => ({ ...r, id: Number(r.id), received_at: r.received_at.toISOString() });

/** One transaction for the whole batch; the caller releases the client (destroying it if this threw). */
export async function importPgRuns(client: pg.PoolClient, runs: readonly ImportRun[]): Promise<ImportOutcome[]> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [IMPORT_LOCK]);
    const outcomes: ImportOutcome[] = [];
    for (const run of runs) {
      let stored: { id: number; received_at: string } | undefined;
      if (run.execution_id !== undefined) {
        const { rows } = await client.query<{ id: string; received_at: Date }>(SQL.byExecution, [...scopeParams(run), run.execution_id]);
        stored = rows[0] && { id: Number(rows[0].id), received_at: rows[0].received_at.toISOString() };
      } else {
        const { rows } = await client.query<{ id: string; execution_id: string | null }>(SQL.sameRun,
          [...scopeParams(run), run.received_at, run.run_id]);
        const same = rows.find((r) => r.execution_id === null);
        stored = same && { id: Number(same.id), received_at: run.received_at };
      }
      const action = importAction(run, stored);
      if (action.write === 'insert') await client.query(SQL.insert, insertParams(run));
      if (action.write === 'update') await client.query(SQL.update, updateParams(run, action.id!));
      outcomes.push(action.outcome);
    }
    await client.query('COMMIT');
    return outcomes;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

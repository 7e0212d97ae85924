// SQLite's side of export, import and retention (issue 12), beside sqlite.ts: the statements run on the store's own
// connection, inside the transaction sqlite.ts opens. Synchronous, like everything node:sqlite does.
import type { DatabaseSync } from 'node:sqlite';
import { exportRunsSql, importAction, importSql, insertParams, pruneRunsSql, scopeParams, updateParams } from './maintenance-sql.ts';
import type { ExportQuery, ExportRow, ImportOutcome, ImportRun } from './types.ts';

const SQL = importSql('sqlite');
const PRUNE = pruneRunsSql('sqlite');

export function exportSqliteRuns(db: DatabaseSync, q: ExportQuery): ExportRow[] {
  const { sql, params } = exportRunsSql('sqlite', q);
  return (db.prepare(sql).all(...params) as ExportRow[]).map((r) => ({ ...r }));
}

/** Call inside a write transaction: the look-ups and writes must see no other writer in between. */
export function importSqliteRuns(db: DatabaseSync, runs: readonly ImportRun[]): ImportOutcome[] {
  const byExecution = db.prepare(SQL.byExecution), sameRun = db.prepare(SQL.sameRun);
  const insert = db.prepare(SQL.insert), update = db.prepare(SQL.update);
  return runs.map((run) => {
    let stored: { id: number; received_at: string } | undefined;
    if (run.execution_id !== undefined) {
      stored = byExecution.get(...scopeParams(run), run.execution_id) as typeof stored;
    } else {
      const same = (sameRun.all(...scopeParams(run), run.received_at, run.run_id) as { id: number; execution_id: string | null }[])
        .find((r) => r.execution_id === null);
      stored = same && { id: same.id, received_at: run.received_at };
    }
    const action = importAction(run, stored);
    if (action.write === 'insert') insert.run(...insertParams(run));
    if (action.write === 'update') update.run(...updateParams(run, action.id!));
    return action.outcome;
  });
}

/** Call inside a write transaction. */
export function pruneSqliteRuns(db: DatabaseSync, before: string, limit: number): number {
  return Number(db.prepare(PRUNE).run(before, limit).changes);
}

// Builds large run tables directly with bulk SQL, through the stores' own schema (the migrations run by opening
// SqliteStore / PgStore), instead of through HTTP: a million pushes would take the benchmark's whole budget.
// Rows arrive in received_at order, one every 30 s from 2026-01-01; every `every`-th row belongs to the queried
// job (SCOPE) and carries the full summary, the others spread over 15,000 other jobs with a short payload.
import { DatabaseSync } from 'node:sqlite';
import pg from 'pg';
import { PgStore } from '../../src/receiver/store/postgres.ts';
import { SqliteStore } from '../../src/receiver/store/sqlite.ts';
import { SCOPE } from './summary.ts';

export type BulkSpec = {
  readonly rows: number;
  /** Every `every`-th row (row 0 included) is the queried job's. */
  readonly every: number;
  /** The queried job's payload: a summary's JSON. */
  readonly payload: string;
  /** Every other row's payload (short, to keep the database at a reasonable size on disk). */
  readonly filler: string;
};

const START_S = Date.parse('2026-01-01T00:00:00Z') / 1000;

export async function bulkSqlite(path: string, s: BulkSpec): Promise<void> {
  await new SqliteStore(path).close(); // the schema, by the store's own migrations
  const db = new DatabaseSync(path);
  try {
    db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF; PRAGMA cache_size = -262144;');
    db.exec('BEGIN');
    db.prepare(`WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i < ?1)
      INSERT INTO runs (organization, repository, workflow, job, run_id, execution_id, received_at, payload)
      SELECT
        CASE WHEN i % ?2 = 0 THEN ?3 ELSE 'org-' || (i % 50) END,
        CASE WHEN i % ?2 = 0 THEN ?4 ELSE 'org-' || (i % 50) || '/repo-' || (i / 50 % 20) END,
        CASE WHEN i % ?2 = 0 THEN ?5 ELSE 'workflow-' || (i / 1000 % 3) || '.yml' END,
        CASE WHEN i % ?2 = 0 THEN ?6 ELSE 'job-' || (i / 3000 % 5) END,
        CAST(1000000 + i AS TEXT), 'exec-' || i,
        strftime('%Y-%m-%dT%H:%M:%fZ', ?7 + i * 30, 'unixepoch'),
        CASE WHEN i % ?2 = 0 THEN ?8 ELSE ?9 END
      FROM seq`)
      .run(s.rows - 1, s.every, SCOPE.organization, SCOPE.repository, SCOPE.workflow, SCOPE.job, START_S, s.payload, s.filler);
    db.exec('COMMIT');
    db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
  } finally {
    db.close();
  }
}

export async function bulkPostgres(url: string, s: BulkSpec): Promise<void> {
  await (await PgStore.open({ url })).close();
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query('SET synchronous_commit = off');
    const chunk = 250_000; // one statement per chunk keeps each transaction's WAL and memory moderate
    for (let from = 0; from < s.rows; from += chunk) {
      await c.query(`INSERT INTO runs (organization, repository, workflow, job, run_id, execution_id, received_at, payload)
        SELECT
          CASE WHEN i % $2 = 0 THEN $3 ELSE 'org-' || (i % 50) END,
          CASE WHEN i % $2 = 0 THEN $4 ELSE 'org-' || (i % 50) || '/repo-' || (i / 50 % 20) END,
          CASE WHEN i % $2 = 0 THEN $5 ELSE 'workflow-' || (i / 1000 % 3) || '.yml' END,
          CASE WHEN i % $2 = 0 THEN $6 ELSE 'job-' || (i / 3000 % 5) END,
          (1000000 + i)::text, 'exec-' || i,
          to_timestamp($7::bigint + i * 30),
          CASE WHEN i % $2 = 0 THEN $8::json ELSE $9::json END
        FROM generate_series($1::bigint, $10::bigint) AS i`,
      [from, s.every, SCOPE.organization, SCOPE.repository, SCOPE.workflow, SCOPE.job, START_S, s.payload, s.filler,
        Math.min(s.rows, from + chunk) - 1]);
    }
    await c.query('VACUUM ANALYZE runs'); // what autovacuum does after a bulk load
    // The load leaves ~800 MB of dirty buffers that the checkpointer would otherwise write out during the measurement
    // (spread over checkpoint_timeout); a receiver in steady state writes a few MB a minute. SQLite's side checkpoints too.
    await c.query('CHECKPOINT');
  } finally {
    await c.end();
  }
}

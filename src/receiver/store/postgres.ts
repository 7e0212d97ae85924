// PostgreSQL store through a pg Pool, for several receiver replicas sharing one database.
// Same schema and behaviour as SqliteStore; concurrency comes from the database: the upsert is one
// statement, and migrations run under an advisory lock so replicas starting together do not race.
import pg from 'pg';
import type { Logger } from 'pino';
import { StoreUnavailableError } from '../errors.ts';
import { pendingMigrations, SCHEMA_MIGRATIONS_DDL } from './migrations.ts';
import { selectHistorySql, selectJobsSql } from './history-sql.ts';
import { nextPosition, runsJson } from './runs-json.ts';
import { EXECUTION_KEY, parseJsonText, selectRunsSql, UPSERT_SET, UPSERT_WHERE } from './sql.ts';
import type {
  HistoryQuery, HistoryRow, JobRow, JobsQuery, PutResult, RunInput, RunPage, RunQuery, Store, StoredRun, StoredRunJson,
} from './types.ts';
import { exportRunsSql, pruneRunsSql } from './maintenance-sql.ts';
import { fromPgExportRow, importPgRuns, type PgExportRow } from './pg-maintenance.ts';
import type { ExportQuery, ExportRow, ImportOutcome, ImportRun } from './types.ts';

export type PgStoreOptions = {
  /** `postgres://` or `postgresql://` URL; PG* environment variables fill what it leaves out (e.g. PGPASSWORD). */
  readonly url: string;
  /** Schema for the tables, created if missing. @default the connection's search_path (usually `public`) */
  readonly schema?: string | undefined;
  /** Pool size per replica. @default 10 */
  readonly maxConnections?: number | undefined;
  readonly logger?: Logger | undefined;
};

/** Arbitrary constant: the advisory lock key for migrations, combined with the schema name. */
const MIGRATION_LOCK = 'rrc-receiver-migrations';
/** Wait at most this long (ms) for a pooled connection or a statement; then the request gets 503. */
const TIMEOUT_MS = 5_000;
/**
 * Client-side bound on one query (ms). statement_timeout is enforced by the server, so it cannot end a query
 * whose connection stalls (packets dropped): without this the request hung until the socket's 10 s timeout
 * cut it unanswered, and its pooled connection stayed stuck. pg then destroys the connection. A little longer
 * than statement_timeout, so that a slow statement still ends as the server's 57014.
 */
const QUERY_TIMEOUT_MS = TIMEOUT_MS + 1_000;

type Row = { id: string; organization: string; repository: string; workflow: string; job: string;
  run_id: string; received_at: Date; payload: unknown };

export class PgStore implements Store {
  readonly kind = 'postgres';
  readonly #pool: pg.Pool;
  #closed = false;

  private constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  /** Connects, creates the schema if asked, and applies pending migrations. */
  static async open(options: PgStoreOptions): Promise<PgStore> {
    const { schema } = options;
    if (schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
      throw new Error(`postgres schema ${JSON.stringify(schema)} is not a lower-case identifier`);
    }
    const connection = {
      connectionString: options.url,
      connectionTimeoutMillis: TIMEOUT_MS,
      application_name: 'rrc-receiver',
      ...(schema === undefined ? {} : { options: `-c search_path=${schema}` }),
    };
    const pool = new pg.Pool({
      ...connection,
      max: options.maxConnections ?? 10,
      statement_timeout: TIMEOUT_MS,
      query_timeout: QUERY_TIMEOUT_MS,
      idleTimeoutMillis: 30_000,
    });
    // An idle client losing its connection emits here; without a listener the process would crash.
    pool.on('error', (err) => options.logger?.warn({ err }, 'idle postgres connection failed'));
    const store = new PgStore(pool);
    try {
      await migrate(new pg.Client({ ...connection, keepAlive: true }), schema);
    } catch (err) {
      await store.close();
      throw err;
    }
    return store;
  }

  async put(run: RunInput, receivedAt: Date): Promise<PutResult> {
    // xmax is 0 on a freshly inserted row version and the locking transaction's id on an updated one:
    // the documented-by-use way to tell the two apart in one atomic INSERT ... ON CONFLICT.
    // $8, the payload, goes in as text: json keeps it byte for byte, the text SQLite keeps and queryJson returns.
    const { rows } = await this.#query<{ id: string; inserted: boolean }>(
      `INSERT INTO runs (organization, repository, workflow, job, run_id, execution_id, received_at, payload, stats)
       VALUES ($1, $2, $3, $4, $5, $6, $7::timestamptz, $8::json, $9)
       ON CONFLICT ${EXECUTION_KEY} DO UPDATE SET ${UPSERT_SET} ${UPSERT_WHERE}
       RETURNING id, (xmax = 0) AS inserted`,
      [run.organization, run.repository, run.workflow, run.job, run.run_id, run.execution_id ?? null,
        receivedAt.toISOString(), run.payload, run.stats ?? null]);
    const row = rows[0];
    if (row !== undefined) return { id: Number(row.id), replaced: !row.inserted };
    // No row: the conflicting one was received later and kept (UPSERT_WHERE). A new statement sees it committed.
    const kept = await this.#query<{ id: string }>(
      'SELECT id FROM runs WHERE organization = $1 AND repository = $2 AND workflow = $3 AND job = $4 AND execution_id = $5',
      [run.organization, run.repository, run.workflow, run.job, run.execution_id ?? null]);
    const id = kept.rows[0]?.id;
    if (id === undefined) throw new Error('upsert returned no row and none is stored');
    return { id: Number(id), replaced: true, superseded: true };
  }

  async query(q: RunQuery): Promise<StoredRun[]> {
    return (await this.queryJson(q)).map(({ payloadJson, ...r }) => ({ ...r, payload: parseJsonText(payloadJson) }));
  }

  async queryJson(q: RunQuery): Promise<StoredRunJson[]> {
    const { sql, params } = selectRunsSql('postgres', q); // payload::text: the stored text, not pg's JSON.parse of it
    const { rows } = await this.#query<Omit<Row, 'payload'> & { payload: string }>(sql, params);
    return rows.map((r) => ({ id: Number(r.id), organization: r.organization, repository: r.repository,
      workflow: r.workflow, job: r.job, run_id: r.run_id, received_at: r.received_at.toISOString(), payloadJson: r.payload }));
  }

  async queryPage(q: RunQuery): Promise<RunPage> {
    // One statement, one snapshot: the extra run only says whether a next page exists.
    const rows = await this.queryJson({ ...q, limit: q.limit + 1 });
    return { body: runsJson(rows.slice(0, q.limit)), next: nextPosition(rows, q.limit) };
  }

  async history(q: HistoryQuery): Promise<HistoryRow[]> {
    const { sql, params } = selectHistorySql('postgres', q);
    const { rows } = await this.#query<{ id: string; run_id: string; received_at: Date; stats: string | null; payload: unknown }>(sql, params);
    return rows.map((r) => ({ id: Number(r.id), run_id: r.run_id, received_at: r.received_at.toISOString(), stats: r.stats,
      ...(r.stats === null ? { payload: r.payload } : {}) }));
  }

  async saveStats(rows: readonly { id: number; received_at: string; stats: string }[]): Promise<void> {
    if (rows.length === 0) return;
    await this.#query(`UPDATE runs AS r SET stats = v.stats
      FROM unnest($1::bigint[], $2::timestamptz[], $3::text[]) AS v(id, received_at, stats)
      WHERE r.id = v.id AND r.received_at = v.received_at`,
    [rows.map((r) => r.id), rows.map((r) => r.received_at), rows.map((r) => r.stats)]);
  }

  async listJobs(q: JobsQuery): Promise<JobRow[]> {
    const { sql, params } = selectJobsSql('postgres', q);
    const { rows } = await this.#query<Omit<JobRow, 'runs' | 'latest_received_at'> & { runs: string; latest_received_at: Date }>(sql, params);
    return rows.map((r) => ({ ...r, runs: Number(r.runs), latest_received_at: r.latest_received_at.toISOString() }));
  }

  async getRun(id: number): Promise<StoredRun | undefined> {
    const { rows } = await this.#query<Row>(`SELECT id, organization, repository, workflow, job, run_id, received_at, payload
      FROM runs WHERE id = $1`, [id]);
    const r = rows[0];
    return r === undefined ? undefined : { id: Number(r.id), organization: r.organization, repository: r.repository,
      workflow: r.workflow, job: r.job, run_id: r.run_id, received_at: r.received_at.toISOString(), payload: r.payload };
  }

  async countRuns(): Promise<number> {
    const r = await this.#query<{ n: string }>('SELECT count(*) AS n FROM runs', []);
    return Number(r.rows[0]?.n ?? 0);
  }

  async ping(): Promise<void> {
    await this.#query('SELECT 1', []);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#pool.end();
  }

  // Export, import and retention (issue 12); the SQL is maintenance-sql.ts's, the import's transaction pg-maintenance.ts's.
  async exportRuns(q: ExportQuery): Promise<ExportRow[]> {
    const { sql, params } = exportRunsSql('postgres', q);
    return (await this.#query<PgExportRow>(sql, params)).rows.map(fromPgExportRow);
  }

  async importRuns(runs: readonly ImportRun[]): Promise<ImportOutcome[]> {
    let client: pg.PoolClient | undefined, failed = false;
    try {
      client = await this.#pool.connect();
      return await importPgRuns(client, runs);
    } catch (err) {
      failed = true;
      if (isUnavailable(err)) throw new StoreUnavailableError('postgres unavailable', { cause: err });
      throw err;
    } finally {
      client?.release(failed); // a connection that failed mid-transaction is dropped, not reused
    }
  }

  async pruneRuns(before: string, limit: number): Promise<number> {
    return (await this.#query(pruneRunsSql('postgres'), [before, limit])).rowCount ?? 0;
  }

  async #query<R extends pg.QueryResultRow>(sql: string, params: unknown[]): Promise<pg.QueryResult<R>> {
    try {
      return await this.#pool.query<R>(sql, params);
    } catch (err) {
      if (isUnavailable(err)) throw new StoreUnavailableError('postgres unavailable', { cause: err });
      throw err;
    }
  }
}

/**
 * Applies the pending migrations on a connection of its own: a session advisory lock, then one transaction per
 * migration. Without the pool's timeouts: a migration may rewrite the table (migration 4: ~13 s a million runs), and a
 * replica starting meanwhile waits for the lock instead of failing. keepAlive still ends a connection gone dead.
 */
async function migrate(client: pg.Client, schema: string | undefined): Promise<void> {
  // A broken connection also fails the pending query, which reports it; unhandled, this event would end the process.
  client.on('error', () => undefined);
  const lockKey = `${MIGRATION_LOCK}:${schema ?? ''}`;
  try {
    await client.connect();
    await client.query('SELECT pg_advisory_lock(hashtext($1))', [lockKey]);
    try {
      if (schema !== undefined) await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
      await client.query(SCHEMA_MIGRATIONS_DDL.postgres);
      const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
      for (const m of pendingMigrations(rows.map((r) => r.version))) {
        await client.query('BEGIN');
        try {
          await client.query(m.sql.postgres);
          await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK');
          throw err;
        }
      }
    } finally {
      // If the connection broke, the server already dropped the lock with the session.
      await client.query('SELECT pg_advisory_unlock(hashtext($1))', [lockKey]).catch(() => undefined);
    }
  } finally {
    await client.end().catch(() => undefined); // requests use the pool's connections, not this one
  }
}

/** Connection-level failures (refused, reset, timed out, server shutting down or full): worth a retry. */
export function isUnavailable(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  if (typeof e.code === 'string') {
    if (['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EPIPE'].includes(e.code)) return true;
    // 08: connection exception; 57P01-03: admin shutdown, crash shutdown, cannot connect now; 53300: too many
    // connections; 57014: statement timeout; 40001/40P01: serialization failure, deadlock (retry succeeds).
    if (e.code.startsWith('08') || ['57P01', '57P02', '57P03', '53300', '57014', '40001', '40P01'].includes(e.code)) {
      return true;
    }
    return false;
  }
  // pg reports pool, connect and query timeouts, and a connection ended under a query, as plain errors.
  return /timeout exceeded when trying to connect|Connection terminated|connection timeout|Query read timeout/i
    .test(e.message ?? '');
}

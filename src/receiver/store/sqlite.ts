// SQLite store through Node's built-in node:sqlite: one file, one connection, WAL.
// node:sqlite is synchronous: a write blocks the event loop for its fsync (~1-5 ms on SSD) and a
// 1000-row page for a few ms. That is fine for one summary per CI job; for more, use PostgreSQL.
import { DatabaseSync } from 'node:sqlite';
import { StoreUnavailableError } from '../errors.ts';
import { pendingMigrations, SCHEMA_MIGRATIONS_DDL } from './migrations.ts';
import { selectHistorySql, selectJobsSql } from './history-sql.ts';
import { EXECUTION_KEY, selectRunsSql, UPSERT_SET, UPSERT_WHERE } from './sql.ts';
import type {
  HistoryQuery, HistoryRow, JobRow, JobsQuery, PutResult, RunInput, RunQuery, Store, StoredRun,
} from './types.ts';

/**
 * How long a write waits for another process's write lock (ms), then SQLITE_BUSY (→ 503). The wait blocks the event
 * loop, so requests that arrived meanwhile age with it: at 5 s, a loaded CI machine pushed queued requests past the
 * 10 s request timeout (408 instead of a 503 with Retry-After).
 */
const BUSY_TIMEOUT_MS = 2_000;
/**
 * How long writes wait (ms) once one has waited BUSY_TIMEOUT_MS in vain, until a write succeeds again. The
 * wait blocks the event loop (node:sqlite is synchronous): at 5 s each, 4 pushes queued behind a held lock
 * took 20 s to get their 503s and held every other request up as long (issue 7).
 */
const CONTENDED_BUSY_TIMEOUT_MS = 50;
// busy_timeout first, so that even switching to WAL waits for another process instead of failing.
// synchronous=FULL fsyncs the WAL on every commit: an acknowledged push survives power loss and kill -9.
const PRAGMAS = `PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}; PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;`;

const SQLITE_BUSY = 5;
const SQLITE_LOCKED = 6;

type Row = { id: number; organization: string; repository: string; workflow: string; job: string;
  run_id: string; received_at: string; payload: string };

export class SqliteStore implements Store {
  readonly kind = 'sqlite';
  readonly #db: DatabaseSync;
  #closed = false;
  /** A write gave up on the lock and none has succeeded since: writes wait CONTENDED_BUSY_TIMEOUT_MS only. */
  #contended = false;

  /** Opens (creating if needed) the database file and applies pending migrations. `:memory:` works for tests. */
  constructor(path: string) {
    this.#db = new DatabaseSync(path);
    try {
      this.#db.exec(PRAGMAS);
      this.#migrate();
    } catch (err) {
      this.#db.close();
      throw err;
    }
  }

  async put(run: RunInput, receivedAt: Date): Promise<PutResult> {
    return this.#write(() => this.#transaction(() => {
      // One connection and BEGIN IMMEDIATE: nothing can write between this look-up and the upsert.
      const existing = run.execution_id === undefined ? undefined : this.#db
        .prepare(`SELECT id FROM runs WHERE organization = ? AND repository = ? AND workflow = ? AND job = ?
          AND execution_id = ?`)
        .get(run.organization, run.repository, run.workflow, run.job, run.execution_id) as { id: number } | undefined;
      const row = this.#db
        .prepare(`INSERT INTO runs (organization, repository, workflow, job, run_id, execution_id, received_at, payload, stats)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT ${EXECUTION_KEY} DO UPDATE SET ${UPSERT_SET} ${UPSERT_WHERE} RETURNING id`)
        .get(run.organization, run.repository, run.workflow, run.job, run.run_id, run.execution_id ?? null,
          receivedAt.toISOString(), run.payload, run.stats ?? null) as { id: number } | undefined;
      if (row === undefined && existing !== undefined) return { id: existing.id, replaced: true, superseded: true };
      if (row === undefined) throw new Error('upsert returned no row');
      return { id: row.id, replaced: existing !== undefined };
    }));
  }

  async query(q: RunQuery): Promise<StoredRun[]> {
    const { sql, params } = selectRunsSql('sqlite', q);
    const rows = unavailableOnBusy(() => this.#db.prepare(sql).all(...params) as Row[]);
    return rows.map((r) => ({ id: r.id, organization: r.organization, repository: r.repository,
      workflow: r.workflow, job: r.job, run_id: r.run_id, received_at: r.received_at,
      payload: JSON.parse(r.payload) as unknown }));
  }

  async history(q: HistoryQuery): Promise<HistoryRow[]> {
    const { sql, params } = selectHistorySql('sqlite', q);
    const rows = unavailableOnBusy(() => this.#db.prepare(sql).all(...params) as
      { id: number; run_id: string; received_at: string; stats: string | null }[]);
    // Rows stored before stats existed: their payloads, by id, a few hundred at a time.
    const missing = rows.filter((r) => r.stats === null).map((r) => r.id);
    const payloads = new Map<number, unknown>();
    for (let i = 0; i < missing.length; i += 500) {
      const ids = missing.slice(i, i + 500);
      const found = unavailableOnBusy(() => this.#db.prepare(`SELECT id, payload FROM runs WHERE id IN (${ids.map(() => '?').join(', ')})`)
        .all(...ids) as { id: number; payload: string }[]);
      for (const f of found) payloads.set(f.id, JSON.parse(f.payload) as unknown);
    }
    return rows.map((r) => (r.stats === null ? { ...r, payload: payloads.get(r.id) } : r));
  }

  async saveStats(rows: readonly { id: number; received_at: string; stats: string }[]): Promise<void> {
    if (rows.length === 0) return;
    this.#write(() => this.#transaction(() => {
      const update = this.#db.prepare('UPDATE runs SET stats = ? WHERE id = ? AND received_at = ?');
      for (const r of rows) update.run(r.stats, r.id, r.received_at);
    }));
  }

  async listJobs(q: JobsQuery): Promise<JobRow[]> {
    const { sql, params } = selectJobsSql('sqlite', q);
    return unavailableOnBusy(() => this.#db.prepare(sql).all(...params) as JobRow[]).map((r) => ({ ...r }));
  }

  async getRun(id: number): Promise<StoredRun | undefined> {
    const r = unavailableOnBusy(() => this.#db.prepare(`SELECT id, organization, repository, workflow, job, run_id,
      received_at, payload FROM runs WHERE id = ?`).get(id) as Row | undefined);
    return r === undefined ? undefined : { id: r.id, organization: r.organization, repository: r.repository,
      workflow: r.workflow, job: r.job, run_id: r.run_id, received_at: r.received_at, payload: JSON.parse(r.payload) as unknown };
  }

  async countRuns(): Promise<number> {
    return unavailableOnBusy(() => (this.#db.prepare('SELECT count(*) AS n FROM runs').get() as { n: number }).n);
  }

  async ping(): Promise<void> {
    unavailableOnBusy(() => this.#db.prepare('SELECT 1').get());
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#db.close();
  }

  #migrate(): void {
    this.#db.exec(SCHEMA_MIGRATIONS_DDL.sqlite);
    const applied = () => (this.#db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[])
      .map((r) => r.version);
    for (const m of pendingMigrations(applied())) {
      this.#transaction(() => {
        // Another process may have applied it while we waited for the write lock.
        if (applied().includes(m.version)) return;
        this.#db.exec(m.sql.sqlite);
        this.#db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)')
          .run(m.version, m.name, new Date().toISOString());
      });
    }
  }

  /** A write through unavailableOnBusy that waits the full busy timeout only while the lock is not known to be held. */
  #write<T>(body: () => T): T {
    try {
      const result = unavailableOnBusy(body);
      if (this.#contended) this.#setContended(false);
      return result;
    } catch (err) {
      if (err instanceof StoreUnavailableError && !this.#contended) this.#setContended(true);
      throw err;
    }
  }

  #setContended(contended: boolean): void {
    this.#contended = contended;
    this.#db.exec(`PRAGMA busy_timeout = ${contended ? CONTENDED_BUSY_TIMEOUT_MS : BUSY_TIMEOUT_MS}`);
  }

  #transaction<T>(body: () => T): T {
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      const result = body();
      this.#db.exec('COMMIT');
      return result;
    } catch (err) {
      if (this.#db.isTransaction) this.#db.exec('ROLLBACK');
      throw err;
    }
  }
}

function unavailableOnBusy<T>(body: () => T): T {
  try {
    return body();
  } catch (err) {
    const code = ((err as { errcode?: number }).errcode ?? 0) & 0xff; // extended codes keep the primary in the low byte
    if (code === SQLITE_BUSY || code === SQLITE_LOCKED) throw new StoreUnavailableError('sqlite busy', { cause: err });
    throw err;
  }
}

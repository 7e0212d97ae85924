// SQLite store through Node's built-in node:sqlite: one file, one connection, WAL.
// node:sqlite is synchronous: a write blocks the event loop for its fsync (~1-5 ms on SSD) and a
// 1000-row page for a few ms. That is fine for one summary per CI job; for more, use PostgreSQL.
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { StoreUnavailableError } from '../errors.ts';
import { pendingMigrations, SCHEMA_MIGRATIONS_DDL } from './migrations.ts';
import { BACKSTOP_AUTOCHECKPOINT_PAGES, Checkpointer } from './sqlite-checkpointer.ts';
import { selectHistorySql, selectJobsSql } from './history-sql.ts';
import { nextPosition } from './runs-json.ts';
import { EXECUTION_KEY, parseJsonText, selectPageBodySqlite, selectRunKeysSql, selectRunsSql, UPSERT_SET, UPSERT_WHERE } from './sql.ts';
import type {
  HistoryQuery, HistoryRow, JobRow, JobsQuery, PutResult, RunInput, RunPage, RunQuery, Store, StoredRun, StoredRunJson,
} from './types.ts';
import { exportSqliteRuns, importSqliteRuns, pruneSqliteRuns } from './sqlite-maintenance.ts';
import type { ExportQuery, ExportRow, ImportOutcome, ImportRun } from './types.ts';

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
// mmap_size: reads of the database file (not the WAL) through a mapping instead of a pread a page: a page of 100
// summaries is ~150 overflow pages, and reading them took 0.74 ms against 0.20 mapped (docs/decisions.md). The
// mapped pages are the page cache's, shared and clean; they show in the receiver's RSS. SQLite caps it at 2 GiB
// (SQLITE_MAX_MMAP_SIZE); beyond that, reads fall back to pread.
const MMAP_BYTES = 2 ** 31;
const PRAGMAS = `PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}; PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;
  PRAGMA mmap_size = ${MMAP_BYTES};`;

const SQLITE_BUSY = 5;
const SQLITE_LOCKED = 6;

const SELECT_EXECUTION = `SELECT id FROM runs WHERE organization = ? AND repository = ? AND workflow = ? AND job = ?
  AND execution_id = ?`;
const UPSERT = `INSERT INTO runs (organization, repository, workflow, job, run_id, execution_id, received_at, payload, stats)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT ${EXECUTION_KEY} DO UPDATE SET ${UPSERT_SET} ${UPSERT_WHERE} RETURNING id`;
/** Statements kept prepared; the page queries come in a handful of shapes (which filters are set), so this is a bound only. */
const MAX_STATEMENTS = 64;

type PendingPut = { run: RunInput; receivedAt: Date; resolve: (r: PutResult) => void; reject: (err: unknown) => void };

type Row = { id: number; organization: string; repository: string; workflow: string; job: string;
  run_id: string; received_at: string; payload: Uint8Array };

export class SqliteStore implements Store {
  readonly kind = 'sqlite';
  readonly #db: DatabaseSync;
  readonly #statements = new Map<string, StatementSync>();
  /** Pushes waiting for the next group commit (put). */
  #pending: PendingPut[] = [];
  /** Checkpoints off the event loop; undefined in memory. */
  readonly #checkpointer: Checkpointer | undefined;
  #closed = false;
  /** A write gave up on the lock and none has succeeded since: writes wait CONTENDED_BUSY_TIMEOUT_MS only. */
  #contended = false;

  /** Opens (creating if needed) the database file and applies pending migrations. `:memory:` works for tests. */
  constructor(path: string) {
    this.#db = new DatabaseSync(path);
    try {
      this.#db.exec(PRAGMAS);
      if (path !== ':memory:' && path !== '') {
        this.#db.exec(`PRAGMA wal_autocheckpoint = ${BACKSTOP_AUTOCHECKPOINT_PAGES}`);
        this.#checkpointer = new Checkpointer(path);
      }
      this.#migrate();
    } catch (err) {
      this.#db.close();
      throw err;
    }
  }

  /**
   * Group commit: the pushes that arrive in one turn of the event loop (under load, those that queued up during the
   * previous commit's fsync) are written in one transaction, so that one fsync serves them all. Each promise
   * resolves only after that COMMIT: durability is unchanged. 6 KB summaries, synchronous=FULL, on the bench VM:
   * 151 µs a push in transactions of 16, 560 µs one a transaction.
   */
  put(run: RunInput, receivedAt: Date): Promise<PutResult> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ run, receivedAt, resolve, reject });
      if (this.#pending.length === 1) setImmediate(() => this.#commitPending());
    });
  }

  #commitPending(): void {
    const batch = this.#pending;
    this.#pending = [];
    if (batch.length === 0) return;
    let results: PutResult[];
    try {
      results = this.#write(() => this.#transaction(() => batch.map((p) => this.#putRow(p.run, p.receivedAt))));
    } catch (err) {
      // A lock held elsewhere fails them all alike (503). Anything else may be one push's own fault: each alone.
      if (batch.length === 1 || err instanceof StoreUnavailableError) {
        for (const p of batch) p.reject(err);
        return;
      }
      for (const p of batch) {
        try {
          p.resolve(this.#write(() => this.#transaction(() => this.#putRow(p.run, p.receivedAt))));
        } catch (e) {
          p.reject(e);
        }
      }
      return;
    }
    this.#checkpointer?.written(batch.length);
    batch.forEach((p, i) => p.resolve(results[i]!));
  }

  #putRow(run: RunInput, receivedAt: Date): PutResult {
    // One connection and BEGIN IMMEDIATE: nothing can write between this look-up and the upsert.
    const existing = run.execution_id === undefined ? undefined : this.#prepared(SELECT_EXECUTION)
      .get(run.organization, run.repository, run.workflow, run.job, run.execution_id) as { id: number } | undefined;
    const row = this.#prepared(UPSERT).get(run.organization, run.repository, run.workflow, run.job, run.run_id,
      run.execution_id ?? null, receivedAt.toISOString(), run.payload, run.stats ?? null) as { id: number } | undefined;
    if (row === undefined && existing !== undefined) return { id: existing.id, replaced: true, superseded: true };
    if (row === undefined) throw new Error('upsert returned no row');
    return { id: row.id, replaced: existing !== undefined };
  }

  /** A statement prepared once per connection, not once per call (the profile of issue 10 had 6% in prepare and run). */
  #prepared(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      if (this.#statements.size >= MAX_STATEMENTS) this.#statements.clear();
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  async query(q: RunQuery): Promise<StoredRun[]> {
    return (await this.queryJson(q)).map(({ payloadJson, ...r }) => ({ ...r, payload: parseJsonText(payloadJson) }));
  }

  async queryJson(q: RunQuery): Promise<StoredRunJson[]> {
    const { sql, params } = selectRunsSql('sqlite', q);
    const rows = unavailableOnBusy(() => this.#prepared(sql).all(...params) as Row[]);
    return rows.map((r) => ({ id: r.id, organization: r.organization, repository: r.repository,
      workflow: r.workflow, job: r.job, run_id: r.run_id, received_at: r.received_at, payloadJson: r.payload }));
  }

  async queryPage(q: RunQuery): Promise<RunPage> {
    const keys = selectRunKeysSql('sqlite', { ...q, limit: q.limit + 1 }); // one more: does a next page exist?
    const page = selectPageBodySqlite(q);
    return unavailableOnBusy(() => {
      // Both statements read one snapshot, so that the cursor is the body's last run even if another process writes.
      this.#db.exec('BEGIN');
      try {
        const found = this.#prepared(keys.sql).all(...keys.params) as { id: number; received_at: string }[];
        const { body } = this.#prepared(page.sql).get(...page.params) as { body: Uint8Array };
        return { body, next: nextPosition(found, q.limit) };
      } finally {
        this.#db.exec('COMMIT');
      }
    });
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
      received_at, payload FROM runs WHERE id = ?`).get(id) as (Omit<Row, 'payload'> & { payload: string }) | undefined);
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
    this.#commitPending(); // pushes already accepted are written, not failed by the close
    this.#closed = true;
    await this.#checkpointer?.close(); // first: the last connection to close checkpoints and removes the WAL
    this.#db.close();
  }

  // Export, import and retention (issue 12): sqlite-maintenance.ts, on this connection.
  async exportRuns(q: ExportQuery): Promise<ExportRow[]> {
    return unavailableOnBusy(() => exportSqliteRuns(this.#db, q));
  }

  async importRuns(runs: readonly ImportRun[]): Promise<ImportOutcome[]> {
    return this.#write(() => this.#transaction(() => importSqliteRuns(this.#db, runs)));
  }

  async pruneRuns(before: string, limit: number): Promise<number> {
    return this.#write(() => this.#transaction(() => pruneSqliteRuns(this.#db, before, limit)));
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

// The schema, as one versioned list of migrations for both stores. Each store applies the missing
// ones at start, each in its own transaction, recording it in schema_migrations. Where the dialects
// differ (types, identity columns) each migration spells out both; shared statements are shared.
// Never edit a released migration: append a new version.

export const DIALECTS = ['sqlite', 'postgres'] as const;
export type Dialect = (typeof DIALECTS)[number];

export type Migration = {
  readonly version: number;
  readonly name: string;
  readonly sql: Readonly<Record<Dialect, string>>;
};

export const SCHEMA_MIGRATIONS_DDL: Readonly<Record<Dialect, string>> = {
  sqlite: `CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL) STRICT`,
  postgres: `CREATE TABLE IF NOT EXISTS schema_migrations (
    version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
};

// Both indexes serve every query: the unique one is the upsert's conflict target (NULL execution_ids
// are distinct in both dialects, so pushes without one always insert); the other walks one scope
// newest first, so a page costs O(limit) index entries however many rows the table holds.
const RUNS_INDEXES = `
CREATE UNIQUE INDEX runs_execution_key ON runs (organization, repository, workflow, job, execution_id);
CREATE INDEX runs_scope_newest ON runs (organization, repository, workflow, job, received_at DESC, id DESC);`;

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'create runs',
    sql: {
      // received_at: RFC 3339 UTC with exactly 3 fractional digits (Date#toISOString), so text order is
      // time order. payload: the summary's JSON text. STRICT: a wrong type is an error, not a conversion.
      sqlite: `
CREATE TABLE runs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  organization TEXT NOT NULL,
  repository TEXT NOT NULL,
  workflow TEXT NOT NULL,
  job TEXT NOT NULL,
  run_id TEXT NOT NULL,
  execution_id TEXT,
  received_at TEXT NOT NULL,
  payload TEXT NOT NULL
) STRICT;${RUNS_INDEXES}`,
      postgres: `
CREATE TABLE runs (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  organization text NOT NULL,
  repository text NOT NULL,
  workflow text NOT NULL,
  job text NOT NULL,
  run_id text NOT NULL,
  execution_id text,
  received_at timestamptz NOT NULL,
  payload jsonb NOT NULL
);${RUNS_INDEXES}`,
    },
  },
  {
    version: 2,
    name: 'runs.stats',
    // The figures sizing and the dashboard read (sizing/run-stats.ts), as JSON text of ~300 bytes a container,
    // so that 10,000 runs of a job load without parsing 10,000 summaries. NULL for rows stored before this
    // version: the reader derives them from the payload once and writes them back (saveStats).
    // SQLite keeps a row's columns in order and `stats` comes after `payload`, which spills into overflow pages
    // (a summary is 5-70 KB): reading stats from the table walks them all (10,000 runs of 40 KB: 410 ms). A
    // covering index reads them without touching the table (88 ms). PostgreSQL moves a large payload out of the
    // row (TOAST), so its rows stay small and need no such index.
    sql: {
      sqlite: `ALTER TABLE runs ADD COLUMN stats TEXT;
CREATE INDEX runs_scope_stats ON runs (organization, repository, workflow, job, received_at DESC, id DESC, run_id, stats);`,
      postgres: 'ALTER TABLE runs ADD COLUMN stats text;',
    },
  },
  {
    version: 3,
    name: 'runs scope statistics',
    // The four scope columns are correlated (a job belongs to one workflow of one repository), so PostgreSQL
    // multiplied their selectivities and planned a job's first page for 11 rows instead of 10,000: it scanned and
    // sorted every run (377 ms at 100,000 runs). Extended statistics tell it; the same query then took 0.9 ms.
    // SQLite's planner follows the index order here and needs nothing.
    sql: {
      sqlite: 'SELECT 1;',
      postgres: `CREATE STATISTICS runs_scope_correlation (dependencies, ndistinct, mcv)
  ON organization, repository, workflow, job FROM runs;
ANALYZE runs;`,
    },
  },
  {
    version: 4,
    name: 'runs.payload as json on PostgreSQL',
    // jsonb keeps a parsed, binary form, so every query page paid jsonb's output function: detoasting and printing
    // 101 values took ~5 ms of a page of 100 runs (docs/benchmarks.md, "Query"). json keeps the text as given
    // (validated on input) and prints it with a copy, so a page hands out the pushed bytes, as SQLite does. Nothing
    // in SQL reads into a payload or compares payloads (json has no equality), so nothing needs jsonb.
    // Changing the type rewrites the table once, TOAST and indexes included, under an ACCESS EXCLUSIVE lock: pushes
    // and queries wait until it commits (~13 s at a million runs; docs/receiver.md, "Schema and migrations"). The stored text is what jsonb
    // printed (its key order and spacing); runs pushed afterwards keep the text they were pushed with. SQLite already
    // keeps the text.
    sql: {
      sqlite: 'SELECT 1;',
      postgres: 'ALTER TABLE runs ALTER COLUMN payload TYPE json USING payload::text::json;',
    },
  },
];

/** The migrations not yet in `applied`, in version order. */
export function pendingMigrations(applied: Iterable<number>, all: readonly Migration[] = MIGRATIONS): Migration[] {
  const done = new Set(applied);
  return [...all].sort((a, b) => a.version - b.version).filter((m) => !done.has(m.version));
}

/** The newest version this receiver knows. */
export const LATEST_VERSION = Math.max(...MIGRATIONS.map((m) => m.version));

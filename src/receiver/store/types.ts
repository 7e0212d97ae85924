// What the HTTP layer needs from storage. SqliteStore and PgStore implement it; one test suite
// (test/integration/receiver-store.test.ts) runs on both.

/** Which job a run belongs to; a push token is valid for exactly one scope. */
export type Scope = {
  readonly organization: string;
  readonly repository: string;
  readonly workflow: string;
  readonly job: string;
};

/** One push, validated. */
export type RunInput = Scope & {
  readonly run_id: string;
  /** Same scope and execution_id = the same run: the later push replaces the row. Absent: always a new row. */
  readonly execution_id?: string | undefined;
  /** The summary as JSON text (already checked: finite numbers, no NUL, well-formed UTF-16). */
  readonly payload: string;
  /** The summary's sizing figures as JSON text (sizing/run-stats.ts); absent = derived when first read. */
  readonly stats?: string | undefined;
};

/** One stored run, in the README's response shape. */
export type StoredRun = Scope & {
  readonly id: number;
  readonly run_id: string;
  /** RFC 3339 UTC with milliseconds, e.g. `2026-02-06T14:30:23.056Z`. */
  readonly received_at: string;
  readonly payload: unknown;
};

/** A stored run with its payload as the stored JSON text, for splicing into a response without parsing it. */
/** `payloadJson`: the payload's JSON text, or its UTF-8 bytes (SQLite hands those over without decoding them). */
export type StoredRunJson = Omit<StoredRun, 'payload'> & { readonly payloadJson: string | Uint8Array };

/** One page of the query route's answer: the JSON array it sends, and where the next page starts if one follows. */
export type RunPage = {
  /** The first `limit` runs, newest first, as JSON: runsJson's bytes (runs-json.ts). */
  readonly body: Uint8Array;
  /** The page's last run, when older runs follow it; undefined on the last page. */
  readonly next: Position | undefined;
};

export type PutResult = {
  readonly id: number;
  /** True when an earlier row with the same scope and execution_id was replaced (keeping its id). */
  readonly replaced: boolean;
  /**
   * True when that row was received later than this push, so it was kept and this push changed nothing (a write
   * delayed in the network must not undo a newer one). `replaced` is then true as well. @default false
   */
  readonly superseded?: boolean;
};

/** Position of the last row of a page: the next page holds rows strictly older in (received_at, id). */
export type Position = { readonly receivedAt: string; readonly id: number };

export type RunQuery = {
  readonly organization: string;
  /** Stored repository names to match: one, or the bare name and `<org>/<name>`. */
  readonly repositories: readonly string[];
  readonly workflow: string;
  readonly job: string;
  /** Rows to return, newest first. */
  readonly limit: number;
  /** Inclusive lower bound on received_at (RFC 3339 UTC with milliseconds). */
  readonly since?: string | undefined;
  /** Exclusive upper bound on received_at (RFC 3339 UTC with milliseconds). */
  readonly until?: string | undefined;
  readonly after?: Position | undefined;
};

/** A job's runs for sizing and the dashboard: newest first, at most `limit`. */
export type HistoryQuery = Omit<RunQuery, 'since' | 'until' | 'after'>;

/** One run in a job's history: its stats, or (when none are stored yet) its payload to derive them from. */
export type HistoryRow = {
  readonly id: number;
  readonly run_id: string;
  readonly received_at: string;
  readonly stats: string | null;
  /** Present only when `stats` is null. */
  readonly payload?: unknown;
};

/** Position in the jobs list: the last job of a page. */
export type JobKey = readonly [organization: string, repository: string, workflow: string, job: string];

export type JobsQuery = {
  /** A prefix of the stored repository, or of its name after the first `/`. */
  readonly prefix?: string | undefined;
  readonly organization?: string | undefined;
  readonly limit: number;
  readonly after?: JobKey | undefined;
};

/** One job that has runs, ordered by (organization, repository, workflow, job) in code-point order. */
export type JobRow = Scope & { readonly runs: number; readonly latest_received_at: string };

export type StoreKind = 'sqlite' | 'postgres';

export interface Store {
  readonly kind: StoreKind;
  /**
   * Inserts, or replaces the row of the same scope and execution_id unless that row was received later than
   * `receivedAt`. Resolves once the write is durable.
   */
  put(run: RunInput, receivedAt: Date): Promise<PutResult>;
  /** Newest first by (received_at, id). */
  query(q: RunQuery): Promise<StoredRun[]>;
  /** The same rows as query, each payload left as JSON text (the query route writes it into the response as is). */
  queryJson(q: RunQuery): Promise<StoredRunJson[]>;
  /** The query route's answer for the first `q.limit` runs, read in one snapshot. */
  queryPage(q: RunQuery): Promise<RunPage>;
  /** A job's newest runs with their stats (sizing, dashboard). */
  history(q: HistoryQuery): Promise<HistoryRow[]>;
  /** Stores stats derived from payloads; a row replaced since (another received_at) is left alone. */
  saveStats(rows: readonly { readonly id: number; readonly received_at: string; readonly stats: string }[]): Promise<void>;
  /** The jobs that have runs, with their run count and latest run, one page. */
  listJobs(q: JobsQuery): Promise<JobRow[]>;
  /** One run by id, or undefined. */
  getRun(id: number): Promise<StoredRun | undefined>;
  /** How many runs are stored (for the receiver_runs_stored gauge; callers cache it). */
  countRuns(): Promise<number>;
  /** Resolves when the store answers a trivial query; rejects otherwise (for /healthz). */
  ping(): Promise<void>;
  /** Idempotent: the signal handler and a failed start may both call it. */
  close(): Promise<void>;
  // Moving and pruning runs (issue 12); the SQL is maintenance-sql.ts's.
  /** One page of runs in id order (the order they were first stored), after id `q.afterId`. */
  exportRuns(q: ExportQuery): Promise<ExportRow[]>;
  /** Stores runs with their own received_at in one transaction; what happened to each (maintenance-sql.ts importAction). */
  importRuns(runs: readonly ImportRun[]): Promise<ImportOutcome[]>;
  /** Deletes at most `limit` of the runs received before `before` (stored-time text); how many it deleted. */
  pruneRuns(before: string, limit: number): Promise<number>;
}

/** One run as `receiver export` writes it (docs/receiver.md, "Moving runs between stores"). */
export type ExportRow = Scope & {
  readonly id: number;
  readonly run_id: string;
  readonly execution_id: string | null;
  /** RFC 3339 UTC with milliseconds, as stored. */
  readonly received_at: string;
  /** The summary as JSON text. */
  readonly payload: string;
};

/** Which runs to export: every field optional (exact stored values), one page of `limit`. */
export type ExportQuery = Partial<Scope> & {
  /** Inclusive lower bound on received_at (stored-time text). */
  readonly since?: string | undefined;
  /** Exclusive upper bound on received_at (stored-time text). */
  readonly until?: string | undefined;
  /** Rows with a greater id only: the last id of the previous page. */
  readonly afterId?: number | undefined;
  readonly limit: number;
};

/** A run to import: validated like a push, with the received_at it had where it was exported. */
export type ImportRun = RunInput & { readonly received_at: string };

/** imported: a new row; replaced: an older row of its execution updated; unchanged: already stored; skipped: a newer row of its execution is kept. */
export type ImportOutcome = 'imported' | 'replaced' | 'unchanged' | 'skipped';

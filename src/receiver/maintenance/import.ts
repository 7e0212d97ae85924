// Loads an NDJSON export (export.ts's lines) into a store (issue 12). Idempotent: a run is keyed by its scope and
// execution_id, or, without one, by its scope, run_id and received_at; loading a file twice stores nothing new.
// Each line is checked as a push would be (the push schema's limits, storable values) before anything is written.
import type { Readable } from 'node:stream';
import { rfc3339ToStoredTime } from '../http/query-options.ts';
import { findUnstorable, pushBodySchema } from '../http/schemas.ts';
import { encodeRunStats, runStats } from '../sizing/run-stats.ts';
import type { ImportOutcome, ImportRun, Store } from '../store/types.ts';
import { ImportLineError } from './import-line-error.ts';

/**
 * Runs per transaction: one fsync per batch instead of one per run, and a short hold of SQLite's write lock, which a
 * receiver serving the same file waits for. 5,000 runs of 45 KB into SQLite: 100 a batch took 15.7 s, each
 * transaction 61 ms (median; 215 at most); 500 a batch took 12.7 s but held the lock 318 ms (373).
 */
export const IMPORT_BATCH = 100;

export type ImportCounts = Record<ImportOutcome, number> & { lines: number };

/**
 * The longest line read (bytes): a push's body limit (BODY_LIMIT_BYTES in http/app.ts, not imported: it would load
 * fastify) plus room for the keys an exported line has that a push has not. A longer line is an error, not memory.
 */
export const MAX_LINE_BYTES = (1 << 20) + 4096;

const TEXT_FIELDS = ['organization', 'repository', 'workflow', 'job', 'run_id'] as const;
const FIELDS = new Set<string>([...TEXT_FIELDS, 'execution_id', 'received_at', 'payload']);
const CONTROL = new RegExp(pushBodySchema.properties.run_id.pattern, 'u');

/** A string field within the push schema's limits; the message names the field and (for short values) the value. */
function text(field: string, value: unknown, limits: { minLength: number; maxLength: number }): string {
  const shown = JSON.stringify(value)?.slice(0, 80) ?? 'undefined';
  if (typeof value !== 'string') throw new Error(`${field}: ${shown} is not a string`);
  if (value.length < limits.minLength || value.length > limits.maxLength) {
    throw new Error(`${field}: ${shown} is not ${limits.minLength}-${limits.maxLength} characters`);
  }
  if (!CONTROL.test(value)) throw new Error(`${field}: ${shown} contains control characters`);
  return value;
}

/** One line → the run to store; throws ImportLineError naming the line and the field. */
export function parseImportLine(line: string, lineNumber: number): ImportRun {
  try {
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch (err) {
      throw new Error(`not JSON (${(err as Error).message})`, { cause: err });
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not a JSON object');
    const o = v as Record<string, unknown>;
    const unknown = Object.keys(o).find((k) => !FIELDS.has(k));
    if (unknown !== undefined) throw new Error(`${JSON.stringify(unknown.slice(0, 64))}: unknown field`);
    const [organization, repository, workflow, job, run_id] = TEXT_FIELDS.map((f) => text(f, o[f], pushBodySchema.properties[f]));
    const execution_id = o.execution_id === null || o.execution_id === undefined ? undefined
      : text('execution_id', o.execution_id, pushBodySchema.properties.execution_id);
    const received_at = typeof o.received_at === 'string' ? rfc3339ToStoredTime(o.received_at) : undefined;
    if (received_at === undefined) throw new Error(`received_at: ${JSON.stringify(o.received_at)?.slice(0, 80)} is not an RFC 3339 time`);
    const payload = o.payload;
    if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) throw new Error('payload: not a JSON object');
    const bad = findUnstorable(payload, 'payload');
    if (bad !== undefined) throw new Error(bad);
    return { organization: organization!, repository: repository!, workflow: workflow!, job: job!, run_id: run_id!, execution_id,
      received_at, payload: JSON.stringify(payload), stats: encodeRunStats(runStats(payload)) };
  } catch (err) {
    throw new ImportLineError(lineNumber, (err as Error).message);
  }
}

/**
 * Reads NDJSON from `input` (blank lines are skipped) and stores it in batches. At a malformed line it stops: the
 * runs of the lines before it are stored (loading the corrected file again is safe) and the ImportLineError carries
 * the counts so far as `counts`.
 */
export async function importLines(store: Store, input: Readable, batchSize = IMPORT_BATCH): Promise<ImportCounts> {
  const counts: ImportCounts = { lines: 0, imported: 0, replaced: 0, unchanged: 0, skipped: 0 };
  let batch: ImportRun[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    for (const outcome of await store.importRuns(batch)) counts[outcome] += 1;
    batch = [];
  };
  // The input is pulled as this loop asks: memory holds one batch and one line, whatever the input's size.
  try {
    for await (const line of splitLines(input)) {
      counts.lines += 1;
      if (line.trim() === '') continue;
      batch.push(parseImportLine(line, counts.lines));
      if (batch.length >= batchSize) await flush();
    }
  } catch (err) {
    if (!(err instanceof ImportLineError)) throw err;
    counts.lines = err.line; // lines read, the bad one included
    await flush();
    throw Object.assign(err, { counts });
  }
  await flush();
  return counts;
}

/**
 * The input's lines, split at `\n` only (a `\r` before it is dropped). Not node:readline: it also splits at U+2028
 * and U+2029, which JSON strings may hold unescaped. Each line is decoded whole, so no character is cut in two.
 * A line longer than `maxBytes` is an ImportLineError.
 */
export async function* splitLines(input: Readable, maxBytes = MAX_LINE_BYTES): AsyncGenerator<string, void, undefined> {
  let rest = Buffer.alloc(0), lineNumber = 1;
  const tooLong = () => new ImportLineError(lineNumber, `longer than ${maxBytes} bytes`);
  const line = (b: Buffer) => b.toString('utf8', 0, b.length > 0 && b[b.length - 1] === 0x0d ? b.length - 1 : b.length);
  for await (const chunk of input) {
    let buf = rest.length === 0 ? (chunk as Buffer) : Buffer.concat([rest, chunk as Buffer]);
    for (let nl = buf.indexOf(0x0a); nl !== -1; nl = buf.indexOf(0x0a)) {
      if (nl > maxBytes) throw tooLong();
      yield line(buf.subarray(0, nl));
      buf = buf.subarray(nl + 1);
      lineNumber += 1;
    }
    if (buf.length > maxBytes) throw tooLong();
    rest = Buffer.from(buf); // a copy: the chunk it points into is not kept alive
  }
  if (rest.length > 0) yield line(rest);
}

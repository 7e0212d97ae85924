// For the tests of moving runs between stores (issue 12): a varied set of runs to seed, every row read straight
// from the database (not through the export under test), and bin/receiver's subcommands as child processes.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { encodeRunStats, runStats } from '../../src/receiver/sizing/run-stats.ts';
import type { StoreConfig } from '../../src/receiver/store/config.ts';
import type { RunInput, Store } from '../../src/receiver/store/types.ts';
import { ROOT } from './programs.ts';
import { dbArgument } from './receiver-process.ts';
import { adminQuery } from './receiver.ts';

/** A real collector summary: series, containers, top processes, large integers. */
export const KNOWN_RUN = JSON.parse(readFileSync(`${ROOT}test/fixtures/summary/known-run.json`, 'utf8')) as Record<string, unknown>;

/** One stored row, every column a move must keep; payload parsed (rows stored before migration 4 hold jsonb's key order), stats as stored or null. */
export type DumpedRow = { organization: string; repository: string; workflow: string; job: string; run_id: string;
  execution_id: string | null; received_at: string; payload: unknown; stats: string | null };

/** Every row of `runs` in id order (an export's, and so an import's), read with SQL of its own. */
export async function dumpRows(store: StoreConfig): Promise<DumpedRow[]> {
  const columns = 'organization, repository, workflow, job, run_id, execution_id, received_at, payload, stats';
  if (store.kind === 'sqlite') {
    const db = new DatabaseSync(store.path, { readOnly: true });
    try {
      return (db.prepare(`SELECT ${columns} FROM runs ORDER BY id`).all() as (DumpedRow & { payload: string })[])
        .map((r) => ({ ...r, payload: JSON.parse(r.payload) as unknown }));
    } finally {
      db.close();
    }
  }
  const rows = await adminQuery<DumpedRow & { received_at: Date }>(`SELECT ${columns} FROM ${store.schema}.runs ORDER BY id`);
  return rows.map((r) => ({ ...r, received_at: r.received_at.toISOString() }));
}

const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));

/**
 * Runs in three scopes (one with a non-ASCII job), with and without execution_id, two received in the same
 * millisecond, one replaced by a later push of its execution, payloads from tiny to a real summary.
 */
export async function seedRuns(store: Store): Promise<number> {
  const a = { organization: 'my-org', repository: 'my-org/my-repo', workflow: 'ci.yml', job: 'build' };
  const b = { ...a, job: 'tést ✓' };
  const c = { organization: 'other', repository: 'other/x', workflow: 'nightly.yml', job: 'e2e' };
  const runs: [RunInput, Date][] = [
    [{ ...a, run_id: 'run-1', execution_id: 'exec-1', payload: JSON.stringify(KNOWN_RUN) }, at(1)],
    [{ ...a, run_id: 'run-2', payload: JSON.stringify({ complete: false, a_long_key_first: 1, z: [1.5, -2e-7, null, true] }) }, at(2)],
    [{ ...b, run_id: 'run-3', execution_id: 'exec-3', payload: JSON.stringify({ n: 12025908429, s: 'ünï "q" \\ \u2028' }) }, at(3)],
    [{ ...b, run_id: 'run-4', payload: JSON.stringify({ tie: 1 }) }, at(3)], // same millisecond as run-3
    [{ ...c, run_id: 'run-5', execution_id: 'exec-5', payload: JSON.stringify({ checkpoint: 1 }) }, at(4)],
    [{ ...c, run_id: 'run-5', execution_id: 'exec-5', payload: JSON.stringify({ checkpoint: 2, complete: true }) }, at(6)], // replaces
    [{ ...a, run_id: 'run-6', payload: JSON.stringify({ same: 'run_id' }) }, at(5)],
    [{ ...a, run_id: 'run-6', payload: JSON.stringify({ same: 'run_id' }) }, at(7)], // a retry without execution_id: 2 rows
  ];
  for (const [run, receivedAt] of runs) {
    await store.put({ ...run, stats: encodeRunStats(runStats(JSON.parse(run.payload))) }, receivedAt); // as ingest does
  }
  return runs.length - 1; // one was a replacement
}

export type Ran = { status: number | null; stdout: string; stderr: string };

/** `bin/receiver <args>` to completion, with `input` on its stdin. */
export function receiverCommand(args: string[], input?: string): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(`${ROOT}bin/receiver`, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('error', reject);
    child.on('exit', (status) => resolve({ status, stdout, stderr }));
    child.stdin.end(input);
  });
}

export { dbArgument };

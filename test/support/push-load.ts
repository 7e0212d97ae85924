// Concurrent pushers for the reliability tests (test/reliability): each sends numbered pushes, every fifth one
// repeating its previous execution_id as a collector's retry does, and records each attempt and its outcome in
// a Ledger. checkLedger() then holds what the receiver acknowledged against what the database holds.
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import type { Scope } from '../../src/receiver/store/types.ts';
import type { StoredRow } from './receiver-process.ts';
import { pushBody } from './receiver.ts';

/** What one push got back: a status, or no answer at all (connection refused, reset, timed out). */
export type Outcome = { readonly status: number; readonly retryAfter: string | null } | { readonly error: string };

export type Attempt = {
  readonly executionId: string;
  /** Unique per attempt, so that the stored row tells which attempt wrote it. */
  readonly runId: string;
  readonly outcome: Outcome;
  readonly latencyMs: number;
};

export const is2xx = (o: Outcome) => 'status' in o && o.status >= 200 && o.status < 300;
export const answered = (o: Outcome) => 'status' in o;

export class Ledger {
  readonly attempts: Attempt[] = [];
  #runs = 0;

  /** A run id no other attempt has. */
  nextRunId(executionId: string): string {
    return `${executionId}-a${this.#runs++}`;
  }

  /** Attempts per execution_id, in the order they were sent. */
  byExecution(): Map<string, Attempt[]> {
    const map = new Map<string, Attempt[]>();
    for (const a of this.attempts) map.set(a.executionId, [...(map.get(a.executionId) ?? []), a]);
    return map;
  }

  count(predicate: (o: Outcome) => boolean): number {
    return this.attempts.filter((a) => predicate(a.outcome)).length;
  }

  /** Latency percentile (0-100) of answered attempts, in ms. */
  percentile(p: number): number {
    const sorted = this.attempts.filter((a) => answered(a.outcome)).map((a) => a.latencyMs).sort((x, y) => x - y);
    return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
  }
}

/** One push with a unique run id, recorded in the ledger. */
export async function pushOnce(url: string, token: string, scope: Scope, ledger: Ledger, executionId: string): Promise<Attempt> {
  const runId = ledger.nextRunId(executionId);
  const started = performance.now();
  let outcome: Outcome;
  try {
    const res = await fetch(`${url}/api/v1/metrics`, {
      method: 'POST', signal: AbortSignal.timeout(15_000),
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(pushBody(scope, { run_id: runId, execution_id: executionId, summary: { attempt: runId, complete: true } })),
    });
    await res.arrayBuffer();
    outcome = { status: res.status, retryAfter: res.headers.get('retry-after') };
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    outcome = { error: cause?.code ?? cause?.message ?? String(err) };
  }
  const attempt = { executionId, runId, outcome, latencyMs: performance.now() - started };
  ledger.attempts.push(attempt);
  return attempt;
}

export type PushersOptions = {
  readonly url: string;
  readonly token: string;
  readonly scope: Scope;
  readonly ledger: Ledger;
  /** Prefix of every execution_id, so that rounds do not collide. */
  readonly prefix: string;
  readonly pushers: number;
  /** Each pusher stops after this many pushes. */
  readonly maxPushes: number;
  /** Each pusher stops when this returns true (checked before each push). */
  readonly stop: () => boolean;
  /** Stop a pusher at its first push without an answer (the receiver is gone). @default false */
  readonly stopOnNoAnswer?: boolean;
  /** Called after each attempt. */
  readonly onAttempt?: (a: Attempt) => void;
};

/** Runs the pushers concurrently; resolves when all have stopped. Bounded by maxPushes. */
export async function runPushers(o: PushersOptions): Promise<void> {
  await Promise.all(Array.from({ length: o.pushers }, async (_, p) => {
    let previous: string | undefined;
    for (let n = 0; n < o.maxPushes && !o.stop(); n++) {
      const executionId = n % 5 === 4 && previous !== undefined ? previous : `${o.prefix}-p${p}-n${n}`;
      const attempt = await pushOnce(o.url, o.token, o.scope, o.ledger, executionId);
      previous = executionId;
      o.onAttempt?.(attempt);
      if (o.stopOnNoAnswer === true && !answered(attempt.outcome)) return;
    }
  }));
}

/**
 * Holds the ledger against the rows: every acknowledged execution is stored exactly once, by its last
 * acknowledged attempt or a later failed one (a 503 or a lost answer may still have been written; never an
 * earlier one); every row belongs to a push that was sent. Returns the counts for the report.
 */
export function checkLedger(ledger: Ledger, rows: readonly StoredRow[]) {
  const stored = new Map<string, StoredRow[]>();
  for (const r of rows) stored.set(r.executionId ?? '', [...(stored.get(r.executionId ?? '') ?? []), r]);
  const duplicates = [...stored].filter(([, rs]) => rs.length > 1).map(([e]) => e);
  assert.deepEqual(duplicates, [], 'execution_ids stored more than once');
  const executions = ledger.byExecution();
  const unknown = [...stored.keys()].filter((e) => !executions.has(e));
  assert.deepEqual(unknown, [], 'rows for pushes never sent');
  let acked = 0, unansweredStored = 0;
  for (const [executionId, attempts] of executions) {
    const row = stored.get(executionId)?.[0];
    const lastAck = attempts.findLastIndex((a) => is2xx(a.outcome));
    if (lastAck >= 0) {
      acked++;
      assert.ok(row !== undefined, `${executionId}: answered ${JSON.stringify(attempts[lastAck]?.outcome)} but not stored`);
      const allowed = attempts.slice(lastAck).map((a) => a.runId); // later ones all failed, but may have been written
      assert.ok(allowed.includes(row.runId), `${executionId}: stored ${row.runId}, want one of ${allowed.join(', ')}`);
    } else if (row !== undefined) {
      unansweredStored++; // written, but the answer was lost: the retry (same execution_id) replaces it
      assert.ok(attempts.some((a) => a.runId === row.runId && !is2xx(a.outcome)));
    }
  }
  return { executions: executions.size, acked, unansweredStored, rows: rows.length };
}

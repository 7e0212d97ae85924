// Reads a job's newest runs for sizing and the dashboard: stored stats where present, else derived from the
// payload (rows stored before migration 2, or by an older receiver) and written back so the next read is fast.
import type { RunPoint } from '../sizing/method.ts';
import { decodeRunStats, encodeRunStats, runStats, type RunStats } from '../sizing/run-stats.ts';
import type { Store } from '../store/types.ts';
import type { ScopeParams } from './schemas.ts';

/** A bare `{repo}` also matches `<org>/<repo>`, as in the query endpoint. */
export const repositoriesFor = (p: ScopeParams): string[] => (p.repo.includes('/') ? [p.repo] : [p.repo, `${p.org}/${p.repo}`]);

/** Where a failed write-back is reported: a request's logger, or a script's. */
export type WarnLog = { warn(fields: object, message: string): void };

/** The job's newest `limit` runs, newest first. */
export async function loadRuns(store: Store, p: ScopeParams, limit: number, log: WarnLog): Promise<RunPoint[]> {
  const rows = await store.history({ organization: p.org, repositories: repositoriesFor(p), workflow: p.workflow, job: p.job, limit });
  const derived: { id: number; received_at: string; stats: string }[] = [];
  const runs: RunPoint[] = [];
  for (const row of rows) {
    let stats: RunStats | undefined = decodeRunStats(row.stats);
    if (stats === undefined) {
      // Stats of another version come without the payload: fetch it (rare: once per row after an upgrade).
      const payload = 'payload' in row ? row.payload : (await store.getRun(row.id))?.payload;
      stats = runStats(payload);
      derived.push({ id: row.id, received_at: row.received_at, stats: encodeRunStats(stats) });
    }
    runs.push({ id: row.id, runId: row.run_id, receivedAt: row.received_at, complete: stats.complete,
      durationSeconds: stats.duration_seconds, containers: stats.containers });
  }
  if (derived.length > 0) {
    // Best effort: a busy store only means the next read derives them again.
    await store.saveStats(derived).catch((err: unknown) => log.warn({ err, rows: derived.length }, 'saving derived stats failed'));
  }
  return runs;
}

// The receiver's own Prometheus metrics, in a registry of its own. Labels come from fixed sets only: the
// route template (never the raw path, which holds organisation and repository names), the method, the status
// code, and constant results and store operations; so the series count is bounded whatever clients send.
import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { registerDefaultMetrics } from './default-metrics.ts';

export const INGEST_RESULTS = ['stored', 'replaced', 'unauthorized', 'invalid', 'error'] as const;
export type IngestResult = (typeof INGEST_RESULTS)[number];
export const STORE_OPERATIONS = ['put', 'query', 'ping', 'count', 'prune'] as const;
export type StoreOperation = (typeof STORE_OPERATIONS)[number];
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']);
/** Requests that matched no route share one label value. */
export const UNMATCHED_ROUTE = 'unmatched';

export type ReceiverMetrics = ReturnType<typeof createReceiverMetrics>;

/**
 * `countRuns` feeds receiver_runs_stored at scrape time; it is cached for `countCacheMs`, since a count over
 * millions of rows is not free and Prometheus may scrape every few seconds.
 */
export function createReceiverMetrics(version: string, countRuns: () => Promise<number>, countCacheMs = 30_000) {
  const registry = new Registry();
  const registers = [registry];
  registerDefaultMetrics(registry);
  new Gauge({ name: 'receiver_info', help: 'Receiver version; always 1.', labelNames: ['version'] as const, registers }).set({ version }, 1);
  const requests = new Counter({ name: 'receiver_http_requests_total', help: 'HTTP requests by route template, method and status code.',
    labelNames: ['route', 'method', 'code'] as const, registers });
  // Ingest is one durable write: ~1 ms on SQLite, a few ms on PostgreSQL; queries of 100 runs ~5 ms.
  const duration = new Histogram({ name: 'receiver_http_request_duration_seconds', help: 'HTTP request duration by route template.',
    labelNames: ['route'] as const, buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10], registers });
  const ingest = new Counter({ name: 'receiver_ingest_total', help: 'Pushes by result: stored, replaced, unauthorized, invalid, error.',
    labelNames: ['result'] as const, registers });
  for (const result of INGEST_RESULTS) ingest.inc({ result }, 0);
  const tokens = new Counter({ name: 'receiver_tokens_issued_total', help: 'Push tokens minted.', registers });
  const store = new Histogram({ name: 'receiver_store_duration_seconds', help: 'Store operation duration by operation.',
    labelNames: ['operation'] as const, buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5], registers });
  const pruned = new Counter({ name: 'receiver_runs_pruned_total', help: 'Runs deleted by retention (--retention).', registers });
  const lastPass = new Gauge({ name: 'receiver_retention_last_pass_timestamp_seconds',
    help: 'When the last retention pass finished, in Unix seconds; 0 = none yet (or no --retention).', registers });
  let cached: { at: number; n: number } | undefined;
  new Gauge({ name: 'receiver_runs_stored', help: `Runs in the store (counted at most every ${countCacheMs / 1000} s).`, registers,
    async collect() {
      if (cached === undefined || performance.now() - cached.at > countCacheMs) {
        try {
          cached = { at: performance.now(), n: await countRuns() };
        } catch { /* the store is down: keep the last count; /healthz says the rest */ }
      }
      if (cached !== undefined) this.set(cached.n);
    } });

  return {
    registry,
    /** Adds the hooks that count and time every request by its route template. */
    instrument(app: FastifyInstance, routes: { readonly token: string; readonly ingest: string }): void {
      app.addHook('onResponse', async (req, reply) => {
        const route = req.routeOptions.url ?? UNMATCHED_ROUTE;
        const method = METHODS.has(req.method) ? req.method : 'other';
        const code = reply.statusCode;
        requests.inc({ route, method, code: String(code) });
        duration.observe({ route }, reply.elapsedTime / 1000);
        if (route === routes.ingest && method === 'POST') ingest.inc({ result: ingestResult(code) });
        if (route === routes.token && code === 200) tokens.inc();
      });
    },
    /** Hooks for the retention pass (maintenance/retention.ts); arrows, handed on on their own. */
    pruned: (deleted: number): void => pruned.inc(deleted),
    retentionPass: (at: Date): void => lastPass.set(at.getTime() / 1000),
    /** An arrow, not a method: it is handed on to timedStore on its own. */
    timeStore: <T>(operation: StoreOperation, run: () => Promise<T>): Promise<T> => {
      const end = store.startTimer({ operation });
      return run().finally(() => end());
    },
  };
}

function ingestResult(code: number): IngestResult {
  if (code === 201) return 'stored';
  if (code === 200) return 'replaced';
  if (code === 401) return 'unauthorized';
  return code >= 500 ? 'error' : 'invalid';
}

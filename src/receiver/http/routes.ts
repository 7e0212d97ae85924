// The API routes: mint a push token, ingest a summary, query a job's runs, health. Each handler
// validates, authenticates, calls the store and shapes the response; status mapping is error-handler.ts.
import type { FastifyInstance, FastifyReply } from 'fastify';
import { HttpError } from '../errors.ts';
import { encodeRunStats, runStats } from '../sizing/run-stats.ts';
import type { Scope, Store } from '../store/types.ts';
import { pushToken, verifyPushToken } from '../token.ts';
import { registerApiRoutes } from './api-routes.ts';
import { registerExportRoutes } from './export-routes.ts';
import { pushTokenPresent, readTokenGuard, requireBearer } from './auth.ts';
import { logCompletion } from './log-controller.ts';
import { encodeCursor, parseQueryOptions } from './query-options.ts';
import {
  findUnstorable, pushBodySchema, queryStringSchema, scopeParamsSchema, tokenBodySchema,
  type PushEnvelope, type QueryString, type ScopeParams,
} from './schemas.ts';

export type RouteDeps = {
  readonly store: Store;
  /** Secret: compared in constant time, never logged. */
  readonly readToken: string;
  /** Secret: never logged. */
  readonly hmacKey: string;
  /** The clock for received_at; tests pass a fake one. */
  readonly now: () => Date;
};

/** Route templates, also the label values for request metrics (issue 5). */
export const ROUTES = {
  token: '/api/v1/token',
  ingest: '/api/v1/metrics',
  query: '/api/v1/metrics/repo/:org/:repo/:workflow/:job',
  health: '/healthz',
  metrics: '/metrics',
} as const;

export function registerRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const readOnly = readTokenGuard(deps.readToken);

  app.post<{ Body: Scope }>(ROUTES.token,
    { schema: { body: tokenBodySchema }, onRequest: readOnly },
    async (req) => {
      const { organization, repository, workflow, job } = req.body;
      const bad = findUnstorable(req.body, 'body');
      if (bad !== undefined) throw new HttpError(400, bad);
      req.log.info({ organization, repository, workflow, job }, 'push token issued');
      return { token: pushToken(deps.hmacKey, { organization, repository, workflow, job }) };
    });

  app.post<{ Body: PushEnvelope }>(ROUTES.ingest,
    { schema: { body: pushBodySchema }, onRequest: pushTokenPresent },
    async (req, reply) => {
      const b = req.body;
      const scope = { organization: b.organization, repository: b.repository, workflow: b.workflow, job: b.job };
      // The token must be the HMAC of this body's own scope: a token for repo A cannot push repo B.
      if (!verifyPushToken(deps.hmacKey, scope, requireBearer(req))) throw new HttpError(401, 'invalid token');
      const bad = findUnstorable(b, 'body');
      if (bad !== undefined) throw new HttpError(400, bad);
      const { id, replaced, superseded = false } = await deps.store.put(
        { ...scope, run_id: b.run_id, execution_id: b.execution_id, payload: JSON.stringify(b.summary),
          stats: encodeRunStats(runStats(b.summary)) }, deps.now());
      // superseded: a push of this execution received later is stored and was kept; this one changed nothing.
      logCompletion(req, { ...scope, runId: b.run_id, executionId: b.execution_id, id, replaced, superseded }, 'run stored');
      return reply.code(replaced ? 200 : 201).send({ id, replaced });
    });

  app.get<{ Params: ScopeParams; Querystring: QueryString }>(ROUTES.query,
    { schema: { params: scopeParamsSchema, querystring: queryStringSchema }, onRequest: readOnly },
    async (req, reply) => {
      const { limit, since, until, after } = parseQueryOptions(req.query);
      const { org, repo, workflow, job } = req.params;
      // `{repo}` is the stored name with `/` as %2F (fastify decodes it inside the segment); a bare
      // name also matches `<org>/<name>`, as collectors store GITHUB_REPOSITORY.
      const repositories = repo.includes('/') ? [repo] : [repo, `${org}/${repo}`];
      const { body, next } = await deps.store.queryPage({ organization: org, repositories, workflow, job, limit, since, until, after });
      if (next !== undefined) {
        const cursor = encodeCursor(next);
        const url = new URL(req.url, 'http://receiver.invalid'); // only path and query are used
        url.searchParams.set('cursor', cursor);
        void reply.header('x-next-cursor', cursor).header('link', `<${url.pathname}${url.search}>; rel="next"`);
      }
      return sendFreeing(reply.type('application/json; charset=utf-8'), body);
    });

  app.get(ROUTES.health, async (req, reply) => {
    try {
      await deps.store.ping();
      return reply.type('text/plain; charset=utf-8').send('ok');
    } catch (err) {
      req.log.warn({ err }, 'health check failed');
      return reply.code(503).type('text/plain; charset=utf-8').send('store unavailable');
    }
  });

  registerApiRoutes(app, deps); // sizing, history, jobs, runs and the dashboard (issue 9)
  registerExportRoutes(app, deps); // GET /api/v1/export (issue 12)
}

/**
 * Sends `bytes`, a page the store built for this response alone, and frees its memory once the response has been
 * handed to the kernel ('finish'), instead of leaving it to V8. A page is one ~600 KB ArrayBuffer with almost no
 * heap allocation beside it: no scavenge ever frees it, and every ~64 MB of them V8 runs a full mark-compact,
 * 3-17 ms of pause that landed in the query's p99 (docs/benchmarks.md). Only after 'finish': before it, libuv may
 * still be writing from that memory. Never a view into a shared buffer (Buffer's pool): only one that owns its whole
 * ArrayBuffer is freed. An aborted response ('close' without 'finish') leaves it to the GC.
 */
function sendFreeing(reply: FastifyReply, bytes: Uint8Array): FastifyReply {
  const owned = bytes.buffer;
  if (owned instanceof ArrayBuffer && bytes.byteOffset === 0 && bytes.byteLength === owned.byteLength) {
    reply.raw.once('finish', () => owned.transfer(0)); // detaches it: the memory is released now
  }
  return reply.send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)); // a view, not a copy
}

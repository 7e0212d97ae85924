// The read API added for sizing and the dashboard (issue 9): sizing, a job's history, the jobs list, one run.
// Every route takes the read token. Registered from routes.ts after the original routes, with the dashboard's
// files (dashboard/serve.ts); the OpenAPI document is openapi.ts's.
import type { FastifyInstance } from 'fastify';
import { jobHistory } from '../dashboard/history-points.ts';
import { registerDashboard } from '../dashboard/serve.ts';
import { HttpError } from '../errors.ts';
import { backtest } from '../sizing/backtest.ts';
import { halfLifeText, sizeJob } from '../sizing/recommend.ts';
import type { JobKey } from '../store/types.ts';
import { readTokenGuard } from './auth.ts';
import { loadRuns } from './job-history.ts';
import type { RouteDeps } from './routes.ts';
import { scopeParamsSchema, type ScopeParams } from './schemas.ts';
import { intParam, MAX_HISTORY, parseSizingQuery, sizingQuerySchema, type SizingQuery } from './sizing-params.ts';

/** Route templates (also metric labels), beside routes.ts's ROUTES. */
export const API_ROUTES = {
  sizing: '/api/v1/sizing/repo/:org/:repo/:workflow/:job',
  history: '/api/v1/history/repo/:org/:repo/:workflow/:job',
  jobs: '/api/v1/jobs',
  run: '/api/v1/runs/:id',
} as const;

const text = (maxLength: number, description: string) => ({ type: 'string', maxLength, description });

const jobsQuerySchema = {
  type: 'object', additionalProperties: false,
  properties: {
    prefix: text(512, 'Only jobs whose repository, or its name after the first "/", starts with this.'),
    organization: text(256, 'Only this organisation\'s jobs.'),
    limit: text(8, 'Jobs per page, 1-1000 (default 100).'),
    cursor: text(4096, 'The next page, from the previous answer\'s X-Next-Cursor.'),
  },
} as const;
type JobsQueryString = { prefix?: string; organization?: string; limit?: string; cursor?: string };

const historyQuerySchema = {
  type: 'object', additionalProperties: false,
  properties: {
    limit: text(8, `The newest runs to chart, 1-${MAX_HISTORY} (default ${MAX_HISTORY}).`),
    points: text(8, 'Points per chart at most, 10-1000 (default 300): runs are grouped when there are more.'),
    recent: text(8, 'Newest runs listed in the table, 0-100 (default 20).'),
  },
} as const;
type HistoryQueryString = { limit?: string; points?: string; recent?: string };

const runParamsSchema = {
  type: 'object', required: ['id'], properties: { id: { type: 'string', pattern: '^[0-9]{1,15}$', description: 'The run\'s id.' } },
} as const;

const encodeJobCursor = (k: JobKey) => Buffer.from(JSON.stringify(k)).toString('base64url');
function decodeJobCursor(cursor: string): JobKey {
  try {
    const v: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(v) && v.length === 4 && v.every((s) => typeof s === 'string')) return v as unknown as JobKey;
  } catch { /* below */ }
  throw new HttpError(400, 'querystring.cursor: not a cursor from this API');
}

export function registerApiRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const readOnly = readTokenGuard(deps.readToken);

  app.get<{ Params: ScopeParams; Querystring: SizingQuery }>(API_ROUTES.sizing,
    { schema: { params: scopeParamsSchema, querystring: sizingQuerySchema }, onRequest: readOnly },
    async (req) => {
      const { options, backtest: replay, history } = parseSizingQuery(req.query);
      const runs = await loadRuns(deps.store, req.params, replay ? Math.max(history, options.runs) : options.runs, req.log);
      const { meta, containers } = sizeJob(runs, options);
      const { org, repo, workflow, job } = req.params;
      return {
        organization: org, repository: repo, workflow, job,
        meta: { ...meta, parameters: { runs: options.runs, buffer: Number((options.cpuBuffer * 100).toFixed(4)),
          cpu_percentile: options.cpuPercentile, half_life: halfLifeText(options) } },
        containers,
        ...(replay ? { backtest: backtest([...runs].reverse(), options) } : {}),
      };
    });

  app.get<{ Params: ScopeParams; Querystring: HistoryQueryString }>(API_ROUTES.history,
    { schema: { params: scopeParamsSchema, querystring: historyQuerySchema }, onRequest: readOnly },
    async (req) => {
      const limit = intParam('limit', req.query.limit, 1, MAX_HISTORY, MAX_HISTORY);
      const points = intParam('points', req.query.points, 10, 1000, 300);
      const recent = intParam('recent', req.query.recent, 0, 100, 20);
      const { org, repo, workflow, job } = req.params;
      const runs = await loadRuns(deps.store, req.params, limit, req.log);
      return { organization: org, repository: repo, workflow, job, ...jobHistory(runs, points, recent) };
    });

  app.get<{ Querystring: JobsQueryString }>(API_ROUTES.jobs,
    { schema: { querystring: jobsQuerySchema }, onRequest: readOnly },
    async (req, reply) => {
      const limit = intParam('limit', req.query.limit, 1, 1000, 100);
      const after = req.query.cursor === undefined ? undefined : decodeJobCursor(req.query.cursor);
      const rows = await deps.store.listJobs({ prefix: req.query.prefix, organization: req.query.organization, limit: limit + 1, after });
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      if (rows.length > limit && last !== undefined) {
        const cursor = encodeJobCursor([last.organization, last.repository, last.workflow, last.job]);
        const next = new URL(req.url, 'http://receiver.invalid');
        next.searchParams.set('cursor', cursor);
        void reply.header('x-next-cursor', cursor).header('link', `<${next.pathname}${next.search}>; rel="next"`);
      }
      return page.map((r) => ({ organization: r.organization, repository: r.repository, workflow: r.workflow, job: r.job,
        runs: r.runs, latest_received_at: r.latest_received_at }));
    });

  app.get<{ Params: { id: string } }>(API_ROUTES.run,
    { schema: { params: runParamsSchema }, onRequest: readOnly },
    async (req) => {
      const run = await deps.store.getRun(Number(req.params.id));
      if (run === undefined) throw new HttpError(404, 'run not found');
      return run;
    });

  registerDashboard(app);
}

// What the route schemas cannot say, for the OpenAPI document: per route template a summary, the token it takes,
// and its answers. Documentation only: fastify validates requests with the route schemas and never sees these.
import { API_ROUTES } from './api-routes.ts';
import { EXPORT_ROUTE, NDJSON } from './export-routes.ts';

const str = { type: 'string' } as const;
const num = { type: 'number' } as const;
const int = { type: 'integer' } as const;
const nullable = (s: object) => ({ ...s, nullable: true });
const obj = (properties: Record<string, object>, description?: string) =>
  ({ type: 'object', properties, required: Object.keys(properties), ...(description === undefined ? {} : { description }) });
const error = { description: 'Failure', content: { 'application/json': { schema: obj({ error: str }) } } };
const json = (schema: object, description = 'OK') => ({ description, content: { 'application/json': { schema } } });
const errors = { 400: error, 401: error, 503: error };

const scope = { organization: str, repository: str, workflow: str, job: str };
const run = obj({ id: int, ...scope, run_id: str, received_at: { type: 'string', format: 'date-time' },
  payload: { type: 'object', description: 'The summary as pushed.', additionalProperties: true } });
const withBounds = (f: Record<string, object>) => obj({ ...f, lower: obj(f), upper: obj(f) });
const cpu = withBounds({ quantity: str, cores: num });
const memory = withBounds({ quantity: str, bytes: num });
const methodScore = obj({ memory_runs: int, oom_kills: int, memory_waste_gib_hours: num, cpu_runs: int, cpu_throttled: int,
  cpu_waste_core_hours: num });

const sizing = obj({
  ...scope,
  meta: obj({
    confidence_phase: { type: 'string', enum: ['unknown', 'learning', 'confident'] }, method: str, runs_requested: int,
    runs_used: int, latest_run_id: nullable(str), latest_received_at: nullable(str),
    parameters: obj({ runs: int, buffer: num, cpu_percentile: str, half_life: str }),
  }),
  containers: { type: 'array', items: obj({
    name: str,
    cpu: nullable(obj({ request: cpu, limit: cpu })),
    memory: nullable(obj({ request: memory, limit: memory })),
    inputs: obj({ runs: int, cpu_runs: int, memory_runs: int, effective_runs: num, cpu_percentile: str, half_life: str,
      cpu_cores: nullable(obj({ p50: num, p95: num, max: num })), memory_bytes: nullable(obj({ p50: num, p98: num, max: num })) }),
    current: nullable(obj({ run_id: str, cpu_limit: nullable(str), cpu_limit_cores: nullable(num), memory_limit: nullable(str),
      memory_limit_bytes: nullable(num) })),
    difference: obj({ cpu_limit_cores: nullable(num), memory_limit_bytes: nullable(num) },
      'Recommended limit minus current limit: negative can be freed, positive is missing.'),
    reason: str,
    resources_yaml: str,
  }) },
  backtest: { ...obj({ runs_replayed: int, window: int, methods: obj({ ours: methodScore, ci_sizer: methodScore, actual: methodScore }) }),
    description: 'Only with ?backtest=true.' },
});
sizing.required = sizing.required.filter((k) => k !== 'backtest');

const series = (items: object) => ({ type: 'array', items });
const history = obj({
  ...scope, runs: int, runs_per_point: int,
  containers: series(obj({ name: str, time_ms: series(num), run_ids: series(int), memory_peak_bytes: series(nullable(num)),
    memory_limit_bytes: series(nullable(num)), cpu_avg_cores: series(nullable(num)), cpu_p95_cores: series(nullable(num)),
    cpu_limit_cores: series(nullable(num)), oom_kills: series(int) })),
  recent: series(obj({ id: int, run_id: str, received_at: str, complete: { type: 'boolean' }, duration_seconds: nullable(num),
    containers: series(obj({ name: str, cpu_avg_cores: nullable(num), cpu_p95_cores: nullable(num), memory_peak_bytes: nullable(num),
      cpu_limit_cores: nullable(num), memory_limit_bytes: nullable(num), oom_kills: int })) })),
});
const pageHeaders = { // @fastify/swagger's form: a schema with a description per header
  'X-Next-Cursor': { type: 'string', description: 'The next page\'s cursor; absent on the last page.' },
  Link: { type: 'string', description: 'The next page as `<path?query>; rel="next"`; absent on the last page.' },
};
const text = (description: string) => ({ description, content: { 'text/plain': { schema: str } } });

export type RouteDoc = { operationId: string; summary: string; tags: string[]; token: 'read' | 'push' | 'none'; responses: Record<string, object> };

/** Per route template (fastify's `:param` form). Routes not listed here are left out of the document. */
export const ROUTE_DOCS: Readonly<Record<string, RouteDoc>> = {
  '/api/v1/token': { operationId: 'mintPushToken', summary: 'Mint a push token for one scope', tags: ['ingest'], token: 'read',
    responses: { 200: json(obj({ token: str })), ...errors } },
  '/api/v1/metrics': { operationId: 'pushRun', summary: 'Push a run summary (a repeated execution_id replaces its row)', tags: ['ingest'], token: 'push',
    responses: { 200: json(obj({ id: int, replaced: { type: 'boolean' } }), 'Replaced'),
      201: json(obj({ id: int, replaced: { type: 'boolean' } }), 'Stored'), 413: error, 415: error, ...errors } },
  '/api/v1/metrics/repo/:org/:repo/:workflow/:job': { operationId: 'listRuns', summary: 'A job\'s runs, newest first, paged', tags: ['query'], token: 'read',
    responses: { 200: { ...json(series(run)), headers: pageHeaders }, ...errors } },
  [API_ROUTES.sizing]: { operationId: 'getSizing', summary: 'Recommended requests and limits per container (CI Sizer compatible)', tags: ['sizing'],
    token: 'read', responses: { 200: json(sizing), ...errors } },
  [API_ROUTES.history]: { operationId: 'getHistory', summary: 'A job\'s run history for charts, at most `points` points per series', tags: ['query'],
    token: 'read', responses: { 200: json(history), ...errors } },
  [API_ROUTES.jobs]: { operationId: 'listJobs', summary: 'The jobs that have runs, with run count and latest run, paged', tags: ['query'], token: 'read',
    responses: { 200: { ...json(series(obj({ ...scope, runs: int, latest_received_at: str }))), headers: pageHeaders }, ...errors } },
  [API_ROUTES.run]: { operationId: 'getRun', summary: 'One stored run', tags: ['query'], token: 'read', responses: { 200: json(run), 404: error, ...errors } },
  [EXPORT_ROUTE]: { operationId: 'exportRuns', summary: 'Every run matching the filters as NDJSON, in the order first stored, streamed (as receiver export)',
    tags: ['operations'], token: 'read', responses: { 200: { description: 'One run a line', content: { [NDJSON]: { schema: obj({ ...scope,
      run_id: str, execution_id: nullable(str), received_at: { type: 'string', format: 'date-time' },
      payload: { type: 'object', description: 'The summary as pushed.', additionalProperties: true } }) } } }, ...errors } },
  '/healthz': { operationId: 'health', summary: 'Whether the store answers', tags: ['operations'], token: 'none',
    responses: { 200: text('ok'), 503: text('store unavailable') } },
  '/metrics': { operationId: 'metrics', summary: 'Prometheus metrics (with --metrics-token, that token as Bearer)', tags: ['operations'], token: 'none',
    responses: { 200: text('Prometheus text format') } },
};

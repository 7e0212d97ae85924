// GET /api/v1/export (issue 12): `receiver export` over HTTP, with the read token: the same filters as query
// parameters, the same NDJSON lines, streamed (a page of runs at a time, read as the client takes them).
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { exportLines, type ExportFilter } from '../maintenance/export.ts';
import { readTokenGuard } from './auth.ts';
import { parseQueryOptions } from './query-options.ts';
import type { RouteDeps } from './routes.ts';

export const EXPORT_ROUTE = '/api/v1/export';
export const NDJSON = 'application/x-ndjson';

/** The query parameters: name, longest value, description. */
const PARAMETERS = [
  ['organization', 256, 'Only this organisation\'s runs (the exact stored value, as for the next three).'],
  ['repository', 512, 'Only this repository\'s runs, e.g. my-org/my-repo.'],
  ['workflow', 256, 'Only this workflow\'s runs.'],
  ['job', 256, 'Only this job\'s runs.'],
  ['since', 64, 'Only runs received at or after this RFC 3339 time.'],
  ['until', 64, 'Only runs received before this RFC 3339 time.'],
] as const;
const exportQuerySchema = { type: 'object', additionalProperties: false, // ?organisation= is a 400, not every run
  properties: Object.fromEntries(PARAMETERS.map(([name, maxLength, description]) => [name, { type: 'string', maxLength, description }])) };
type ExportQueryString = Partial<Record<(typeof PARAMETERS)[number][0], string>>;

/** since/until checked as the query endpoint checks them (same 400s). */
function filterOf(q: ExportQueryString): ExportFilter {
  const { since, until } = parseQueryOptions({ since: q.since, until: q.until });
  return { organization: q.organization, repository: q.repository, workflow: q.workflow, job: q.job, since, until };
}

export function registerExportRoutes(app: FastifyInstance, deps: RouteDeps): void {
  app.get<{ Querystring: ExportQueryString }>(EXPORT_ROUTE,
    { schema: { querystring: exportQuerySchema }, onRequest: readTokenGuard(deps.readToken) },
    async (req, reply) => {
      const lines = exportLines(deps.store, filterOf(req.query));
      // The first page before the status: a store that is down is a 503, not a 200 cut short.
      const first = await lines.next();
      const body = Readable.from((async function* () {
        if (first.done === true) return;
        yield first.value;
        yield* lines;
      })());
      // A failure after the status can only cut the stream: the client sees a truncated last line, never a short
      // but well-formed export. Logged here; fastify destroys the socket.
      body.on('error', (err) => req.log.error({ err }, 'export failed mid-stream'));
      return reply.type(NDJSON).send(body);
    });
}

// One log line per request, written when it completes: method, route template, status, duration.
// Health probes log at debug so that a load balancer's polling does not flood the log. Never the
// headers (they carry tokens) and never the body.
import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';

/** What a handler adds to its request's completion line, and that line's message (logCompletion). */
const completions = new WeakMap<FastifyRequest, { readonly fields: object; readonly msg: string }>();

/**
 * Makes the request's one completion line carry `fields` under `msg` (on success), instead of the handler logging a
 * line of its own: pino's synchronous write is a syscall, and at hundreds of pushes a second one line each counts.
 */
export function logCompletion(req: FastifyRequest, fields: object, msg: string): void {
  completions.set(req, { fields, msg });
}

export class ReceiverLogController extends LogController {
  readonly #quietRoutes: ReadonlySet<string>;

  constructor(quietRoutes: readonly string[]) {
    super();
    this.#quietRoutes = new Set(quietRoutes);
  }

  override incomingRequest(): void {} // the completion line says it all

  override routeNotFound(): void {} // logged on completion with route "unmatched"

  override requestCompleted(error: Error | null | undefined, req: FastifyRequest, reply: FastifyReply): void {
    const route = req.routeOptions.url ?? 'unmatched';
    const fields = { method: req.method, route, statusCode: reply.statusCode, durationMs: Math.round(reply.elapsedTime) };
    if (error) reply.log.error({ ...fields, err: error }, 'request errored');
    else if (this.#quietRoutes.has(route)) reply.log.debug(fields, 'request completed');
    else {
      const extra = completions.get(req);
      reply.log.info(extra === undefined ? fields : { ...fields, ...extra.fields }, extra?.msg ?? 'request completed');
    }
  }
}

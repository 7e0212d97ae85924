// One log line per request, written when it completes: method, route template, status, duration.
// Health probes log at debug so that a load balancer's polling does not flood the log. Never the
// headers (they carry tokens) and never the body.
import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';

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
    else reply.log.info(fields, 'request completed');
  }
}

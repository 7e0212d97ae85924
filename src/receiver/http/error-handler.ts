// Every failure becomes `{"error": "..."}` with its status. Messages reach a client only from
// HttpError and fastify's FST_ERR_* (both written to be safe); anything else is "internal error".
import type { FastifyError, FastifyInstance } from 'fastify';
import { HttpError, StoreUnavailableError } from '../errors.ts';

/** Seconds a client should wait before retrying after a 503. */
const RETRY_AFTER_SECONDS = 1;

export function installErrorHandler(app: FastifyInstance): void {
  app.setNotFoundHandler((_req, reply) => reply.code(404).send({ error: 'not found' }));
  app.setErrorHandler((err: FastifyError | HttpError | StoreUnavailableError, req, reply) => {
    if (err instanceof StoreUnavailableError) {
      req.log.warn({ err }, 'store unavailable');
      return reply.code(503).header('retry-after', String(RETRY_AFTER_SECONDS)).send({ error: 'store unavailable' });
    }
    const status = typeof err.statusCode === 'number' ? err.statusCode : 500;
    if (status >= 400 && status < 500) {
      const trusted = err instanceof HttpError || ('code' in err && typeof err.code === 'string' && err.code.startsWith('FST_'));
      const message = trusted ? err.message : 'bad request'; // e.g. a stream error: its text is Node's, not ours
      req.log.info({ statusCode: status, error: message }, 'request rejected');
      if (status === 401) void reply.header('www-authenticate', 'Bearer');
      return reply.code(status).send({ error: message });
    }
    req.log.error({ err }, 'request failed');
    return reply.code(500).send({ error: 'internal error' }); // never a stack, never err.message
  });
}

// Builds the receiver's fastify instance: hardened server settings, strict JSON-only parsing,
// the error handler, one log line per request, and the routes. Listening is server.ts's job.
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { installErrorHandler } from './error-handler.ts';
import { registerOpenApi } from './openapi.ts';
import { ReceiverLogController } from './log-controller.ts';
import { registerRoutes, ROUTES, type RouteDeps } from './routes.ts';
import { formatSchemaError } from './schemas.ts';
import { installStrictInput } from './strict-input.ts';

/** Largest request body (bytes); above it, 413. A summary is ~5-50 KiB. */
export const BODY_LIMIT_BYTES = 1 << 20;

export type AppOptions = RouteDeps & {
  readonly logger: Logger;
  /**
   * Called before the routes are added, so hooks it adds (request metrics, issue 5) see every route.
   * @default none
   */
  readonly instrument?: ((app: FastifyInstance) => void) | undefined;
};

export function buildApp(options: AppOptions): FastifyInstance {
  const logger: FastifyBaseLogger = options.logger; // fastify's own logger type, so that the app is a plain FastifyInstance
  const app = Fastify({
    loggerInstance: logger,
    logController: new ReceiverLogController([ROUTES.health]), // one line per request, not two
    bodyLimit: BODY_LIMIT_BYTES,
    // Against slow clients: headers within 5 s, the whole request within 10 s; idle keep-alive 60 s.
    // Node checks these only every connectionsCheckingInterval (30 s by default), hence 1 s.
    http: { headersTimeout: 5_000, connectionsCheckingInterval: 1_000 },
    requestTimeout: 10_000,
    connectionTimeout: 10_000,
    keepAliveTimeout: 60_000,
    forceCloseConnections: 'idle', // close() drops idle keep-alive sockets at once, waits for in-flight requests
    return503OnClosing: true, // a request on a kept-alive connection during shutdown: 503 {"error": ...}
    routerOptions: { maxParamLength: 2048 }, // a %-encoded 512-character repository fits one segment
    schemaErrorFormatter: formatSchemaError,
    // Ajv would otherwise turn run_id 5 into "5" and silently drop fields the schema does not list.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
  });
  app.removeContentTypeParser(['text/plain']); // only application/json is parsed; anything else is 415
  installStrictInput(app); // one copy of each header that matters; UTF-8 JSON only

  installErrorHandler(app);
  // close() drops idle keep-alive sockets at its start; a response finishing later would leave its
  // socket idle until the grace period cut it. Ending those connections lets shutdown finish at once.
  let closing = false;
  app.addHook('preClose', async () => { closing = true; });
  app.addHook('onSend', async (_req, reply) => { if (closing) void reply.header('connection', 'close'); });
  registerOpenApi(app); // before every route, so that it sees them all
  options.instrument?.(app);
  registerRoutes(app, options);
  return app;
}

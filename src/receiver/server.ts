// startReceiver: opens the store, builds the app, listens. The Receiver owns both and closes them
// in reverse order. Used by main.ts and, in-process, by tests.
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { createLogger } from '../observability/log.ts';
import type { ReceiverConfig } from './config.ts';
import { buildApp, type AppOptions } from './http/app.ts';
import { describeStore } from './store/config.ts';
import { openStore } from './store/open.ts';
import { timedStore } from './store/timed.ts';
import { createReceiverMetrics, type ReceiverMetrics } from '../observability/receiver-metrics.ts';
import { VERSION } from '../version.ts';
import { ROUTES } from './http/routes.ts';
import { readTokenGuard } from './http/auth.ts';
import type { Store } from './store/types.ts';
import { Pruner } from './maintenance/retention.ts';

/** In-flight requests get this long (ms) after close() before their connections are cut. */
export const SHUTDOWN_GRACE_MS = 5_000;

export type StartOptions = {
  /** @default a pino logger on stderr from config.logLevel and config.logFormat */
  readonly logger?: Logger | undefined;
  /** Clock for received_at. @default () => new Date() */
  readonly now?: (() => Date) | undefined;
  readonly instrument?: AppOptions['instrument'];
  /** How long close() lets in-flight requests run before cutting their connections (ms). @default SHUTDOWN_GRACE_MS */
  readonly shutdownGraceMs?: number | undefined;
};

export class Receiver {
  /** `http://host:port` to reach the server; for a wildcard bind, the loopback address. */
  readonly url: string;
  readonly address: AddressInfo;
  readonly #app: FastifyInstance;
  readonly #store: Store;
  readonly #graceMs: number;
  #closing: Promise<void> | undefined;

  constructor(app: FastifyInstance, store: Store, address: AddressInfo, graceMs = SHUTDOWN_GRACE_MS) {
    this.#app = app;
    this.#store = store;
    this.#graceMs = graceMs;
    this.address = address;
    const wildcard = address.address === '::' || address.address === '0.0.0.0';
    const host = wildcard ? '127.0.0.1' : address.family === 'IPv6' ? `[${address.address}]` : address.address;
    this.url = `http://${host}:${address.port}`;
  }

  /** Stops accepting, lets in-flight requests finish (at most the grace period), closes the store. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      const cut = setTimeout(() => this.#app.server.closeAllConnections(), this.#graceMs);
      try {
        await this.#app.close();
      } finally {
        clearTimeout(cut);
        await this.#store.close();
      }
    })();
    return this.#closing;
  }
}

export async function startReceiver(config: ReceiverConfig, options: StartOptions = {}): Promise<Receiver> {
  const logger = options.logger ?? createLogger(config.logLevel, config.logFormat, 'receiver');
  const opened = await openStore(config.store, logger.child({ component: 'store' }));
  const metrics = config.metrics.enabled ? createReceiverMetrics(VERSION, () => opened.countRuns()) : undefined;
  const store = metrics === undefined ? opened : timedStore(opened, metrics.timeStore);
  let app: FastifyInstance | undefined;
  try {
    app = buildApp({ logger, store, readToken: config.readToken, hmacKey: config.hmacKey,
      now: options.now ?? (() => new Date()),
      instrument: (a) => {
        if (metrics !== undefined) serveMetrics(a, metrics, config.metrics.token);
        options.instrument?.(a);
      } });
    const pruner = config.retentionMs === undefined ? undefined : new Pruner(store, { retentionMs: config.retentionMs,
      now: options.now ?? (() => new Date()), log: logger.child({ component: 'retention' }), onBatch: metrics?.pruned,
      onPass: metrics?.retentionPass });
    if (pruner !== undefined) app.addHook('onClose', () => pruner.close()); // before the store closes (Receiver.close)
    await listen(app, config.listen.host, config.listen.port);
    pruner?.start();
    const address = app.server.address() as AddressInfo;
    const receiver = new Receiver(app, store, address, options.shutdownGraceMs);
    logger.info({ address: address.address, port: address.port, url: receiver.url, store: store.kind,
      db: describeStore(config.store) }, 'receiver started');
    return receiver;
  } catch (err) {
    await app?.close();
    await store.close();
    throw err;
  }
}

/** GET /metrics on the main port, behind the metrics token when one is set; every request is counted. */
function serveMetrics(app: FastifyInstance, metrics: ReceiverMetrics, token: string | undefined): void {
  metrics.instrument(app, ROUTES);
  app.get(ROUTES.metrics, { onRequest: token === undefined ? [] : readTokenGuard(token) }, async (_req, reply) => {
    const text = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).send(text);
  });
}

/** No host = every interface: `::` (dual-stack), or `0.0.0.0` where the kernel has no IPv6. */
async function listen(app: FastifyInstance, host: string | undefined, port: number): Promise<void> {
  try {
    await app.listen({ host: host ?? '::', port });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (host !== undefined || (code !== 'EAFNOSUPPORT' && code !== 'EADDRNOTAVAIL')) throw err;
    await app.listen({ host: '0.0.0.0', port });
  }
}

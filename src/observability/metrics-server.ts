// A small HTTP server for /metrics and /healthz, hardened against slow clients like the receiver: headers
// within 5 s, a whole request within 10 s, idle keep-alive 60 s; it closes within 5 s. Used by the collector,
// whose main job is not serving HTTP, so plain node:http and no framework.
import type { Server } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { nodeHttp } from '../node-builtins.ts';

export type Health = () => { readonly ok: boolean; readonly reason?: string };

export type MetricsServer = { readonly url: string; close(): Promise<void> };

export async function startMetricsServer(address: { host: string; port: number }, registry: Registry, health: Health): Promise<MetricsServer> {
  const server: Server = nodeHttp().createServer((req, res) => {
    const path = (req.url ?? '/').split('?', 1)[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
    } else if (path === '/metrics') {
      registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
        () => res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics unavailable\n'),
      );
    } else if (path === '/healthz') {
      const h = health();
      res.writeHead(h.ok ? 200 : 503, { 'content-type': 'text/plain', 'cache-control': 'no-store' })
        .end(h.ok ? 'ok\n' : `unhealthy: ${h.reason ?? 'unknown'}\n`);
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    }
  });
  server.headersTimeout = 5_000;
  server.requestTimeout = 10_000;
  server.keepAliveTimeout = 60_000;
  server.timeout = 10_000; // socket inactivity: a client that stops reading the response is cut off
  server.listen(address.port, address.host);
  await once(server, 'listening');
  const a = server.address() as AddressInfo;
  const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
  let closed: Promise<void> | undefined;
  return {
    url: `http://${host}:${a.port}`,
    close() {
      closed ??= new Promise<void>((resolve) => {
        const force = setTimeout(() => server.closeAllConnections(), 5_000); // in-flight scrapes get 5 s
        force.unref();
        server.close(() => { clearTimeout(force); resolve(); });
        server.closeIdleConnections();
      });
      return closed;
    },
  };
}

// Serves the dashboard's built files (dist/web, made by scripts/build-web.ts) at `/` and `/assets/:file`, from
// memory: a handful of small files, read once at start. No token for these: the page asks for one and sends it
// to the API only. A receiver started from a checkout that was never built says so instead of a blank page.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export const DASHBOARD_ROUTES = { page: '/', asset: '/assets/:file' } as const;

/** Where the built files are: beside the bundle (dist/receiver.js → dist/web), or dist/web of a checkout. */
export function dashboardDir(): string | undefined {
  const candidates = [new URL('./web/', import.meta.url), new URL('../../../dist/web/', import.meta.url)];
  const found = candidates.find((u) => existsSync(new URL('index.html', u)));
  return found === undefined ? undefined : fileURLToPath(found);
}

const TYPES: Readonly<Record<string, string>> = {
  html: 'text/html; charset=utf-8', js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8',
  map: 'application/json; charset=utf-8', txt: 'text/plain; charset=utf-8',
};

// Scripts and styles from this origin only; uPlot sets inline styles on its elements. The API is same-origin.
const CSP = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
  "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

type File = { readonly body: Buffer; readonly type: string; readonly etag: string };

function load(dir: string): Map<string, File> {
  const files = new Map<string, File>();
  const add = (name: string, path: string) => {
    const type = TYPES[name.split('.').at(-1) ?? ''];
    if (type === undefined) return;
    const body = readFileSync(path);
    files.set(name, { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` });
  };
  add('index.html', `${dir}/index.html`);
  for (const name of readdirSync(`${dir}/assets`)) add(`assets/${name}`, `${dir}/assets/${name}`);
  return files;
}

function send(req: FastifyRequest, reply: FastifyReply, file: File) {
  void reply.header('etag', file.etag).header('cache-control', 'no-cache').header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer');
  if (req.headers['if-none-match'] === file.etag) return reply.code(304).send();
  return reply.type(file.type).send(file.body);
}

/** `dir`: the built files (tests pass their own). @default dashboardDir() */
export function registerDashboard(app: FastifyInstance, dir = dashboardDir()): void {
  const files = dir === undefined ? new Map<string, File>() : load(dir);
  app.get(DASHBOARD_ROUTES.page, async (req, reply) => {
    const index = files.get('index.html');
    if (index === undefined) {
      return reply.code(503).type('text/plain; charset=utf-8')
        .send('The dashboard is not built: run `npm run build:web` (or `npm run build`) and restart the receiver.');
    }
    void reply.header('content-security-policy', CSP).header('x-frame-options', 'DENY');
    return send(req, reply, index);
  });
  app.get<{ Params: { file: string } }>(DASHBOARD_ROUTES.asset, async (req, reply) => {
    const file = files.get(`assets/${req.params.file}`);
    if (file === undefined) return reply.code(404).send({ error: 'not found' });
    return send(req, reply, file);
  });
}

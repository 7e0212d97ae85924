// The receiver under test (dist/receiver.js on 127.0.0.1, logs at its default level into a file), the
// ingest ceiling from the anchors, and a throw-away PostgreSQL database for each run.
import { closeSync, openSync } from 'node:fs';
import pg from 'pg';
import { freePort } from './baselines.ts';
import { Child, onCleanup } from './children.ts';
import { DIST, NODE } from './env.ts';
import { SCOPE } from './summary.ts';

export const READ_TOKEN = 'bench-read-token-5f1e';
const HMAC_KEY = 'bench-hmac-key-0c9a';
/** Admin connection for creating and dropping the benchmark's databases; $RRC_BENCH_PG_URL overrides it. */
export const PG_ADMIN_URL = process.env.RRC_BENCH_PG_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

export type Server = { readonly url: string; readonly child: Child; stop(): Promise<void> };

async function waitHttp(url: string, child: Child): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      const res = await fetch(url, { method: 'GET' });
      await res.arrayBuffer();
      return;
    } catch (err) {
      if (child.exited || i > 300) throw new Error(`nothing answers at ${url}: ${(err as Error).message}`, { cause: err });
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/**
 * Starts `node dist/receiver.js --db <db>` on a free loopback port; resolves when /healthz answers. `bundle`: another
 * build's receiver.js, to compare two versions in one run.
 */
export async function startReceiver(db: string, logFile: string, extraArgs: readonly string[] = [],
  bundle: string = DIST.receiver): Promise<Server> {
  const port = await freePort();
  const fd = openSync(logFile, 'a');
  const child = new Child(NODE, [bundle, '--addr', `127.0.0.1:${port}`, '--db', db, '--read-token', READ_TOKEN,
    '--hmac-key', HMAC_KEY, ...extraArgs], { stdio: ['ignore', fd, fd] });
  closeSync(fd);
  const url = `http://127.0.0.1:${port}`;
  await waitHttp(`${url}/healthz`, child);
  return { url, child, stop: async () => { await child.stop(); } };
}

/** A push token for the benchmark's scope, minted by the receiver. */
export async function pushToken(url: string): Promise<string> {
  const res = await fetch(`${url}/api/v1/token`, { method: 'POST', headers: { authorization: `Bearer ${READ_TOKEN}`,
    'content-type': 'application/json' }, body: JSON.stringify(SCOPE) });
  if (!res.ok) throw new Error(`POST /api/v1/token: HTTP ${res.status} ${await res.text()}`);
  return ((await res.json()) as { token: string }).token;
}

/** The anchors' bare node:http + node:sqlite server (WAL, the given synchronous setting, fresh file). */
export async function startCeiling(anchors: string, dbPath: string, synchronous: 'NORMAL' | 'FULL', logFile: string): Promise<Server> {
  const port = await freePort();
  const fd = openSync(logFile, 'a');
  const child = new Child(NODE, [`${anchors}/ingest-ceiling.mjs`, '--port', String(port), '--db', dbPath, '--synchronous', synchronous,
    '--fresh'], { stdio: ['ignore', fd, fd] });
  closeSync(fd);
  const url = `http://127.0.0.1:${port}`;
  await waitHttp(`${url}/`, child);
  return { url, child, stop: async () => { await child.stop(); } };
}

/** Whether PostgreSQL answers at PG_ADMIN_URL; the reason when not. */
export async function postgresAvailable(): Promise<true | string> {
  const c = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 2_000 });
  try {
    await c.connect();
    return true;
  } catch (err) {
    return `PostgreSQL unreachable at ${new URL(PG_ADMIN_URL).host} (${(err as Error).message}); set RRC_BENCH_PG_URL`;
  } finally {
    await c.end().catch(() => {});
  }
}

export async function adminQuery(sql: string): Promise<pg.QueryResult> {
  const c = new pg.Client({ connectionString: PG_ADMIN_URL });
  await c.connect();
  try {
    return await c.query(sql);
  } finally {
    await c.end();
  }
}

/** A new, empty database dropped when the benchmark ends; returns its URL. */
export async function tempDatabase(tag: string): Promise<string> {
  const name = `rrc_bench_${tag}_${process.pid}_${Math.floor(Math.random() * 1e6)}`;
  await adminQuery(`CREATE DATABASE ${name}`);
  onCleanup(async () => { await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`); });
  const u = new URL(PG_ADMIN_URL);
  u.pathname = `/${name}`;
  return u.toString();
}

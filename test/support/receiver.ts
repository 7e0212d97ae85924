// Shared set-up for the receiver's integration tests (test/integration/receiver-*.test.ts): a fresh
// store of either kind per test, a started receiver with captured logs, and small HTTP helpers.
// PostgreSQL: each test gets its own schema, created and dropped here; in CI an unreachable
// database fails the tests, elsewhere they skip with the reason.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import pg from 'pg';
import { pino, type Logger } from 'pino';
import { logOptions } from '../../src/observability/log.ts';
import { parseReceiverConfig, type ReceiverConfig } from '../../src/receiver/config.ts';
import { startReceiver, type Receiver, type StartOptions } from '../../src/receiver/server.ts';
import type { StoreConfig } from '../../src/receiver/store/config.ts';
import { PgStore } from '../../src/receiver/store/postgres.ts';
import { SqliteStore } from '../../src/receiver/store/sqlite.ts';
import type { Scope, Store, StoreKind } from '../../src/receiver/store/types.ts';

export const STORE_KINDS = ['sqlite', 'postgres'] as const;
export const PG_URL = process.env.RRC_TEST_PG_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
export const READ_TOKEN = 'test-read-token-6d1f0a';
export const HMAC_KEY = 'test-hmac-key-b83e52';

/** Whether PostgreSQL tests skip, and why: never in CI, where an unreachable database must fail them. */
export async function postgresSkip(): Promise<string | false> {
  const ci = process.env.CI ?? '';
  if (ci !== '' && ci !== 'false' && ci !== '0') return false;
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    return false;
  } catch (err) {
    const u = new URL(PG_URL);
    return `PostgreSQL unreachable at ${u.host}${u.pathname} (${(err as Error).message}); set RRC_TEST_PG_URL`;
  } finally {
    await client.end().catch(() => {});
  }
}

/** A fresh, empty schema dropped when the test ends. */
export async function createTestSchema(t: TestContext): Promise<string> {
  const schema = `rrc_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  await adminQuery(`CREATE SCHEMA ${schema}`);
  t.after(() => adminQuery(`DROP SCHEMA IF EXISTS ${schema} CASCADE`));
  return schema;
}

/** One small pool per test file for schema set-up; it lets the process exit when idle. */
let adminPool: pg.Pool | undefined;
export async function adminQuery<R extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<R[]> {
  adminPool ??= new pg.Pool({ connectionString: PG_URL, max: 2, allowExitOnIdle: true });
  return (await adminPool.query<R>(sql, params)).rows;
}

/** A store config of the given kind in a place of its own (temp dir or fresh schema), removed after the test. */
export async function testStoreConfig(t: TestContext, kind: StoreKind): Promise<StoreConfig> {
  if (kind === 'postgres') return { kind, url: PG_URL, schema: await createTestSchema(t) };
  const dir = mkdtempSync(join(tmpdir(), 'rrc-receiver-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return { kind, path: join(dir, 'metrics.db') };
}

/** Opens a store on `config`, closed when the test ends (before its schema or directory goes). */
export async function openTestStore(t: TestContext, config: StoreConfig): Promise<Store> {
  const store = config.kind === 'sqlite' ? new SqliteStore(config.path)
    : await PgStore.open({ url: config.url, schema: config.schema });
  t.after(() => store.close());
  return store;
}

/** Log records as JSON lines, and the raw text they were written as (to search for secrets). */
export function captureLogger(level: 'debug' | 'info' = 'debug'): { logger: Logger; text: () => string } {
  const chunks: string[] = [];
  return { logger: pino(logOptions(level), { write: (s: string) => void chunks.push(s) }), text: () => chunks.join('') };
}

/** The config the CLI would build from these flags, with the test secrets in the environment. */
export function testConfig(store: StoreConfig): ReceiverConfig {
  const config = parseReceiverConfig(['--addr', '127.0.0.1:0', '--log-level', 'debug'],
    { RECEIVER_READ_TOKEN: READ_TOKEN, RECEIVER_HMAC_KEY: HMAC_KEY });
  if (config === 'help') throw new Error('unreachable');
  return { ...config, store };
}

/** Starts a receiver on a free port; closed when the test ends. */
export async function startTestReceiver(t: TestContext, store: StoreConfig, options: StartOptions = {}): Promise<Receiver> {
  const receiver = await startReceiver(testConfig(store), { logger: captureLogger().logger, ...options });
  t.after(() => receiver.close());
  return receiver;
}

export type Call = {
  method?: string; token?: string | undefined; body?: unknown; contentType?: string; raw?: string;
  /** A raw Authorization header, instead of `Bearer <token>`. */
  authorization?: string;
};

/** fetch with a bearer token and a JSON body; returns status, headers and the parsed JSON (or text). */
export async function call(url: string, c: Call = {}): Promise<{ status: number; headers: Headers; json: unknown }> {
  const headers: Record<string, string> = {};
  if (c.token !== undefined) headers.authorization = `Bearer ${c.token}`;
  if (c.authorization !== undefined) headers.authorization = c.authorization;
  const body = c.raw ?? (c.body === undefined ? undefined : JSON.stringify(c.body));
  if (body !== undefined) headers['content-type'] = c.contentType ?? 'application/json';
  const res = await fetch(url, { method: c.method ?? (body === undefined ? 'GET' : 'POST'), headers, body });
  const text = await res.text();
  let json: unknown = text;
  try { json = JSON.parse(text); } catch { /* not JSON: keep the text */ }
  return { status: res.status, headers: res.headers, json };
}

export const README_SCOPE: Scope = { organization: 'my-org', repository: 'my-org/my-repo', workflow: 'ci.yml', job: 'build' };

/** A push body for a scope, with a small summary. */
export function pushBody(scope: Scope, fields: { run_id?: string; execution_id?: string; summary?: object } = {}) {
  return { ...scope, run_id: fields.run_id ?? 'run-1', ...(fields.execution_id === undefined ? {} : { execution_id: fields.execution_id }),
    summary: fields.summary ?? { sample_count: 3, containers: [{ name: 'runner', cpu_cores: { peak: 2.007 } }] } };
}

export async function mint(receiver: Receiver, scope: Scope): Promise<string> {
  const r = await call(`${receiver.url}/api/v1/token`, { token: READ_TOKEN, body: scope });
  if (r.status !== 200) throw new Error(`minting failed: ${r.status} ${JSON.stringify(r.json)}`);
  return (r.json as { token: string }).token;
}

export function queryUrl(receiver: Receiver, scope: Scope, repo = encodeURIComponent(scope.repository), query = ''): string {
  const seg = (s: string) => encodeURIComponent(s);
  return `${receiver.url}/api/v1/metrics/repo/${seg(scope.organization)}/${repo}/${seg(scope.workflow)}/${seg(scope.job)}${query}`;
}

/** A clock the test moves: every call returns the current value; `set` changes it. */
export function fakeClock(startIso = '2026-02-06T14:30:00.000Z') {
  let now = new Date(startIso).getTime();
  return { now: () => new Date(now), set: (iso: string) => { now = new Date(iso).getTime(); } };
}

// The fastify app without sockets (inject): server settings, validation, and a property test that
// no body, however malformed, gets a 5xx or a row unless it is valid. Sockets: test/integration.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, test, type TestContext } from 'node:test';
import fc from 'fast-check';
import { pino } from 'pino';
import { logOptions } from '../../observability/log.ts';
import { SqliteStore } from '../store/sqlite.ts';
import { pushToken } from '../token.ts';
import { BODY_LIMIT_BYTES, buildApp } from './app.ts';
import { findUnstorable } from './schemas.ts';

const READ = 'unit-read-token';
const KEY = 'unit-hmac-key';

/** The app on a throwaway SQLite file; `count()` reads the table through a second connection. */
function testApp(t: TestContext) {
  const dir = mkdtempSync(join(tmpdir(), 'rrc-app-'));
  const path = join(dir, 'm.db');
  const store = new SqliteStore(path);
  const app = buildApp({ store, readToken: READ, hmacKey: KEY, now: () => new Date(), logger: pino(logOptions('error'), { write() {} }) });
  t.after(async () => { await app.close(); await store.close(); rmSync(dir, { recursive: true, force: true }); });
  const count = () => {
    const db = new DatabaseSync(path, { readOnly: true });
    try { return (db.prepare('SELECT count(*) AS n FROM runs').get() as { n: number }).n; } finally { db.close(); }
  };
  return { app, count };
}

describe('app', () => {
  test('server settings: timeouts against slow clients and the 1 MiB body limit', (t) => {
    const { app } = testApp(t);
    assert.deepEqual([app.server.headersTimeout, app.server.requestTimeout, app.server.keepAliveTimeout, app.initialConfig.bodyLimit],
      [5_000, 10_000, 60_000, BODY_LIMIT_BYTES]);
    assert.equal(BODY_LIMIT_BYTES, 1_048_576);
  });

  test('content types: a push without Content-Type is 415; application/json with a charset is accepted', async (t) => {
    const { app } = testApp(t);
    const scope = { organization: 'o', repository: 'o/r', workflow: 'w', job: 'j' };
    const body = JSON.stringify({ ...scope, run_id: 'r', summary: {} });
    const headers = { authorization: `Bearer ${pushToken(KEY, scope)}` };
    const bare = await app.inject({ method: 'POST', url: '/api/v1/metrics', headers, payload: body });
    assert.equal(bare.statusCode, 415, bare.body);
    const charset = await app.inject({ method: 'POST', url: '/api/v1/metrics', payload: body,
      headers: { ...headers, 'content-type': 'application/json; charset=utf-8' } });
    assert.equal(charset.statusCode, 201, charset.body);
  });

  // Issue 7: Node kept the first of two Authorization or Content-Type headers, and fastify decoded any charset and any
  // bad byte as UTF-8 (U+FFFD): each of these used to be stored with a 201.
  const strict: { name: string; headers?: Record<string, string | string[]>; body?: Buffer; status: number; error: string }[] = [
    { name: 'a 0xFF byte in a string', body: Buffer.from('{"organization":"o\xff"}', 'latin1'), status: 400, error: 'body is not valid UTF-8' },
    { name: 'charset=latin1', headers: { 'content-type': 'application/json; charset=latin1' }, status: 415, error: 'content-type: charset must be utf-8' },
    { name: 'Content-Encoding: gzip', headers: { 'content-encoding': 'gzip' }, status: 415, error: 'content-encoding: not supported' },
    { name: 'two Content-Type headers', headers: { 'content-type': ['application/json', 'text/plain'] }, status: 400, error: 'more than one content-type header' },
  ];
  for (const c of strict) {
    test(`strict input: ${c.name} is a ${c.status}, and stores nothing`, async (t) => {
      const { app, count } = testApp(t);
      const scope = { organization: 'o', repository: 'o/r', workflow: 'w', job: 'j' };
      const res = await app.inject({ method: 'POST', url: '/api/v1/metrics', payload: c.body ?? JSON.stringify({ ...scope, run_id: 'r', summary: {} }),
        headers: { authorization: `Bearer ${pushToken(KEY, scope)}`, 'content-type': 'application/json', ...c.headers } });
      assert.deepEqual([res.statusCode, JSON.parse(res.body)], [c.status, { error: c.error }]);
      assert.equal(count(), 0);
    });
  }

  test('property: arbitrary push bodies get 201 only when valid, else a 4xx, never a 5xx; rows = 201s', async (t) => {
    const { app, count } = testApp(t);
    // A valid body, then up to three mutations: a field removed, replaced by any JSON value, or added.
    const name = fc.string({ minLength: 1, maxLength: 12 });
    const valid = fc.record({ organization: name, repository: name, workflow: name, job: name, run_id: name,
      execution_id: fc.option(name, { nil: undefined }), summary: fc.object({ maxDepth: 3 }) }, { requiredKeys: [] });
    const anyValue = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.string({ unit: 'binary', maxLength: 8 }), fc.constant(''),
      fc.constant('x'.repeat(600)), fc.constant({ s: '\u0000' }), fc.constant({ deep: JSON.parse('['.repeat(40) + ']'.repeat(40)) as unknown }));
    const key = fc.constantFrom('organization', 'repository', 'workflow', 'job', 'run_id', 'execution_id', 'summary', 'extra', '__proto__x');
    const mutation = fc.tuple(fc.constantFrom('delete', 'set'), key, anyValue);
    const body = fc.tuple(valid, fc.array(mutation, { maxLength: 3 })).map(([b, ms]) => {
      const out: Record<string, unknown> = { ...b };
      for (const [op, k, v] of ms) if (op === 'delete') delete out[k]; else out[k] = v;
      return out;
    });
    let created = 0;
    await fc.assert(fc.asyncProperty(body, async (b) => {
      // What the server receives: JSON has no undefined, Infinity or NaN (fast-check's objects do; they become null).
      const clean = JSON.parse(JSON.stringify(b)) as Record<string, unknown>;
      const scope = { organization: clean.organization, repository: clean.repository, workflow: clean.workflow, job: clean.job };
      const strings = Object.values(scope).every((v) => typeof v === 'string');
      const token = strings ? pushToken(KEY, scope as Record<keyof typeof scope, string>) : 'x';
      const res = await app.inject({ method: 'POST', url: '/api/v1/metrics', payload: JSON.stringify(clean),
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } });
      assert.ok(res.statusCode < 500, `${res.statusCode} ${res.body}`);
      assert.equal(res.statusCode === 201, isValid(clean), `${res.statusCode} ${res.body} for ${JSON.stringify(clean)}`);
      if (res.statusCode === 201) created++;
      else assert.deepEqual(Object.keys(JSON.parse(res.body) as object), ['error']);
    }), { numRuns: 200 });
    assert.ok(created > 10, `only ${created} of 200 bodies were valid: the generator is too hostile to test acceptance`);
    assert.equal(count(), created);
  });
});

/** An independent statement of what a valid push is (docs/receiver.md), for the property above. */
function isValid(b: Record<string, unknown>): boolean {
  const limits: Record<string, number> = { organization: 256, repository: 512, workflow: 256, job: 256, run_id: 256, execution_id: 256 };
  const allowed = new Set([...Object.keys(limits), 'summary']);
  if (Object.keys(b).some((k) => !allowed.has(k))) return false;
  for (const [k, max] of Object.entries(limits)) {
    const v = b[k];
    if (v === undefined && k === 'execution_id') continue;
    if (typeof v !== 'string' || v.length < 1 || [...v].length > max || [...v].some((ch) => ch.charCodeAt(0) < 0x20 || ch === '\x7f')) return false;
  }
  const s = b.summary;
  return typeof s === 'object' && s !== null && !Array.isArray(s) && findUnstorable(b, 'body') === undefined && !poisoning(b);
}

/** A `__proto__` key, or `constructor` holding `prototype`, anywhere: refused as a 400 (docs/receiver.md, strict-input.ts). */
function poisoning(v: unknown): boolean {
  if (typeof v !== 'object' || v === null) return false;
  if (Array.isArray(v)) return v.some(poisoning);
  if (Object.hasOwn(v, '__proto__')) return true;
  const ctor = (v as Record<string, unknown>).constructor;
  if (Object.hasOwn(v, 'constructor') && typeof ctor === 'object' && ctor !== null && Object.hasOwn(ctor, 'prototype')) return true;
  return Object.values(v).some(poisoning);
}

// GET /api/v1/openapi.json (issue 9): a valid OpenAPI 3 document of every API route, generated from the schemas the
// routes validate with, whose documented answers match what the receiver really sends; and the dashboard's files
// served at / without a token, with a CSP that keeps everything on this origin.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import { syntheticJob } from '../../src/receiver/sizing/synthetic.ts';
import { call, fakeClock, READ_TOKEN, README_SCOPE, startTestReceiver, testStoreConfig } from '../support/receiver.ts';
import { pushRuns } from '../support/sizing-seed.ts';

type Schema = { type?: string; nullable?: boolean; properties?: Record<string, Schema>; required?: string[]; items?: Schema;
  additionalProperties?: boolean; enum?: unknown[] };
type Doc = { paths: Record<string, Record<string, { parameters?: { name: string; in: string }[]; security?: unknown[];
  responses: Record<string, { content?: Record<string, { schema: Schema }> }> }>> };

/** Where `value` departs from `schema` (types, required and undocumented keys, enums), as paths; [] = conforms. */
function departures(value: unknown, schema: Schema, at = '$'): string[] {
  if (value === null) return schema.nullable === true ? [] : [`${at}: null`];
  const type = Array.isArray(value) ? 'array' : Number.isInteger(value) ? 'integer' : typeof value;
  if (schema.type !== undefined && schema.type !== type && !(schema.type === 'number' && type === 'integer')) return [`${at}: ${type}, documented ${schema.type}`];
  if (schema.enum !== undefined && !schema.enum.includes(value)) return [`${at}: ${JSON.stringify(value)} not in the enum`];
  if (Array.isArray(value)) return value.flatMap((v, i) => (schema.items === undefined ? [] : departures(v, schema.items, `${at}[${i}]`)));
  if (type !== 'object' || schema.properties === undefined) return [];
  const o = value as Record<string, unknown>;
  return [
    ...(schema.required ?? []).filter((k) => !(k in o)).map((k) => `${at}.${k}: missing`),
    ...Object.keys(o).filter((k) => !(k in (schema.properties ?? {})) && schema.additionalProperties !== true).map((k) => `${at}.${k}: undocumented`),
    ...Object.entries(o).flatMap(([k, v]) => { const s = schema.properties?.[k]; return s === undefined ? [] : departures(v, s, `${at}.${k}`); }),
  ];
}

test('openapi.json: valid OpenAPI 3, every API route with its parameters and token, answers as documented', async (t) => {
  const clock = fakeClock();
  const receiver = await startTestReceiver(t, await testStoreConfig(t, 'sqlite'), { now: clock.now });
  await pushRuns(receiver, clock, README_SCOPE, syntheticJob('oom-killed', 1, { runs: 8 }).runs);
  const r = await call(`${receiver.url}/api/v1/openapi.json`); // no token: it describes the API and holds no data
  assert.equal(r.status, 200);
  const result = await new Validator().validate(r.json as Record<string, unknown>);
  assert.deepEqual(result.errors, undefined);
  assert.equal(result.valid, true);
  const doc = r.json as Doc;
  assert.deepEqual(Object.keys(doc.paths).sort(), ['/api/v1/export', '/api/v1/history/repo/{org}/{repo}/{workflow}/{job}', '/api/v1/jobs',
    '/api/v1/metrics', '/api/v1/metrics/repo/{org}/{repo}/{workflow}/{job}', '/api/v1/runs/{id}',
    '/api/v1/sizing/repo/{org}/{repo}/{workflow}/{job}', '/api/v1/token', '/healthz', '/metrics']);
  const sizing = doc.paths['/api/v1/sizing/repo/{org}/{repo}/{workflow}/{job}']?.get;
  assert.deepEqual(sizing?.parameters?.map((p) => `${p.in}:${p.name}`).sort(), ['path:job', 'path:org', 'path:repo', 'path:workflow',
    'query:backtest', 'query:buffer', 'query:cpu_percentile', 'query:half_life', 'query:history', 'query:runs']);
  assert.deepEqual(sizing?.security, [{ readToken: [] }]);
  const ids = Object.values(doc.paths).flatMap((methods) => Object.values(methods).map((m) => (m as { operationId?: string }).operationId));
  assert.equal(new Set(ids).size, ids.length, 'every operation has its own operationId, for generated clients');
  assert.ok(ids.every((id) => typeof id === 'string'));
  assert.deepEqual(doc.paths['/api/v1/metrics']?.post?.security, [{ pushToken: [] }]);

  const p = ['my-org', 'my-org%2Fmy-repo', 'ci.yml', 'build'].join('/');
  const answers: [string, string][] = [
    ['/api/v1/sizing/repo/{org}/{repo}/{workflow}/{job}', `/api/v1/sizing/repo/${p}?backtest=true`],
    ['/api/v1/history/repo/{org}/{repo}/{workflow}/{job}', `/api/v1/history/repo/${p}`],
    ['/api/v1/jobs', '/api/v1/jobs'],
    ['/api/v1/metrics/repo/{org}/{repo}/{workflow}/{job}', `/api/v1/metrics/repo/${p}`],
    ['/api/v1/runs/{id}', '/api/v1/runs/1'],
  ];
  for (const [route, url] of answers) {
    const schema = doc.paths[route]?.get?.responses['200']?.content?.['application/json']?.schema;
    assert.ok(schema !== undefined, route);
    const answer = await call(`${receiver.url}${url}`, { token: READ_TOKEN });
    assert.equal(answer.status, 200, url);
    assert.deepEqual(departures(answer.json, schema), [], url);
  }
});

test('dashboard: / and its assets need no token, come from this origin only, and 404 for unknown files', async (t) => {
  const receiver = await startTestReceiver(t, await testStoreConfig(t, 'sqlite'));
  const page = await fetch(`${receiver.url}/`);
  assert.equal(page.status, 200, 'built by npm test (scripts/build-web.ts)');
  assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
  assert.match(page.headers.get('content-security-policy') ?? '', /script-src 'self'/);
  const html = await page.text();
  assert.match(html, /<script type="module" src="assets\/app\.js">/);
  assert.doesNotMatch(html, /https?:\/\//, 'no CDN: everything is local');
  for (const asset of ['assets/app.js', 'assets/app.css']) {
    const a = await fetch(`${receiver.url}/${asset}`);
    assert.equal(a.status, 200, asset);
    const again = await fetch(`${receiver.url}/${asset}`, { headers: { 'if-none-match': a.headers.get('etag') ?? '' } });
    assert.equal(again.status, 304, `${asset} revalidates by ETag`);
  }
  assert.equal((await fetch(`${receiver.url}/assets/nope.js`)).status, 404);
  assert.equal((await fetch(`${receiver.url}/assets/..%2fpackage.json`)).status, 404);
});

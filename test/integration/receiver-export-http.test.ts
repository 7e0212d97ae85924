// GET /api/v1/export (issue 12): receiver export over HTTP with the read token, streamed NDJSON, the same filters.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { openTestStore, READ_TOKEN, startTestReceiver, testStoreConfig, call } from '../support/receiver.ts';
import { dumpRows, seedRuns } from '../support/transfer.ts';

type Doc = { paths: Record<string, { get?: { security?: unknown; parameters?: { name: string; in: string }[];
  responses: Record<string, { content?: Record<string, unknown> }> } }> };

describe('GET /api/v1/export', { concurrency: true }, () => {
  test('streams every run as NDJSON in id order, each line the stored row; filters select exactly', async (t) => {
    const config = await testStoreConfig(t, 'sqlite');
    const store = await openTestStore(t, config);
    const seeded = await seedRuns(store);
    // More than three pages of the export's reads, so that the stream spans several.
    await store.importRuns(Array.from({ length: 350 }, (_, i) => ({ organization: 'bulk', repository: 'bulk/r', workflow: 'w', job: 'j',
      run_id: `b${i}`, execution_id: `b${i}`, payload: JSON.stringify({ i }), received_at: new Date(Date.UTC(2026, 1, 1, 0, 0, 0, i)).toISOString() })));
    const receiver = await startTestReceiver(t, config);

    const res = await fetch(`${receiver.url}/api/v1/export`, { headers: { authorization: `Bearer ${READ_TOKEN}` } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/x-ndjson');
    assert.equal(res.headers.get('content-length'), null, 'streamed (chunked), not built in memory first');
    const lines = (await res.text()).split('\n');
    assert.equal(lines.pop(), '', 'every line ends in \\n');
    const rows = await dumpRows(config);
    assert.equal(lines.length, seeded + 350);
    assert.deepEqual(lines.map((l) => JSON.parse(l) as unknown), rows.map(({ stats: _stats, ...r }) => r));

    const only = async (query: string) => {
      const r = await call(`${receiver.url}/api/v1/export?${query}`, { token: READ_TOKEN });
      assert.equal(r.status, 200, query);
      return typeof r.json === 'string' ? r.json.trimEnd().split('\n').filter((l) => l !== '').map((l) => (JSON.parse(l) as { run_id: string }).run_id)
        : [(r.json as { run_id: string }).run_id]; // one line parses as JSON on its own
    };
    assert.deepEqual(await only('organization=other'), ['run-5']);
    assert.deepEqual(await only(`job=${encodeURIComponent('tést ✓')}&repository=my-org%2Fmy-repo`), ['run-3', 'run-4']);
    assert.deepEqual(await only('since=2026-01-01T00:00:03Z&until=2026-01-01T01:00:05%2B01:00'), ['run-3', 'run-4']);
    assert.deepEqual(await only('organization=nobody'), []);
  });

  const refusals = [
    { name: 'no token', token: undefined, query: '', status: 401, error: 'missing bearer token' },
    { name: 'a wrong token', token: 'f'.repeat(64), query: '', status: 401, error: 'invalid token' },
    { name: 'a bad since', token: READ_TOKEN, query: '?since=yesterday', status: 400, error: 'querystring.since: must be an RFC 3339 time such as 2026-02-06T14:30:00Z' },
    { name: 'a misspelt filter', token: READ_TOKEN, query: '?organisation=o', status: 400, error: 'querystring.organisation: unknown field' },
  ];
  for (const c of refusals) {
    test(`export: ${c.name} is a ${c.status}`, async (t) => {
      const receiver = await startTestReceiver(t, await testStoreConfig(t, 'sqlite'));
      const r = await call(`${receiver.url}/api/v1/export${c.query}`, { token: c.token });
      assert.deepEqual([r.status, r.json], [c.status, { error: c.error }]);
    });
  }

  test('openapi.json: the export route, its read token, its filters and its NDJSON answer', async (t) => {
    const receiver = await startTestReceiver(t, await testStoreConfig(t, 'sqlite'));
    const doc = (await call(`${receiver.url}/api/v1/openapi.json`)).json as Doc;
    const op = doc.paths['/api/v1/export']?.get;
    assert.deepEqual(op?.security, [{ readToken: [] }]);
    assert.deepEqual(op?.parameters?.map((p) => `${p.in}:${p.name}`).sort(),
      ['query:job', 'query:organization', 'query:repository', 'query:since', 'query:until', 'query:workflow']);
    assert.deepEqual(Object.keys(op?.responses['200']?.content ?? {}), ['application/x-ndjson']);
  });
});

// The receiver's /metrics over a real socket: a valid exposition, counters that move with pushes and tokens,
// labels from route templates only, the metrics token, --no-metrics.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startReceiver } from '../../src/receiver/server.ts';
import { call, captureLogger, mint, pushBody, queryUrl, READ_TOKEN, README_SCOPE, testConfig, testStoreConfig } from '../support/receiver.ts';
import { promtoolCheck, promtoolMissing } from '../support/promtool.ts';

const valueOf = (text: string, series: string) => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

describe('receiver metrics', () => {
  test('/metrics: ingest, token and request counters move; labels are route templates; promtool accepts it', async (t) => {
    const config = testConfig(await testStoreConfig(t, 'sqlite'));
    const receiver = await startReceiver(config, { logger: captureLogger().logger });
    t.after(() => receiver.close());
    const token = await mint(receiver, README_SCOPE);
    const body = pushBody(README_SCOPE, { execution_id: 'exec-1' });
    assert.equal((await call(`${receiver.url}/api/v1/metrics`, { token, body })).status, 201);
    assert.equal((await call(`${receiver.url}/api/v1/metrics`, { token, body })).status, 200);
    assert.equal((await call(`${receiver.url}/api/v1/metrics`, { token: 'f'.repeat(64), body })).status, 401);
    assert.equal((await call(`${receiver.url}/api/v1/metrics`, { token, body: { ...body, run_id: 5 } })).status, 400);
    assert.equal((await call(queryUrl(receiver, README_SCOPE), { token: READ_TOKEN })).status, 200);
    assert.equal((await fetch(`${receiver.url}/no/such/path/my-org`)).status, 404);

    const res = await fetch(`${receiver.url}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    const ingest = (r: string) => valueOf(text, `receiver_ingest_total{result="${r}"}`);
    assert.deepEqual(['stored', 'replaced', 'unauthorized', 'invalid', 'error'].map(ingest), [1, 1, 1, 1, 0]);
    assert.equal(valueOf(text, 'receiver_tokens_issued_total'), 1);
    assert.equal(valueOf(text, 'receiver_runs_stored'), 1);
    assert.equal(valueOf(text, 'receiver_http_requests_total{route="/api/v1/metrics",method="POST",code="201"}'), 1);
    assert.equal(valueOf(text, 'receiver_http_requests_total{route="/api/v1/metrics/repo/:org/:repo/:workflow/:job",method="GET",code="200"}'), 1);
    assert.equal(valueOf(text, 'receiver_http_requests_total{route="unmatched",method="GET",code="404"}'), 1);
    assert.ok(valueOf(text, 'receiver_store_duration_seconds_count{operation="put"}')! >= 2);
    assert.match(text, /^receiver_info\{version="\d+\.\d+\.\d+"\} 1$/m);
    for (const leaked of ['my-org', 'ci.yml', 'exec-1', token, READ_TOKEN]) assert.ok(!text.includes(leaked), `${leaked} in a label`);

    const missing = promtoolMissing();
    if (missing) t.diagnostic(missing);
    else {
      const check = promtoolCheck(text);
      assert.equal(check.status, 0, check.output);
    }
  });

  test('--metrics-token: scrapes without it get 401, with it 200', async (t) => {
    const config = { ...testConfig(await testStoreConfig(t, 'sqlite')), metrics: { enabled: true, token: 'scrape-secret' } };
    const receiver = await startReceiver(config, { logger: captureLogger().logger });
    t.after(() => receiver.close());
    assert.equal((await fetch(`${receiver.url}/metrics`)).status, 401);
    assert.equal((await fetch(`${receiver.url}/metrics`, { headers: { authorization: 'Bearer wrong' } })).status, 401);
    assert.equal((await fetch(`${receiver.url}/metrics`, { headers: { authorization: 'Bearer scrape-secret' } })).status, 200);
  });

  test('--no-metrics: no /metrics endpoint', async (t) => {
    const config = { ...testConfig(await testStoreConfig(t, 'sqlite')), metrics: { enabled: false } };
    const receiver = await startReceiver(config, { logger: captureLogger().logger });
    t.after(() => receiver.close());
    assert.equal((await fetch(`${receiver.url}/metrics`)).status, 404);
    assert.equal((await fetch(`${receiver.url}/healthz`)).status, 200);
  });
});

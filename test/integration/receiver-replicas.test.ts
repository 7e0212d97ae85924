// Two receiver instances (each with its own server, port and connection pool) sharing one PostgreSQL
// schema behave as one service (issue 4): a push to one is read from the other, and the same execution_id pushed
// to both at once leaves one row.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  call, createTestSchema, mint, PG_URL, postgresSkip, pushBody, queryUrl, READ_TOKEN, README_SCOPE, startTestReceiver,
} from '../support/receiver.ts';

const PG_SKIP = await postgresSkip();

describe('receiver instances on one PostgreSQL database', { skip: PG_SKIP }, () => {
  test('replicas: a token minted by one is accepted by the other; a push to one is read from the other', async (t) => {
    const store = { kind: 'postgres' as const, url: PG_URL, schema: await createTestSchema(t) };
    const [a, b] = await Promise.all([startTestReceiver(t, store), startTestReceiver(t, store)]); // migrations race
    assert.notEqual(a.address.port, b.address.port);
    const pushed = await call(`${a.url}/api/v1/metrics`, { token: await mint(b, README_SCOPE), body: pushBody(README_SCOPE) });
    assert.equal(pushed.status, 201);
    const rows = (await call(queryUrl(b, README_SCOPE), { token: READ_TOKEN })).json as { id: number }[];
    assert.deepEqual(rows.map((r) => r.id), [(pushed.json as { id: number }).id]);
  });

  test('replicas: the same execution_id pushed to both concurrently, 20 times over, leaves one row', async (t) => {
    const store = { kind: 'postgres' as const, url: PG_URL, schema: await createTestSchema(t) };
    const [a, b] = await Promise.all([startTestReceiver(t, store), startTestReceiver(t, store)]);
    const token = await mint(a, README_SCOPE);
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => call(`${(i % 2 === 0 ? a : b).url}/api/v1/metrics`,
      { token, body: pushBody(README_SCOPE, { execution_id: 'exec-1', run_id: `attempt-${i}` }) })));
    assert.deepEqual(results.map((r) => r.status).sort(), [...Array<number>(19).fill(200), 201]);
    assert.equal(new Set(results.map((r) => (r.json as { id: number }).id)).size, 1);
    const rows = (await call(queryUrl(a, README_SCOPE), { token: READ_TOKEN })).json as { run_id: string }[];
    assert.equal(rows.length, 1);
    assert.match(rows[0]?.run_id ?? '', /^attempt-\d+$/);
  });
});

// The Store contract, run against both SqliteStore and PgStore (issue 4: "the same tests run
// against both stores"). Each test opens a store in a place of its own.
import assert from 'node:assert/strict';
import { DatabaseSync } from 'node:sqlite';
import { describe, test } from 'node:test';
import pg from 'pg';
import { MIGRATIONS } from '../../src/receiver/store/migrations.ts';
import { PgStore } from '../../src/receiver/store/postgres.ts';
import { runsJson } from '../../src/receiver/store/runs-json.ts';
import { selectRunsSql } from '../../src/receiver/store/sql.ts';
import { SqliteStore } from '../../src/receiver/store/sqlite.ts';
import type { RunInput, Scope, Store } from '../../src/receiver/store/types.ts';
import { adminQuery, createTestSchema, openTestStore, PG_URL, postgresSkip, STORE_KINDS, testStoreConfig } from '../support/receiver.ts';

const PG_SKIP = await postgresSkip();
const A: Scope = { organization: 'my-org', repository: 'my-org/my-repo', workflow: 'ci.yml', job: 'build' };
const B: Scope = { ...A, job: 'test' };
const at = (iso: string) => new Date(iso);
const run = (scope: Scope, fields: Partial<RunInput> = {}): RunInput =>
  ({ ...scope, run_id: 'run-1', payload: JSON.stringify({ n: 1 }), ...fields });
const query = (store: Store, scope: Scope, extra: Partial<Parameters<Store['query']>[0]> = {}) =>
  store.query({ organization: scope.organization, repositories: [scope.repository], workflow: scope.workflow,
    job: scope.job, limit: 100, ...extra });
const ids = (rows: { id: number }[]) => rows.map((r) => r.id);

for (const kind of STORE_KINDS) {
  describe(`store (${kind})`, { skip: kind === 'postgres' && PG_SKIP, concurrency: true }, () => {
    test('put/query: a run comes back in the README shape, payload as an object, received_at in ms UTC', async (t) => {
      const store = await openTestStore(t, await testStoreConfig(t, kind));
      const payload = { duration_seconds: 20.5, name: 'ünïcødé ✓ "q"', nested: { list: [1, 2.25, null, true] } };
      const { id, replaced } = await store.put(run(A, { run_id: 'run-123', payload: JSON.stringify(payload) }),
        at('2026-02-06T14:30:23.056Z'));
      assert.equal(replaced, false);
      assert.deepEqual(await query(store, A), [{ id, ...A, run_id: 'run-123', received_at: '2026-02-06T14:30:23.056Z', payload }]);
    });

    test('put: the same execution_id in the same scope replaces the row, keeping its id', async (t) => {
      const store = await openTestStore(t, await testStoreConfig(t, kind));
      const first = await store.put(run(A, { execution_id: 'e1', run_id: 'r1', payload: '{"complete":false}' }), at('2026-01-01T00:00:00.000Z'));
      const second = await store.put(run(A, { execution_id: 'e1', run_id: 'r2', payload: '{"complete":true}' }), at('2026-01-01T00:01:00.000Z'));
      assert.deepEqual(second, { id: first.id, replaced: true });
      const rows = await query(store, A);
      assert.deepEqual(rows.map((r) => [r.id, r.run_id, r.received_at, r.payload]),
        [[first.id, 'r2', '2026-01-01T00:01:00.000Z', { complete: true }]]);
    });

    test('put: a push received earlier than the stored row of its execution_id changes nothing (superseded)', async (t) => {
      // Issue 7: an INSERT held by a stalled network reached PostgreSQL after the collector's retry and overwrote it.
      const store = await openTestStore(t, await testStoreConfig(t, kind));
      const retry = await store.put(run(A, { execution_id: 'e1', run_id: 'retry', payload: '{"complete":true}' }), at('2026-01-01T00:00:07.000Z'));
      const late = await store.put(run(A, { execution_id: 'e1', run_id: 'held', payload: '{"complete":false}' }), at('2026-01-01T00:00:01.000Z'));
      assert.deepEqual(late, { id: retry.id, replaced: true, superseded: true });
      assert.deepEqual((await query(store, A)).map((r) => [r.id, r.run_id, r.received_at, r.payload]),
        [[retry.id, 'retry', '2026-01-01T00:00:07.000Z', { complete: true }]]);
    });

    test('put: the same execution_id in another scope is another row (scope B cannot overwrite A)', async (t) => {
      const store = await openTestStore(t, await testStoreConfig(t, kind));
      const a = await store.put(run(A, { execution_id: 'e1', payload: '{"who":"A"}' }), at('2026-01-01T00:00:00.000Z'));
      const b = await store.put(run(B, { execution_id: 'e1', payload: '{"who":"B"}' }), at('2026-01-01T00:00:01.000Z'));
      assert.notEqual(a.id, b.id);
      assert.equal(b.replaced, false);
      assert.deepEqual((await query(store, A)).map((r) => r.payload), [{ who: 'A' }]);
    });

    test('put: without execution_id every push is a new row', async (t) => {
      const store = await openTestStore(t, await testStoreConfig(t, kind));
      await store.put(run(A), at('2026-01-01T00:00:00.000Z'));
      await store.put(run(A), at('2026-01-01T00:00:00.000Z'));
      assert.equal((await query(store, A)).length, 2);
    });

    test('put: ten concurrent pushes of one execution_id leave one row', async (t) => {
      const store = await openTestStore(t, await testStoreConfig(t, kind));
      const results = await Promise.all(Array.from({ length: 10 }, (_, i) =>
        store.put(run(A, { execution_id: 'same', run_id: `r${i}` }), at('2026-01-01T00:00:00.000Z'))));
      assert.equal(new Set(results.map((r) => r.id)).size, 1);
      assert.equal(results.filter((r) => !r.replaced).length, 1);
      assert.equal((await query(store, A)).length, 1);
    });

    test('query: newest first by (received_at, id); limit, since (inclusive), until (exclusive), after', async (t) => {
      const store = await openTestStore(t, await testStoreConfig(t, kind));
      const times = ['2026-01-01T00:00:00.000Z', '2026-01-02T00:00:00.000Z', '2026-01-02T00:00:00.000Z', '2026-01-03T00:00:00.000Z'];
      const put = [];
      for (const time of times) put.push((await store.put(run(A), at(time))).id);
      await store.put(run(B), at('2026-01-05T00:00:00.000Z')); // another job: never in A's results
      const [r1, r2, r3, r4] = put as [number, number, number, number];
      assert.deepEqual(ids(await query(store, A)), [r4, r3, r2, r1]);
      assert.deepEqual(ids(await query(store, A, { limit: 2 })), [r4, r3]);
      assert.deepEqual(ids(await query(store, A, { since: '2026-01-02T00:00:00.000Z' })), [r4, r3, r2]);
      assert.deepEqual(ids(await query(store, A, { until: '2026-01-02T00:00:00.000Z' })), [r1]);
      assert.deepEqual(ids(await query(store, A, { after: { receivedAt: '2026-01-02T00:00:00.000Z', id: r3 } })), [r2, r1]);
      assert.deepEqual(ids(await query(store, A, { after: { receivedAt: '2026-01-02T00:00:00.000Z', id: r3 }, limit: 1 })), [r2]);
    });

    test('query: two repository names (bare and org/name) merge into one newest-first list', async (t) => {
      const store = await openTestStore(t, await testStoreConfig(t, kind));
      const bare = await store.put(run({ ...A, repository: 'my-repo' }), at('2026-01-02T00:00:00.000Z'));
      const full = await store.put(run(A), at('2026-01-01T00:00:00.000Z'));
      const full2 = await store.put(run(A), at('2026-01-03T00:00:00.000Z'));
      const rows = await store.query({ organization: 'my-org', repositories: ['my-repo', 'my-org/my-repo'],
        workflow: A.workflow, job: A.job, limit: 2 });
      assert.deepEqual(ids(rows), [full2.id, bare.id]);
      assert.deepEqual(ids(await query(store, A)), [full2.id, full.id]);
    });

    test('queryPage: the body is runsJson of the same runs (names that need escaping too); next is the last run when more follow', async (t) => {
      const store = await openTestStore(t, await testStoreConfig(t, kind));
      const odd: Scope = { organization: 'my-org', repository: 'my-org/"quoted"\\repo ✓', workflow: 'ci\n.yml', job: 'build 𝄞\u0001' };
      const payloads = [{ name: 'ünïcødé "q" \\ \n 𝄞', list: [1, 2.25, null, true] }, 'text', [], { nested: { deep: [{}] } }];
      const put = [];
      for (const [i, payload] of payloads.entries()) {
        // Two runs share a received_at: the id breaks the tie, in the body as in the cursor.
        put.push((await store.put(run(odd, { run_id: `run\t${i}`, execution_id: `e${i}`, payload: JSON.stringify(payload) }),
          at(`2026-01-0${Math.min(i, 2) + 1}T00:00:00.000Z`))).id);
      }
      const bare = await store.put(run({ ...odd, repository: '"quoted"\\repo ✓' }, { run_id: 'bare' }), at('2026-01-02T12:00:00.000Z'));
      const [r1, r2, r3, r4] = put as [number, number, number, number];
      const q = { organization: odd.organization, repositories: [odd.repository], workflow: odd.workflow, job: odd.job, limit: 100 };
      const both = { ...q, repositories: ['"quoted"\\repo ✓', odd.repository] };
      for (const [name, query, expectIds, expectNext] of [
        ['all runs', q, [r4, r3, r2, r1], undefined],
        ['a first page', { ...q, limit: 3 }, [r4, r3, r2], { receivedAt: '2026-01-02T00:00:00.000Z', id: r2 }],
        ['the page after it', { ...q, limit: 3, after: { receivedAt: '2026-01-02T00:00:00.000Z', id: r2 } }, [r1], undefined],
        ['an exact last page', { ...q, limit: 4 }, [r4, r3, r2, r1], undefined],
        ['an empty page', { ...q, since: '2027-01-01T00:00:00.000Z' }, [], undefined],
      ] as const) {
        const page = await store.queryPage(query);
        const rows = (await store.queryJson({ ...query, limit: query.limit })).slice(0, query.limit);
        assert.deepEqual(ids(rows), expectIds, name);
        assert.deepEqual(Buffer.from(page.body), runsJson(rows), name);
        assert.deepEqual(JSON.parse(Buffer.from(page.body).toString('utf8')), await store.query(query), name);
        assert.deepEqual(page.next, expectNext, name);
      }
      const merged = await store.queryPage({ ...both, limit: 3 });
      const mergedRows = await store.query({ ...both, limit: 3 });
      assert.deepEqual(ids(mergedRows), [r4, r3, bare.id]);
      assert.deepEqual(JSON.parse(Buffer.from(merged.body).toString('utf8')), mergedRows);
      assert.deepEqual(merged.next, { receivedAt: '2026-01-02T12:00:00.000Z', id: bare.id });
    });

    test('migrations: reopening applies nothing twice and keeps the data', async (t) => {
      const config = await testStoreConfig(t, kind);
      const first = await openTestStore(t, config);
      await first.put(run(A), at('2026-01-01T00:00:00.000Z'));
      await first.close();
      const again = await openTestStore(t, config);
      assert.equal((await query(again, A)).length, 1);
      const versions = config.kind === 'sqlite'
        ? (() => { const db = new DatabaseSync(config.path); try { return db.prepare('SELECT version FROM schema_migrations').all(); } finally { db.close(); } })()
        : await adminQuery(`SELECT version FROM ${config.schema}.schema_migrations`);
      assert.deepEqual(versions.map((r) => Number(r.version)), MIGRATIONS.map((m) => m.version));
    });

    test('ping and close: ping answers while open; close is idempotent; a closed store rejects', async (t) => {
      const store = await openTestStore(t, await testStoreConfig(t, kind));
      await store.ping();
      await store.close();
      await store.close();
      await assert.rejects(store.ping());
    });
  });
}

describe('store (sqlite) specifics', () => {
  test('sqlite: the file is in WAL mode and a committed push is visible to another connection at once', async (t) => {
    const config = await testStoreConfig(t, 'sqlite');
    if (config.kind !== 'sqlite') throw new Error('unreachable');
    const store = new SqliteStore(config.path);
    await store.put(run(A), at('2026-01-01T00:00:00.000Z'));
    const db = new DatabaseSync(config.path); // a second connection sees the committed row at once
    t.after(() => db.close());
    assert.equal(db.prepare('PRAGMA journal_mode').get()?.journal_mode, 'wal');
    assert.equal((db.prepare('SELECT count(*) AS n FROM runs').get() as { n: number }).n, 1);
    await store.close();
  });
});

describe('store (postgres) specifics', { skip: PG_SKIP, concurrency: true }, () => {
  test('postgres: two stores migrating one fresh schema at once both start (advisory lock), one migration row', async (t) => {
    const schema = await createTestSchema(t);
    const stores = await Promise.all([PgStore.open({ url: PG_URL, schema }), PgStore.open({ url: PG_URL, schema })]);
    t.after(() => Promise.all(stores.map((s) => s.close())));
    const rows = await adminQuery<{ version: number }>(`SELECT version FROM ${schema}.schema_migrations`);
    assert.deepEqual(rows.map((r) => r.version), MIGRATIONS.map((m) => m.version));
  });

  test('postgres: open() waits out a migration that takes longer than the 5 s statement timeout, then serves', async (t) => {
    // A migration rewriting the table takes that long at a million runs (migration 4: ~13 s); another replica running it
    // holds the migration lock meanwhile.
    const schema = await createTestSchema(t);
    const holder = new pg.Client({ connectionString: PG_URL });
    await holder.connect();
    await holder.query('SELECT pg_advisory_lock(hashtext($1))', [`rrc-receiver-migrations:${schema}`]); // postgres.ts MIGRATION_LOCK
    const holdMs = 6_500;
    const release = new Promise((resolve) => setTimeout(resolve, holdMs))
      .then(() => holder.query('SELECT pg_advisory_unlock(hashtext($1))', [`rrc-receiver-migrations:${schema}`]));
    t.after(() => release.finally(() => holder.end()));
    const t0 = performance.now();
    const store = await PgStore.open({ url: PG_URL, schema });
    t.after(() => store.close());
    const waited = performance.now() - t0;
    await release;
    assert.ok(waited >= holdMs - 100, `open() returned after ${waited.toFixed(0)} ms, before the lock was released`);
    await store.put(run(A), at('2026-01-01T00:00:00.000Z'));
    assert.equal((await query(store, A)).length, 1);
  });

  test('postgres: the page query reads the scope index in order: no Sort node, even for bare + full names', async (t) => {
    const schema = await createTestSchema(t);
    const store = await PgStore.open({ url: PG_URL, schema });
    t.after(() => store.close());
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    t.after(() => client.end());
    // With sorts priced out, a Sort node can only remain if no index delivers the order.
    await client.query(`SET search_path = ${schema}; SET enable_seqscan = off; SET enable_sort = off`);
    for (const repositories of [['my-org/my-repo'], ['my-repo', 'my-org/my-repo']]) {
      const { sql, params } = selectRunsSql('postgres', { organization: 'my-org', repositories, workflow: 'ci.yml',
        job: 'build', limit: 101, after: { receivedAt: '2026-01-01T00:00:00.000Z', id: 5 } });
      const plan = (await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`, params)).rows
        .map((r) => r['QUERY PLAN']).join('\n');
      assert.match(plan, /runs_scope_newest/);
      assert.doesNotMatch(plan, /(^|->)\s*(Incremental )?Sort\s+\(/m, plan); // "Sort Key:" of Merge Append is fine
    }
  });

  test('postgres: an unreachable database fails open() with a connection error', async () => {
    await assert.rejects(PgStore.open({ url: 'postgresql://postgres@127.0.0.1:1/test' }), { code: 'ECONNREFUSED' });
  });
});

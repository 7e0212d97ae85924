// A store made by the first released schema (version 1) upgrades in place when the current receiver opens it
// (issue 12): every later migration is applied, every row is kept as it was, and the stats column (migration 2)
// is filled for the runs a history read derives them for. SQLite from a committed file; PostgreSQL from
// migration 1's SQL applied to a fresh schema. A store at version 3 gains migration 4 (PostgreSQL: payload jsonb
// to json) with every payload's text kept.
import assert from 'node:assert/strict';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, test } from 'node:test';
import { loadRuns } from '../../src/receiver/http/job-history.ts';
import { encodeRunStats, runStats } from '../../src/receiver/sizing/run-stats.ts';
import { LATEST_VERSION, MIGRATIONS, SCHEMA_MIGRATIONS_DDL } from '../../src/receiver/store/migrations.ts';
import { PgStore } from '../../src/receiver/store/postgres.ts';
import { SqliteStore } from '../../src/receiver/store/sqlite.ts';
import type { Store } from '../../src/receiver/store/types.ts';
import { V1_ROWS, V1_SQL } from '../fixtures/store/make-v1.ts';
import { ROOT } from '../support/programs.ts';
import { adminQuery, createTestSchema, PG_URL, postgresSkip, testStoreConfig } from '../support/receiver.ts';
import { dumpRows, KNOWN_RUN } from '../support/transfer.ts';

const PG_SKIP = await postgresSkip();
const FIXTURE = `${ROOT}test/fixtures/store/v1.sqlite`;
const want = V1_ROWS.map((r) => ({ ...r }));
const noLog = { warn: () => undefined };

/** Reads my-org's job through the history path sizing and the dashboard use; other/x is left unread. */
async function readHistory(store: Store): Promise<void> {
  const runs = await loadRuns(store, { org: 'my-org', repo: 'my-org/my-repo', workflow: 'ci.yml', job: 'build' }, 100, noLog);
  assert.deepEqual(runs.map((r) => r.runId), ['run-3', 'run-2', 'run-1']);
}

/** The stats each row should have once derived: what a push of its payload stores today. */
const derived = (payload: unknown) => encodeRunStats(runStats(payload));

describe('upgrade from schema version 1', { concurrency: true }, () => {
  test('sqlite: the committed v1 file gains migrations 2..latest in place, keeps every row, fills stats when read', async (t) => {
    const config = await testStoreConfig(t, 'sqlite');
    if (config.kind !== 'sqlite') throw new Error('unreachable');
    const path = join(config.path, '..', 'v1.sqlite');
    copyFileSync(FIXTURE, path);
    const raw = new DatabaseSync(path, { readOnly: true });
    const before = raw.prepare('SELECT * FROM runs ORDER BY id').all().map((r) => ({ ...r }));
    const versions = () => (raw.prepare('SELECT version FROM schema_migrations ORDER BY version').all() as { version: number }[]).map((r) => r.version);
    assert.deepEqual(versions(), [1], 'the fixture is a version 1 store');
    assert.equal(before.length, V1_ROWS.length);

    const store = new SqliteStore(path);
    t.after(() => { raw.close(); return store.close(); });
    assert.deepEqual(versions(), Array.from({ length: LATEST_VERSION }, (_, i) => i + 1));
    const after = raw.prepare('SELECT * FROM runs ORDER BY id').all().map((r) => ({ ...r }));
    assert.deepEqual(after, before.map((r) => ({ ...r, stats: null })), 'ids, scopes, times and payload text unchanged; stats not yet');
    assert.deepEqual((await dumpRows({ kind: 'sqlite', path })).map(({ stats: _stats, ...r }) => r), want);

    await readHistory(store);
    assert.deepEqual((await dumpRows({ kind: 'sqlite', path })).map((r) => [r.run_id, r.stats]),
      want.map((r) => [r.run_id, r.organization === 'my-org' ? derived(r.payload) : null]));
  });

  test('postgres: migration 1 applied to a fresh schema, then PgStore: migrations 2..latest, rows kept, stats filled when read',
    { skip: PG_SKIP }, async (t) => {
      const schema = await createTestSchema(t);
      await adminQuery(`BEGIN; SET LOCAL search_path = ${schema}; ${V1_SQL.postgres}; COMMIT`); // LOCAL: the pooled connection keeps its own
      await adminQuery(`INSERT INTO ${schema}.schema_migrations (version, name) VALUES (1, 'create runs')`);
      for (const r of V1_ROWS) {
        await adminQuery(`INSERT INTO ${schema}.runs (organization, repository, workflow, job, run_id, execution_id, received_at, payload)
          VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, [r.organization, r.repository, r.workflow, r.job, r.run_id, r.execution_id, r.received_at,
          JSON.stringify(r.payload)]);
      }
      const ids = async () => (await adminQuery<{ id: string }>(`SELECT id FROM ${schema}.runs ORDER BY id`)).map((r) => Number(r.id));
      const idsBefore = await ids();
      const texts = async () => (await adminQuery<{ t: string }>(`SELECT payload::text AS t FROM ${schema}.runs ORDER BY id`)).map((r) => r.t);
      const textsBefore = await texts();

      const store = await PgStore.open({ url: PG_URL, schema });
      t.after(() => store.close());
      const versions = await adminQuery<{ version: number }>(`SELECT version FROM ${schema}.schema_migrations ORDER BY version`);
      assert.deepEqual(versions.map((r) => r.version), Array.from({ length: LATEST_VERSION }, (_, i) => i + 1));
      assert.deepEqual(await ids(), idsBefore);
      assert.deepEqual(await texts(), textsBefore, 'each payload keeps the text jsonb printed (migration 4)');
      const config = { kind: 'postgres' as const, url: PG_URL, schema };
      assert.deepEqual((await dumpRows(config)).map(({ stats: _stats, ...r }) => r), want);
      assert.ok((await dumpRows(config)).every((r) => r.stats === null));

      await readHistory(store);
      assert.deepEqual((await dumpRows(config)).map((r) => [r.run_id, r.stats]),
        want.map((r) => [r.run_id, r.organization === 'my-org' ? derived(r.payload) : null]));
    });
});

// The schema a version-3 receiver made: the released migrations 1-3 (never edited, so this is their SQL as released).
const V3_MIGRATIONS = MIGRATIONS.filter((m) => m.version <= 3);
const V3_SCOPE = { organization: 'my-org', repository: 'my-org/my-repo', workflow: 'ci.yml', job: 'build' };
/** Payload texts as pushes store them, which jsonb prints otherwise (key order, spacing, exponents), and one in jsonb's form. */
const V3_PAYLOADS = [
  JSON.stringify(KNOWN_RUN),
  JSON.stringify({ z: 1, a_long_key_first: [1.5, -2e-7, null, true], n: 12025908429, big: 1e21, s: 'ünï "q" \\ \u2028 𝄞 \n' }),
  JSON.stringify({ complete: false, duration_seconds: 600.25 }),
  '{"a": 1, "bb": [1, 2]}',
];
const V3_ROWS = V3_PAYLOADS.map((payload, i) => ({ ...V3_SCOPE, run_id: `run-${i + 1}`, execution_id: i === 1 ? null : `exec-${i + 1}`,
  received_at: `2026-03-0${i + 1}T10:00:00.000Z`, payload, stats: i % 2 === 0 ? derived(JSON.parse(payload)) : null }));
const V3_COLUMNS = 'organization, repository, workflow, job, run_id, execution_id, received_at, payload, stats';
const v3Query = { organization: V3_SCOPE.organization, repositories: [V3_SCOPE.repository], workflow: V3_SCOPE.workflow,
  job: V3_SCOPE.job, limit: 100 };
/** A push after the upgrade, in an order and spacing of its own, comes back byte for byte. */
const LATER = JSON.stringify({ zz: 'last', a: [1e21, -0.5], ü: { y: 2, x: 1 } });

describe('upgrade from schema version 3', { concurrency: true }, () => {
  test('sqlite: migration 4 changes nothing; every row, payload text included, is kept', async (t) => {
    const config = await testStoreConfig(t, 'sqlite');
    if (config.kind !== 'sqlite') throw new Error('unreachable');
    const raw = new DatabaseSync(config.path);
    raw.exec(SCHEMA_MIGRATIONS_DDL.sqlite);
    for (const m of V3_MIGRATIONS) {
      raw.exec(m.sql.sqlite);
      raw.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, '2026-03-01T00:00:00.000Z');
    }
    const insert = raw.prepare(`INSERT INTO runs (${V3_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    for (const r of V3_ROWS) insert.run(r.organization, r.repository, r.workflow, r.job, r.run_id, r.execution_id, r.received_at, r.payload, r.stats);
    const rows = () => raw.prepare('SELECT * FROM runs ORDER BY id').all().map((r) => ({ ...r }));
    const before = rows();
    assert.deepEqual(before.map((r) => r.payload), V3_PAYLOADS);

    const store = new SqliteStore(config.path);
    t.after(() => { raw.close(); return store.close(); });
    assert.deepEqual((raw.prepare('SELECT version FROM schema_migrations ORDER BY version').all() as { version: number }[])
      .map((r) => r.version), Array.from({ length: LATEST_VERSION }, (_, i) => i + 1));
    assert.deepEqual(rows(), before);
    assert.deepEqual((await store.queryJson(v3Query)).map((r) => Buffer.from(r.payloadJson).toString('utf8')), V3_PAYLOADS.toReversed());
  });

  test('postgres: migration 4 makes payload json; each payload keeps the text jsonb printed; later pushes keep theirs',
    { skip: PG_SKIP }, async (t) => {
      const schema = await createTestSchema(t);
      await adminQuery(`BEGIN; SET LOCAL search_path = ${schema}; ${SCHEMA_MIGRATIONS_DDL.postgres};
        ${V3_MIGRATIONS.map((m) => m.sql.postgres).join(';\n')}; COMMIT`);
      for (const m of V3_MIGRATIONS) await adminQuery(`INSERT INTO ${schema}.schema_migrations (version, name) VALUES ($1, $2)`, [m.version, m.name]);
      for (const r of V3_ROWS) {
        await adminQuery(`INSERT INTO ${schema}.runs (${V3_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
          [r.organization, r.repository, r.workflow, r.job, r.run_id, r.execution_id, r.received_at, r.payload, r.stats]);
      }
      const payloadType = async () => (await adminQuery<{ t: string }>(`SELECT format_type(atttypid, atttypmod) AS t FROM pg_attribute
        WHERE attrelid = '${schema}.runs'::regclass AND attname = 'payload'`))[0]?.t;
      const rows = () => adminQuery<Record<string, unknown>>(`SELECT id, ${V3_COLUMNS.replace('payload', 'payload::text AS payload')}
        FROM ${schema}.runs ORDER BY id`);
      assert.equal(await payloadType(), 'jsonb');
      const before = await rows();
      const printed = before.map((r) => r.payload as string);
      assert.deepEqual(printed.map((p, i) => p === V3_PAYLOADS[i]), [false, false, false, true],
        'jsonb printed the pushed texts otherwise, except the one in its own form');

      const store = await PgStore.open({ url: PG_URL, schema });
      t.after(() => store.close());
      const versions = await adminQuery<{ version: number }>(`SELECT version FROM ${schema}.schema_migrations ORDER BY version`);
      assert.deepEqual(versions.map((r) => r.version), Array.from({ length: LATEST_VERSION }, (_, i) => i + 1));
      assert.equal(await payloadType(), 'json');
      assert.deepEqual(await rows(), before, 'ids, scopes, times, stats and each payload\'s text, byte for byte');
      assert.deepEqual(printed.map((p) => JSON.parse(p) as unknown), V3_PAYLOADS.map((p) => JSON.parse(p) as unknown), 'the same values as pushed');
      assert.deepEqual((await store.queryJson(v3Query)).map((r) => r.payloadJson), printed.toReversed());
      assert.deepEqual((await store.getRun(Number(before[1]?.id)))?.payload, JSON.parse(V3_PAYLOADS[1]!));
      const stats = await adminQuery<{ stxname: string }>(`SELECT stxname FROM pg_statistic_ext WHERE stxrelid = '${schema}.runs'::regclass`);
      assert.deepEqual(stats.map((r) => r.stxname), ['runs_scope_correlation'], 'migration 3\'s statistics survive the rewrite');

      await store.put({ ...V3_SCOPE, run_id: 'run-later', payload: LATER }, new Date('2026-04-01T00:00:00.000Z'));
      assert.equal((await store.queryJson({ ...v3Query, limit: 1 }))[0]?.payloadJson, LATER);
    });
});

// A store made by the first released schema (version 1) upgrades in place when the current receiver opens it
// (issue 12): every later migration is applied, every row is kept as it was, and the stats column (migration 2)
// is filled for the runs a history read derives them for. SQLite from a committed file; PostgreSQL from
// migration 1's SQL applied to a fresh schema.
import assert from 'node:assert/strict';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, test } from 'node:test';
import { loadRuns } from '../../src/receiver/http/job-history.ts';
import { encodeRunStats, runStats } from '../../src/receiver/sizing/run-stats.ts';
import { LATEST_VERSION } from '../../src/receiver/store/migrations.ts';
import { PgStore } from '../../src/receiver/store/postgres.ts';
import { SqliteStore } from '../../src/receiver/store/sqlite.ts';
import type { Store } from '../../src/receiver/store/types.ts';
import { V1_ROWS, V1_SQL } from '../fixtures/store/make-v1.ts';
import { ROOT } from '../support/programs.ts';
import { adminQuery, createTestSchema, PG_URL, postgresSkip, testStoreConfig } from '../support/receiver.ts';
import { dumpRows } from '../support/transfer.ts';

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

      const store = await PgStore.open({ url: PG_URL, schema });
      t.after(() => store.close());
      const versions = await adminQuery<{ version: number }>(`SELECT version FROM ${schema}.schema_migrations ORDER BY version`);
      assert.deepEqual(versions.map((r) => r.version), Array.from({ length: LATEST_VERSION }, (_, i) => i + 1));
      assert.deepEqual(await ids(), idsBefore);
      const config = { kind: 'postgres' as const, url: PG_URL, schema };
      assert.deepEqual((await dumpRows(config)).map(({ stats: _stats, ...r }) => r), want);
      assert.ok((await dumpRows(config)).every((r) => r.stats === null));

      await readHistory(store);
      assert.deepEqual((await dumpRows(config)).map((r) => [r.run_id, r.stats]),
        want.map((r) => [r.run_id, r.organization === 'my-org' ? derived(r.payload) : null]));
    });
});

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DIALECTS, LATEST_VERSION, MIGRATIONS, pendingMigrations } from './migrations.ts';
import { selectRunsSql } from './sql.ts';

describe('migrations', () => {
  test('migrations: versions start at 1, increase by one, and every one is written for both dialects', () => {
    assert.deepEqual(MIGRATIONS.map((m) => m.version), MIGRATIONS.map((_, i) => i + 1));
    assert.equal(LATEST_VERSION, MIGRATIONS.length);
    for (const m of MIGRATIONS) for (const d of DIALECTS) assert.ok(m.sql[d].trim().length > 0, `v${m.version} ${d}`);
  });

  test('pendingMigrations: only the versions not applied, in order, whatever the input order', () => {
    const all = [3, 1, 2].map((version) => ({ version, name: `m${version}`, sql: { sqlite: '-', postgres: '-' } }));
    assert.deepEqual(pendingMigrations([], all).map((m) => m.version), [1, 2, 3]);
    assert.deepEqual(pendingMigrations([1, 3], all).map((m) => m.version), [2]);
    assert.deepEqual(pendingMigrations([1, 2, 3, 4], all), []);
  });

  const queries = [
    { name: 'one repository', q: { repositories: ['o/r'] } },
    { name: 'bare and full name, every bound', q: { repositories: ['r', 'o/r'], since: '2026-01-01T00:00:00.000Z',
      until: '2026-02-01T00:00:00.000Z', after: { receivedAt: '2026-01-15T00:00:00.000Z', id: 9 } } },
  ];
  for (const c of queries) {
    test(`selectRunsSql: placeholders match parameters in both dialects (${c.name})`, () => {
      const q = { organization: 'o', workflow: 'w', job: 'j', limit: 10, ...c.q };
      const pgq = selectRunsSql('postgres', q);
      assert.deepEqual([...pgq.sql.matchAll(/\$(\d+)/g)].map((m) => Number(m[1])), pgq.params.map((_, i) => i + 1));
      const lite = selectRunsSql('sqlite', q);
      assert.equal(lite.sql.split('?').length - 1, lite.params.length);
      assert.deepEqual(lite.params, pgq.params);
    });
  }
});

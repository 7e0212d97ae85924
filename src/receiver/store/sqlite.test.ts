// SqliteStore's group commit (pushes of one event-loop turn share a transaction) and its checkpoint worker. The
// Store contract on both stores is test/integration/receiver-store.test.ts.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { test, type TestContext } from 'node:test';
import fc from 'fast-check';
import { runsJson } from './runs-json.ts';
import { selectPageBodySqlite } from './sql.ts';
import { SqliteStore } from './sqlite.ts';
import type { RunInput } from './types.ts';

const SCOPE = { organization: 'my-org', repository: 'my-org/my-repo', workflow: 'ci.yml', job: 'build' };
const at = new Date('2026-01-01T00:00:00.000Z');
const run = (i: number, fields: Partial<RunInput> = {}): RunInput =>
  ({ ...SCOPE, run_id: `r${i}`, execution_id: `e${i}`, payload: JSON.stringify({ i }), ...fields });

function tempDb(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'rrc-sqlite-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'runs.db');
}

const storedRunIds = (path: string) => {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    return (db.prepare('SELECT run_id FROM runs ORDER BY id').all() as { run_id: string }[]).map((r) => r.run_id);
  } finally {
    db.close();
  }
};

test('group commit: one push that fails does not fail the others of its transaction', async (t) => {
  const path = tempDb(t);
  const store = new SqliteStore(path);
  t.after(() => store.close());
  // Same turn of the event loop: one batch. organization NULL breaks NOT NULL, as no validated push can.
  const results = await Promise.allSettled([run(1), run(2, { organization: null as unknown as string }), run(3)]
    .map((r) => store.put(r, at)));
  assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
  assert.match(String((results[1] as PromiseRejectedResult).reason), /NOT NULL/);
  assert.deepEqual(storedRunIds(path), ['r1', 'r3']);
});

test('group commit: a batch answers exactly as the same pushes one at a time (replaced, ids)', async (t) => {
  const pushes = [run(1, { execution_id: 'same', run_id: 'a' }), run(2, { execution_id: 'same', run_id: 'b' }), run(3), run(4, { execution_id: undefined })];
  const batched = new SqliteStore(tempDb(t));
  const sequential = new SqliteStore(tempDb(t));
  t.after(() => Promise.all([batched.close(), sequential.close()]));
  const together = await Promise.all(pushes.map((p) => batched.put(p, at))); // one turn: one transaction
  const oneByOne = [];
  for (const p of pushes) oneByOne.push(await sequential.put(p, at));
  assert.deepEqual(together, oneByOne);
  assert.deepEqual(together.map((r) => r.replaced), [false, true, false, false]);
});

test('close: pushes accepted before close are written; the WAL is checkpointed and removed', async (t) => {
  const path = tempDb(t);
  const store = new SqliteStore(path);
  const many = Array.from({ length: 300 }, (_, i) => store.put(run(i), at)); // past CHECKPOINT_EVERY_ROWS: the worker runs
  await Promise.all(many.slice(0, 200));
  const closed = store.close(); // the rest are still queued
  await Promise.all(many);
  await closed;
  assert.equal(existsSync(`${path}-wal`), false, 'the last connection to close removes the WAL');
  assert.equal(storedRunIds(path).length, 300);
});

test('queryPage: SQLite builds the same bytes as runsJson for any names and payload text a push can carry (property)', async () => {
  // selectPageBodySqlite relies on json_quote escaping as JSON.stringify does; strings come from full Unicode.
  const store = new SqliteStore(':memory:');
  try {
    let n = 0;
    await fc.assert(fc.asyncProperty(
      fc.record({ organization: fc.string({ unit: 'binary', minLength: 1 }), repository: fc.string({ unit: 'binary', minLength: 1 }),
        workflow: fc.string({ unit: 'binary', minLength: 1 }), job: fc.string({ unit: 'binary', minLength: 1 }) }),
      fc.array(fc.tuple(fc.string({ unit: 'binary' }), fc.jsonValue()), { minLength: 1, maxLength: 4 }),
      async (scope, runs) => {
        for (const [runId, payload] of runs) {
          await store.put({ ...scope, run_id: runId, execution_id: `e${n++}`, payload: JSON.stringify(payload) }, at);
        }
        const q = { organization: scope.organization, repositories: [scope.repository], workflow: scope.workflow, job: scope.job,
          limit: runs.length };
        const page = await store.queryPage(q);
        assert.deepEqual(Buffer.from(page.body), runsJson(await store.queryJson(q)));
      }), { numRuns: 200 });
  } finally {
    await store.close();
  }
});

test('queryPage: no payload goes through a sort, for one repository name or two', async (t) => {
  const path = tempDb(t);
  await new SqliteStore(path).close(); // the schema
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    for (const repositories of [['my-org/my-repo'], ['my-repo', 'my-org/my-repo']]) {
      const { sql, params } = selectPageBodySqlite({ organization: 'my-org', repositories, workflow: 'ci.yml', job: 'build', limit: 100,
        after: { receivedAt: '2026-01-01T00:00:00.000Z', id: 5 } });
      const plan = (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]).map((r) => r.detail);
      // The runs are read by rowid after the keys are ordered; a temporary b-tree may only order keys of a merge.
      assert.ok(plan.includes('SEARCH r USING INTEGER PRIMARY KEY (rowid=?)'), plan.join('\n'));
      assert.ok(!plan.some((d) => /TEMP B-TREE FOR string_agg/.test(d)), plan.join('\n'));
      if (repositories.length === 1) assert.ok(!plan.some((d) => /TEMP B-TREE/.test(d)), plan.join('\n'));
    }
  } finally {
    db.close();
  }
});

// SqliteStore's group commit (pushes of one event-loop turn share a transaction) and its checkpoint worker. The
// Store contract on both stores is test/integration/receiver-store.test.ts.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { test, type TestContext } from 'node:test';
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

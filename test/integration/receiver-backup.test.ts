// `receiver backup` (issue 12): a copy of a live SQLite store, taken while a receiver process keeps storing pushes,
// opens, passes PRAGMA integrity_check and holds every run acknowledged before the backup started.
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, test } from 'node:test';
import { SqliteStore } from '../../src/receiver/store/sqlite.ts';
import { startReceiverProcess } from '../support/receiver-process.ts';
import { call, mint, pushBody, README_SCOPE, testStoreConfig } from '../support/receiver.ts';
import { receiverCommand } from '../support/transfer.ts';

describe('receiver backup', { concurrency: true }, () => {
  test('backup of a live store under pushes: opens, integrity ok, every run acknowledged before it began', async (t) => {
    const config = await testStoreConfig(t, 'sqlite');
    if (config.kind !== 'sqlite') throw new Error('unreachable');
    const receiver = await startReceiverProcess(t, config);
    const token = await mint({ url: receiver.url } as Parameters<typeof mint>[0], README_SCOPE);
    const acknowledged: string[] = [];
    let pushing = true, n = 0;
    const pusher = (async () => {
      while (pushing) {
        const execution_id = `exec-${n++}`;
        const r = await call(`${receiver.url}/api/v1/metrics`, { token, body: pushBody(README_SCOPE, { run_id: `run-${n}`, execution_id }) });
        if (r.status === 201) acknowledged.push(execution_id);
      }
    })();
    while (acknowledged.length < 20) await new Promise((resolve) => setTimeout(resolve, 20)); // some runs first
    const before = [...acknowledged];
    const out = join(config.path, '..', 'copy.db');
    const r = await receiverCommand(['backup', '--db', config.path, '--out', out]);
    const during = acknowledged.length - before.length;
    pushing = false;
    await pusher;
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`^receiver backup: (\\d+) runs, \\d+ bytes, copied to ${out.replaceAll('.', '\\.')}\\n$`));
    t.diagnostic(`${before.length} runs acknowledged before the backup, ${during} during it`);

    const copy = new DatabaseSync(out, { readOnly: true });
    try {
      assert.deepEqual((copy.prepare('PRAGMA integrity_check').all() as { integrity_check: string }[]).map((row) => row.integrity_check), ['ok']);
      const stored = new Set((copy.prepare('SELECT execution_id FROM runs').all() as { execution_id: string }[]).map((row) => row.execution_id));
      assert.deepEqual(before.filter((e) => !stored.has(e)), [], 'every run acknowledged before the backup is in it');
      assert.equal(Number(/: (\d+) runs/.exec(r.stderr)?.[1]), stored.size, 'the count it reports is the copy\'s');
    } finally {
      copy.close();
    }
    const reopened = new SqliteStore(out); // a store in its own right: a receiver can start on it
    t.after(() => reopened.close());
    assert.ok((await reopened.countRuns()) >= before.length);
  });

  const refusals = [
    { name: 'a PostgreSQL URL (pg_dump is the tool)', args: (dir: string) => ['--db', 'postgresql://u@h/d', '--out', join(dir, 'x.db')],
      message: 'receiver backup: --db: a PostgreSQL store is backed up with pg_dump, not receiver backup' },
    { name: 'a missing store (never an empty copy)', args: (dir: string) => ['--db', join(dir, 'none.db'), '--out', join(dir, 'x.db')],
      message: (dir: string) => `receiver backup: --db: ${JSON.stringify(join(dir, 'none.db'))} does not exist` },
    { name: 'an --out that exists (never overwritten)', args: (dir: string) => ['--db', join(dir, 'metrics.db'), '--out', join(dir, 'taken')],
      message: (dir: string) => `receiver backup: --out: ${JSON.stringify(join(dir, 'taken'))} exists; choose a new file` },
  ];
  for (const c of refusals) {
    test(`backup refuses ${c.name}: one line, exit 2`, async (t) => {
      const config = await testStoreConfig(t, 'sqlite');
      if (config.kind !== 'sqlite') throw new Error('unreachable');
      const dir = join(config.path, '..');
      new SqliteStore(config.path).close().catch(() => undefined);
      writeFileSync(join(dir, 'taken'), 'keep me');
      const r = await receiverCommand(['backup', ...c.args(dir)]);
      assert.equal(r.status, 2);
      const message = typeof c.message === 'string' ? c.message : c.message(dir);
      assert.equal(r.stderr.split('\n')[0], message);
      assert.equal(existsSync(join(dir, 'x.db')), false);
    });
  }
});

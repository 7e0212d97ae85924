// Moving runs between stores (issue 12): export pages through every run by id, import keeps each run's received_at
// and is idempotent, and bin/receiver moves a store SQLite → PostgreSQL → SQLite losing nothing, row for row.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { exportLines } from '../../src/receiver/maintenance/export.ts';
import type { ImportRun, Store } from '../../src/receiver/store/types.ts';
import { ROOT } from '../support/programs.ts';
import { openTestStore, postgresSkip, STORE_KINDS, testStoreConfig } from '../support/receiver.ts';
import { dbArgument, dumpRows, receiverCommand, seedRuns } from '../support/transfer.ts';

const PG_SKIP = await postgresSkip();
const SCOPE = { organization: 'o', repository: 'o/r', workflow: 'w', job: 'j' };
const imp = (fields: Partial<ImportRun>): ImportRun =>
  ({ ...SCOPE, run_id: 'r', payload: '{"n":1}', received_at: '2026-01-01T00:00:00.000Z', ...fields });
const collect = async (store: Store, filter: Parameters<typeof exportLines>[1] = {}, page?: number) => {
  const lines: string[] = [];
  for await (const line of exportLines(store, filter, page)) lines.push(line);
  return lines.map((l) => JSON.parse(l) as { run_id: string; received_at: string });
};
const dir = (config: { kind: string; path?: string }) => (config.kind === 'sqlite' ? join(config.path!, '..') : '');

for (const kind of STORE_KINDS) {
  describe(`transfer (${kind})`, { skip: kind === 'postgres' && PG_SKIP, concurrency: true }, () => {
    test('exportRuns: in id order (a replaced run keeps its place), every run once across pages of 2, filters exact', async (t) => {
      const store = await openTestStore(t, await testStoreConfig(t, kind));
      await seedRuns(store);
      const all = await collect(store, {}, 2);
      assert.deepEqual(all.map((r) => r.run_id), ['run-1', 'run-2', 'run-3', 'run-4', 'run-5', 'run-6', 'run-6']);
      assert.deepEqual(await collect(store, {}, 1000), all, 'paging changes nothing');
      assert.deepEqual((await collect(store, { job: 'tést ✓' }, 1)).map((r) => r.run_id), ['run-3', 'run-4']);
      assert.deepEqual((await collect(store, { organization: 'other' })).map((r) => r.run_id), ['run-5']);
      assert.deepEqual((await collect(store, { repository: 'my-org' })).map((r) => r.run_id), [], 'exact: no bare-name match');
      assert.deepEqual((await collect(store, { since: '2026-01-01T00:00:03.000Z', until: '2026-01-01T00:00:06.000Z' }, 1))
        .map((r) => r.run_id), ['run-3', 'run-4', 'run-6'], 'since inclusive, until exclusive');
    });

    test('importRuns: new → imported, again → unchanged, later received_at → replaced, earlier → skipped', async (t) => {
      const store = await openTestStore(t, await testStoreConfig(t, kind));
      const first = imp({ execution_id: 'e1', received_at: '2026-01-01T00:00:05.000Z' });
      assert.deepEqual(await store.importRuns([first, imp({})]), ['imported', 'imported']);
      assert.deepEqual(await store.importRuns([first, imp({})]), ['unchanged', 'unchanged'], 'idempotent, also without execution_id');
      assert.deepEqual(await store.importRuns([imp({ execution_id: 'e1', run_id: 'older', received_at: '2026-01-01T00:00:01.000Z' })]), ['skipped']);
      assert.deepEqual(await store.importRuns([imp({ execution_id: 'e1', run_id: 'newer', payload: '{"n":2}',
        received_at: '2026-01-01T00:00:09.000Z' })]), ['replaced']);
      assert.deepEqual(await store.importRuns([imp({ received_at: '2026-01-01T00:00:01.000Z' })]), ['imported'], 'another time: another run');
      assert.deepEqual((await collect(store)).map((r) => [r.run_id, r.received_at]), [
        ['newer', '2026-01-01T00:00:09.000Z'], ['r', '2026-01-01T00:00:00.000Z'], ['r', '2026-01-01T00:00:01.000Z']], 'replaced in place');
    });
  });
}

describe('receiver export | import', { skip: PG_SKIP, concurrency: true }, () => {
  test('SQLite → PostgreSQL → SQLite through bin/receiver: every row, field for field; a second import adds nothing', async (t) => {
    const sqlite = await testStoreConfig(t, 'sqlite');
    const source = await openTestStore(t, sqlite);
    const stored = await seedRuns(source);
    await source.close();
    const original = await dumpRows(sqlite);
    assert.equal(original.length, stored);
    assert.ok(original.every((r) => r.stats !== null), 'pushed runs have stats');

    const file = join(dir(sqlite), 'runs.ndjson');
    const exported = await receiverCommand(['export', '--db', dbArgument(sqlite), '--out', file]);
    assert.equal(exported.status, 0, exported.stderr);
    assert.equal(exported.stderr, `receiver export: ${stored} runs written to ${file}\n`);
    assert.equal(readFileSync(file, 'utf8').split('\n').length, stored + 1);

    const postgres = await testStoreConfig(t, 'postgres');
    for (const [i, want] of [[1, `${stored} imported, 0 replaced, 0 unchanged`], [2, `0 imported, 0 replaced, ${stored} unchanged`]] as const) {
      const r = await receiverCommand(['import', '--db', dbArgument(postgres), file]);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stderr, `receiver import: ${stored} lines: ${want}, 0 skipped\n`, `import ${i}`);
    }
    assert.deepEqual(await dumpRows(postgres), original, 'stats too: derived on import as on a push');

    // Back: PostgreSQL's export on stdout, into a fresh SQLite file through stdin.
    const again = await receiverCommand(['export', '--db', dbArgument(postgres)]);
    assert.equal(again.status, 0, again.stderr);
    assert.equal(again.stdout, readFileSync(file, 'utf8'), 'the same lines in the same order, byte for byte (payloads as stored)');
    const back = await testStoreConfig(t, 'sqlite');
    const r = await receiverCommand(['import', '--db', dbArgument(back)], again.stdout);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(await dumpRows(back), original, 'SQLite → PostgreSQL → SQLite: identical rows, stats included');
  });
});

describe('receiver import: bad input', { concurrency: true }, () => {
  const cases = [
    { name: 'not JSON', line: '{"organization": "o",', error: /^line 2: not JSON/ },
    { name: 'an unknown field', line: JSON.stringify({ ...imp({}), id: 7 }), error: /^line 2: "id": unknown field$/ },
    { name: 'a number for run_id', line: JSON.stringify({ ...imp({}), run_id: 5 }), error: /^line 2: run_id: 5 is not a string$/ },
    { name: 'a bad received_at', line: JSON.stringify({ ...imp({}), received_at: 'yesterday' }), error: /^line 2: received_at: "yesterday" is not an RFC 3339 time$/ },
    { name: 'a payload that is not an object', line: JSON.stringify({ ...imp({}), payload: [1] }), error: /^line 2: payload: not a JSON object$/ },
  ];
  for (const c of cases) {
    test(`import: ${c.name} on line 2 stops the import there, naming the line; line 1 is stored; exit 1`, async (t) => {
      const config = await testStoreConfig(t, 'sqlite');
      const good = JSON.stringify({ ...imp({}), payload: { n: 1 } });
      const file = join(dir(config), 'in.ndjson');
      writeFileSync(file, `${good}\n${c.line}\n${good.replace('"r"', '"never"')}\n`);
      const r = await receiverCommand(['import', '--db', config.kind === 'sqlite' ? config.path : '', file]);
      assert.equal(r.status, 1);
      const message = /^receiver import: (.*); stopped there after 2 lines: 1 imported, 0 replaced, 0 unchanged, 0 skipped\n$/.exec(r.stderr);
      assert.ok(message !== null, r.stderr);
      assert.match(message[1]!, c.error);
      assert.deepEqual((await dumpRows(config)).map((row) => row.run_id), ['r']);
    });
  }
});

describe('receiver subcommands as a process', { concurrency: true }, () => {
  const cases = [
    { args: ['export', '--bogus'], status: 2, stderr: 'receiver export: Unknown option \'--bogus\'\nTry \'receiver export --help\'.\n' },
    { args: ['import', '--db', ''], status: 2, stderr: 'receiver import: --db: empty\nTry \'receiver import --help\'.\n' },
    { args: ['export', '--db', '/nonexistent/m.db'], status: 2, stderr: 'receiver export: --db: "/nonexistent/m.db" does not exist\n' },
  ];
  for (const c of cases) {
    test(`receiver ${c.args.join(' ')}: one line naming the flag, exit ${c.status}`, async () => {
      const r = await receiverCommand(c.args);
      assert.deepEqual([r.status, r.stderr, r.stdout], [c.status, c.stderr, '']);
    });
  }

  test('receiver export | head: the reader closing stdout early ends the export quietly, exit 0', async (t) => {
    const config = await testStoreConfig(t, 'sqlite');
    const store = await openTestStore(t, config);
    await store.importRuns(Array.from({ length: 300 }, (_, i) => imp({ run_id: `r${i}`, execution_id: `e${i}`, payload: JSON.stringify({ pad: 'x'.repeat(1000) }) })));
    const r = await new Promise<{ status: unknown; stderr: string }>((resolve) => execFile('bash', ['-o', 'pipefail', '-c',
      `${ROOT}bin/receiver export --db ${dbArgument(config)} | head -c 100 > /dev/null`], (err, _stdout, stderr) =>
      resolve({ status: err === null ? 0 : err.code, stderr })));
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /^receiver export: stopped after \d+ runs: the reader closed stdout\n$/);
  });

  test('receiver --help names the three commands and --retention; receiver import --help is its own', async () => {
    const main = await receiverCommand(['--help']);
    assert.equal(main.status, 0);
    for (const word of ['export', 'import', 'backup', '--retention']) assert.ok(main.stdout.includes(word), word);
    const sub = await receiverCommand(['import', '--help']);
    assert.deepEqual([sub.status, sub.stdout.split('\n')[0]], [0, 'Usage: receiver import [flags] [FILE]']);
  });
});

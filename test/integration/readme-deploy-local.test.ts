// The README's "Deploy" blocks marked `readme-deploy: local` (retention, backup, export over HTTP, moving a store
// to PostgreSQL), run with bash as written, in a folder of their own that holds a store with runs older and younger
// than the 30 days they keep; then what each line left behind is checked. The only change to the text: the
// PostgreSQL URL points at a schema of this test's own. (The podman and kubectl blocks: test/pod/readme-deploy.test.ts.)
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { test } from 'node:test';
import { encodeRunStats, runStats } from '../../src/receiver/sizing/run-stats.ts';
import { SqliteStore } from '../../src/receiver/store/sqlite.ts';
import { ROOT } from '../support/programs.ts';
import { createTestSchema, PG_URL, postgresSkip } from '../support/receiver.ts';
import { dbArgument, dumpRows } from '../support/transfer.ts';

const README_PG_URL = 'postgres://postgres@127.0.0.1:5432/rrc';
const readme = readFileSync(`${ROOT}README.md`, 'utf8');
const section = /\n## Deploy\n([\s\S]*?)(?=\n## )/.exec(readme)?.[1] ?? '';
const blocks = [...section.matchAll(/<!-- readme-deploy: local -->\s*```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);

const portFree = (port: number) => new Promise<boolean>((resolve) => {
  const server = createServer().once('error', () => resolve(false));
  server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
});

test('README "Deploy": every sh block is marked run, kubernetes or local, so that a test runs or checks each', () => {
  const unmarked = [...section.matchAll(/(<!-- readme-deploy: (?:run|kubernetes|local) -->\s*)?```sh\n([^\n]*)/g)]
    .filter((m) => m[1] === undefined).map((m) => m[2]);
  assert.deepEqual(unmarked, []);
});

test('README "Deploy": the retention, backup, export and move commands run as written and do what they say',
  { timeout: 180_000 }, async (t) => {
    const pgSkip = await postgresSkip();
    if (pgSkip !== false) { t.skip(pgSkip); return; }
    assert.equal(blocks.length, 2, 'two `readme-deploy: local` blocks');
    assert.ok(blocks.some((b) => b.includes(README_PG_URL)));
    assert.ok(await portFree(8080), 'the README\'s port 8080 must be free on 127.0.0.1');
    const dir = mkdtempSync(join(tmpdir(), 'rrc-readme-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    symlinkSync(join(ROOT, 'bin'), join(dir, 'bin')); // `bin/receiver` as in a checkout

    const now = Date.now(), day = 86_400_000;
    const store = new SqliteStore(join(dir, 'metrics.db'));
    const repos = ['my-org/my-repo', 'my-org/other'];
    for (const [i, age] of [40, 31, 29, 1].entries()) {
      for (const repository of repos) {
        const summary = { complete: true, duration_seconds: 600 + i, containers: [] };
        await store.put({ organization: 'my-org', repository, workflow: 'ci.yml', job: 'build', run_id: `${age}d`, execution_id: `${repository}-${i}`,
          payload: JSON.stringify(summary), stats: encodeRunStats(runStats(summary)) }, new Date(now - age * day)); // as a push stores it
      }
    }
    await store.close();
    const schema = await createTestSchema(t);
    const script = blocks.join('\n').replaceAll(README_PG_URL, dbArgument({ kind: 'postgres', url: PG_URL, schema }));

    const r = spawnSync('bash', ['-euo', 'pipefail', '-c', script], { cwd: dir, encoding: 'utf8', timeout: 170_000 });
    assert.equal(r.status, 0, `stdout:\n${r.stdout}\nstderr:\n${r.stderr.slice(-4000)}`);
    assert.match(r.stdout, /^receiver_runs_pruned_total 4$/m, 'the first pass deleted the 40- and 31-day-old runs of both repositories');
    assert.match(r.stdout, /^moved, run for run$/m);
    assert.ok(await portFree(8080), 'the receiver stopped');

    const young = ['29d', '29d', '1d', '1d'];
    const backups = readdirSync(dir).filter((f) => /^metrics-\d{4}-\d{2}-\d{2}\.db$/.test(f));
    assert.equal(backups.length, 1, readdirSync(dir).join(' '));
    const copy = new DatabaseSync(join(dir, backups[0]!), { readOnly: true });
    try {
      assert.deepEqual((copy.prepare('PRAGMA integrity_check').all() as { integrity_check: string }[]).map((x) => x.integrity_check), ['ok']);
      assert.deepEqual((copy.prepare('SELECT run_id FROM runs ORDER BY id').all() as { run_id: string }[]).map((x) => x.run_id), young);
    } finally {
      copy.close();
    }
    const lines = (file: string) => readFileSync(join(dir, file), 'utf8').trimEnd().split('\n')
      .map((l) => JSON.parse(l) as { repository: string; run_id: string });
    assert.deepEqual(lines('my-repo.ndjson').map((l) => [l.repository, l.run_id]), [['my-org/my-repo', '29d'], ['my-org/my-repo', '1d']]);
    assert.deepEqual(lines('runs.ndjson').map((l) => l.run_id), young);
    const sqliteRows = await dumpRows({ kind: 'sqlite', path: join(dir, 'metrics.db') });
    assert.deepEqual(await dumpRows({ kind: 'postgres', url: PG_URL, schema }), sqliteRows, 'PostgreSQL holds the SQLite rows, column for column');
    assert.match(r.stderr, /^receiver import: 4 lines: 4 imported, 0 replaced, 0 unchanged, 0 skipped$/m);
    assert.deepEqual(readdirSync(dir).filter((f) => f.includes('.partial-')), [], 'no temporary file left');
  });

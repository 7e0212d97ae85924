// The two programs together: the collector process pushes its summary to a receiver, on each store, and
// the query API returns exactly the summary the collector wrote to --output.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { call, mint, postgresSkip, queryUrl, READ_TOKEN, README_SCOPE, startTestReceiver, STORE_KINDS, testStoreConfig } from '../support/receiver.ts';
import { startProgram, waitFor } from '../support/programs.ts';
import type { PushBody } from '../../src/summary/types.ts';

const PG_SKIP = await postgresSkip();

for (const kind of STORE_KINDS) {
  describe(`collector -> receiver (${kind})`, { skip: kind === 'postgres' && PG_SKIP }, () => {
    test('the pushed summary is stored once and read back unchanged', async (t) => {
      const receiver = await startTestReceiver(t, await testStoreConfig(t, kind));
      const token = await mint(receiver, README_SCOPE);
      const dir = mkdtempSync(`${tmpdir()}/rrc-e2e-`);
      t.after(() => rmSync(dir, { recursive: true, force: true }));
      const collector = startProgram('collector', ['--interval=100ms', `--push-endpoint=${receiver.url}/api/v1/metrics`,
        `--output=${dir}/summary.json`, '--log-format=json', '--log-level=debug'], {
        COLLECTOR_PUSH_TOKEN: token, GITHUB_REPOSITORY_OWNER: README_SCOPE.organization, GITHUB_REPOSITORY: README_SCOPE.repository,
        GITHUB_WORKFLOW: README_SCOPE.workflow, GITHUB_JOB: README_SCOPE.job, GITHUB_RUN_ID: 'run-e2e-1',
      });
      t.after(() => collector.child.kill('SIGKILL'));
      await waitFor('three samples', () => (collector.stderr.split('"msg":"sample taken"').length > 3 ? true : undefined));
      collector.child.kill('SIGTERM');
      assert.equal(await collector.exited, 0, collector.stderr);
      assert.match(collector.stderr, /"msg":"summary pushed"/);
      assert.ok(!collector.stderr.includes(token), 'the push token leaked into the log');

      const written = JSON.parse(readFileSync(`${dir}/summary.json`, 'utf8')) as PushBody;
      const rows = (await call(queryUrl(receiver, README_SCOPE), { token: READ_TOKEN })).json as
        { organization: string; repository: string; run_id: string; payload: unknown }[];
      assert.equal(rows.length, 1);
      assert.deepEqual([rows[0]!.organization, rows[0]!.repository, rows[0]!.run_id], ['my-org', 'my-org/my-repo', 'run-e2e-1']);
      assert.deepEqual(rows[0]!.payload, written.summary);
      assert.ok(written.summary.sample_count >= 2);
    });
  });
}

// The image's entry point starts the collector with its Node flags (src/collector/node-flags.ts) by becoming a
// Node started with them: same pid, the program's own arguments unchanged. The receiver runs without them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { build } from 'esbuild';
import { COLLECTOR_NODE_FLAGS } from '../../src/collector/node-flags.ts';

/** dist/entry.js as scripts/image.ts builds it, beside stand-in bundles that print how they were started. */
async function entryWithStandIns(t: { after: (fn: () => void) => void }): Promise<string> {
  const dir = mkdtempSync(`${tmpdir()}/rrc-entry-`);
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  await build({ entryPoints: [new URL('../../src/entry.ts', import.meta.url).pathname], outfile: `${dir}/entry.js`, bundle: true,
    platform: 'node', format: 'esm', logLevel: 'warning' });
  const standIn = 'process.stdout.write(JSON.stringify({ pid: process.pid, execArgv: process.execArgv, args: process.argv.slice(2) }));\n';
  writeFileSync(`${dir}/collector.js`, standIn);
  writeFileSync(`${dir}/receiver.js`, standIn);
  writeFileSync(`${dir}/package.json`, '{"type":"module"}\n');
  return `${dir}/entry.js`;
}

type Started = { pid: number; execArgv: string[]; args: string[] };

test('entry: the collector runs with its Node flags, in the same process, with its own arguments', async (t) => {
  const entry = await entryWithStandIns(t);
  const r = spawnSync(process.execPath, [entry, 'collector', '--interval=2s', 'run', '--', 'make', '-j4'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const started = JSON.parse(r.stdout) as Started;
  assert.equal(started.pid, r.pid);
  assert.deepEqual(started.execArgv, [...COLLECTOR_NODE_FLAGS]);
  assert.deepEqual(started.args, ['--interval=2s', 'run', '--', 'make', '-j4']);
  assert.equal(r.stderr, ''); // no warning line among the JSON logs
});

test('entry: the receiver runs without them, and flags given to node are kept', async (t) => {
  const entry = await entryWithStandIns(t);
  const receiver = JSON.parse(execFileSync(process.execPath, ['--stack-size=900', entry, 'receiver', '--addr=:0'], { encoding: 'utf8' })) as Started;
  assert.deepEqual([receiver.execArgv, receiver.args], [['--stack-size=900'], ['--addr=:0']]);
  const collector = JSON.parse(execFileSync(process.execPath, ['--stack-size=900', entry, 'collector'], { encoding: 'utf8' })) as Started;
  assert.deepEqual(collector.execArgv, [...COLLECTOR_NODE_FLAGS, '--stack-size=900']);
});

test('bin/run-node starts the collector with the same flags as the image', () => {
  const script = readFileSync(new URL('../../bin/run-node', import.meta.url), 'utf8');
  const flags = /if \[ "\$program" = collector \]; then flags="([^"]*)"; fi/.exec(script)?.[1];
  assert.deepEqual(flags?.split(' '), [...COLLECTOR_NODE_FLAGS]);
});

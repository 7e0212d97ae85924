// The bundled collector loads only the Node built-ins its path needs (src/node-builtins.ts): an `import` of a
// built-in anywhere in the bundle is hoisted to its top and, for node:http, loads undici, tls, crypto and http2
// at start (+16 MiB resident). Runs the bundle as scripts/build.ts makes it, with a preload that writes the
// modules Node loaded when the process exits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { AddressInfo } from 'node:net';
import { build } from 'esbuild';
import { bundleOptions } from '../../scripts/bundle-options.ts';
import { COLLECTOR_NODE_FLAGS } from '../../src/collector/node-flags.ts';

/** What a bundle must not load while sampling, and what pushing may add. */
const NEVER = ['internal/deps/undici/undici', 'http2', 'tls', 'zlib', 'crypto', 'child_process', 'fs/promises', 'worker_threads'];

async function bundle(t: { after: (fn: () => void) => void }): Promise<{ dir: string; js: string; preload: string }> {
  const dir = mkdtempSync(`${tmpdir()}/rrc-builtins-`);
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  await build({ ...bundleOptions('collector', `${dir}/collector.js`), sourcemap: false, legalComments: 'none' });
  const preload = `${dir}/preload.mjs`;
  writeFileSync(preload, `process.on('exit', () => process.getBuiltinModule('node:fs').writeFileSync(${JSON.stringify(`${dir}/modules.json`)},
    JSON.stringify(process.moduleLoadList.filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice(13)))));\n`);
  return { dir, js: `${dir}/collector.js`, preload };
}

async function runCollector(b: { dir: string; js: string; preload: string }, args: string[], env: Record<string, string> = {}): Promise<{ modules: string[]; log: string }> {
  const child = spawn(process.execPath, [...COLLECTOR_NODE_FLAGS, '--import', b.preload, b.js, '--interval=100ms', '--log-level=debug',
    '--checkpoint-interval=0', `--output=${b.dir}/summary.json`, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr.setEncoding('utf8').on('data', (s: string) => { log += s; });
  const deadline = Date.now() + 20_000;
  while (log.split('"sample taken"').length <= 3) {
    assert.ok(Date.now() < deadline, `no three samples in 20 s:\n${log}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGTERM');
  const [code] = await once(child, 'exit') as [number | null];
  assert.equal(code, 0, log);
  return { modules: JSON.parse(readFileSync(`${b.dir}/modules.json`, 'utf8')) as string[], log };
}

test('bundled collector: sampling and summarising load no network, crypto or child-process module', async (t) => {
  const b = await bundle(t);
  const { modules } = await runCollector(b, []);
  assert.ok(modules.includes('fs'), 'the preload saw the module list');
  assert.deepEqual(NEVER.filter((m) => modules.includes(m)), []);
  assert.ok(!modules.includes('http'), 'node:http without a push endpoint');
});

test('bundled collector: no ICU-backed string or number formatting anywhere in the bundle', async (t) => {
  // localeCompare, toLocaleString and Intl load ICU's data: 3 to 7 MiB resident each, at the first summary.
  const b = await bundle(t);
  const text = readFileSync(b.js, 'utf8');
  assert.deepEqual(['localeCompare(', 'toLocaleString(', 'toLocaleDateString(', 'toLocaleTimeString(', 'Intl.'].filter((s) => text.includes(s)), []);
});

test('bundled collector: a push loads node:http and nothing of undici, tls or crypto', async (t) => {
  const b = await bundle(t);
  const server = createServer((req, res) => { req.resume(); req.on('end', () => res.writeHead(202).end('{}')); });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => server.close());
  const port = (server.address() as AddressInfo).port;
  const { modules, log } = await runCollector(b, [`--push-endpoint=http://127.0.0.1:${port}/api/v1/metrics`], {
    COLLECTOR_PUSH_TOKEN: 'builtins-test-token', GITHUB_REPOSITORY_OWNER: 'o', GITHUB_REPOSITORY: 'o/r', GITHUB_WORKFLOW: 'w',
    GITHUB_JOB: 'j', GITHUB_RUN_ID: '1' });
  assert.match(log, /"msg":"summary pushed"/);
  assert.ok(modules.includes('http'));
  assert.deepEqual(NEVER.filter((m) => modules.includes(m)), []);
});

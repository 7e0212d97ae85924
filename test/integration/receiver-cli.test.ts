// bin/receiver as a process: usage errors are one line and exit 2 without echoing secrets, --help
// lists every flag, and a started receiver serves, then exits 0 on SIGTERM with no secret in its log.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../src/receiver/main.ts', import.meta.url));
const SECRET_READ = 'cli-read-secret-91b2';
const SECRET_KEY = 'cli-hmac-secret-4c7d';
const cleanEnv = () => {
  const env = { ...process.env };
  delete env.RECEIVER_READ_TOKEN;
  delete env.RECEIVER_HMAC_KEY;
  return env;
};
/** Runs the CLI to completion (asynchronously, so that the cases run side by side). */
const run = (args: string[], env: NodeJS.ProcessEnv = cleanEnv()) =>
  new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, [MAIN, ...args], { env, encoding: 'utf8', timeout: 10_000 }, (err, stdout, stderr) =>
      resolve({ status: err === null ? 0 : typeof err.code === 'number' ? err.code : null, stdout, stderr }));
  });

describe('receiver cli', { concurrency: true }, () => {
  // The message for each bad value is config.test.ts's subject; here: how the process reports one.
  const usageCases = [
    { name: 'hmac key missing', args: [`--read-token=${SECRET_READ}`], message: 'receiver: --hmac-key or RECEIVER_HMAC_KEY is required' },
    { name: 'unknown flag', args: [`--readtoken=${SECRET_READ}`], message: "receiver: Unknown option '--readtoken'" },
    { name: 'stray argument', args: [SECRET_READ], message: 'receiver: unexpected argument (not echoed: it may be a secret)' },
  ];
  for (const c of usageCases) {
    test(`usage error (${c.name}): one line, the help hint, exit 2, no secret echoed`, async () => {
      const r = await run(c.args);
      assert.equal(r.status, 2, r.stderr);
      assert.equal(r.stderr, `${c.message}\nTry 'receiver --help'.\n`);
      assert.equal(r.stdout, '');
    });
  }

  test('--help: lists every flag and both environment variables, exit 0', async () => {
    const r = await run(['--help']);
    assert.equal(r.status, 0);
    for (const word of ['--addr', '--db', '--read-token', '--hmac-key', '--log-level', '--log-format', '--help',
      'RECEIVER_READ_TOKEN', 'RECEIVER_HMAC_KEY', 'postgres://']) assert.ok(r.stdout.includes(word), `--help lacks ${word}`);
  });

  test('run: starts on port 0, logs the bound port, serves, exits 0 on SIGTERM; no secret in its output', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'rrc-cli-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const child = spawn(process.execPath, [MAIN, '--addr', '127.0.0.1:0', '--db', join(dir, 'm.db'), '--log-level', 'debug'],
      { env: { ...cleanEnv(), RECEIVER_READ_TOKEN: SECRET_READ, RECEIVER_HMAC_KEY: SECRET_KEY }, stdio: ['ignore', 'pipe', 'pipe'] });
    t.after(() => { if (child.exitCode === null) child.kill('SIGKILL'); });
    let output = '';
    child.stdout.on('data', (d: Buffer) => { output += d.toString(); });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const port = await new Promise<number>((resolve, reject) => {
      const deadline = setTimeout(() => reject(new Error(`no "receiver started" line in 10 s: ${output}`)), 10_000);
      child.stderr.on('data', (d: Buffer) => {
        output += d.toString();
        const m = /"msg":"receiver started"/.test(output) ? /"port":(\d+)/.exec(output) : null;
        if (m) { clearTimeout(deadline); resolve(Number(m[1])); }
      });
      void exited.then((code) => reject(new Error(`exited early with ${code}: ${output}`)));
    });
    const url = `http://127.0.0.1:${port}`;
    assert.equal((await fetch(`${url}/healthz`)).status, 200);
    const minted = await fetch(`${url}/api/v1/token`, { method: 'POST', headers: { authorization: `Bearer ${SECRET_READ}`,
      'content-type': 'application/json' }, body: JSON.stringify({ organization: 'o', repository: 'o/r', workflow: 'w', job: 'j' }) });
    const { token } = await minted.json() as { token: string };
    child.kill('SIGTERM');
    assert.equal(await exited, 0, output);
    assert.match(output, /"msg":"receiver stopped"/);
    for (const secret of [SECRET_READ, SECRET_KEY, token]) assert.ok(!output.includes(secret), 'a secret reached the output');
  });
});

// No summary lost when the network, the receiver or the job dies (issue 7, collector side): the collector
// process against a receiver that is down, comes back, sits behind a flaky proxy, or outlives the collector.
import { describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import type { AddressInfo } from 'node:net';
import { startReceiver } from '../../src/receiver/server.ts';
import type { Receiver } from '../../src/receiver/server.ts';
import { call, captureLogger, mint, queryUrl, READ_TOKEN, README_SCOPE, testConfig, testStoreConfig } from '../support/receiver.ts';
import { startProgram, waitFor, type Started } from '../support/programs.ts';
import type { RunSummary } from '../../src/summary/types.ts';

type Row = { run_id: string; payload: RunSummary };

async function freePort(): Promise<number> {
  const s = createServer().listen(0, '127.0.0.1');
  await once(s, 'listening');
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

async function receiverOn(t: TestContext, port = 0): Promise<Receiver> {
  const config = { ...testConfig(await testStoreConfig(t, 'sqlite')), listen: { host: '127.0.0.1', port } };
  const receiver = await startReceiver(config, { logger: captureLogger().logger });
  t.after(() => receiver.close());
  return receiver;
}

function spoolDir(t: TestContext): string {
  const dir = mkdtempSync(`${tmpdir()}/rrc-rel-`);
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return `${dir}/spool`;
}

function collector(t: TestContext, endpoint: string, token: string, spool: string, extra: string[] = [], runId = 'run-1'): Started {
  const c = startProgram('collector', ['--interval=100ms', `--push-endpoint=${endpoint}`, `--spool-dir=${spool}`, '--log-format=json',
    '--log-level=debug', ...extra], {
    COLLECTOR_PUSH_TOKEN: token, GITHUB_REPOSITORY_OWNER: README_SCOPE.organization, GITHUB_REPOSITORY: README_SCOPE.repository,
    GITHUB_WORKFLOW: README_SCOPE.workflow, GITHUB_JOB: README_SCOPE.job, GITHUB_RUN_ID: runId,
  });
  t.after(() => c.child.kill('SIGKILL'));
  return c;
}
const samples = (c: Started, n: number) => waitFor(`${n} samples`, () => (c.stderr.split('"msg":"sample taken"').length > n ? true : undefined));
const rows = async (r: Receiver) => (await call(queryUrl(r, README_SCOPE), { token: READ_TOKEN })).json as Row[];
const spooled = (dir: string) => { try { return readdirSync(dir).filter((n) => n.endsWith('.summary.json')); } catch { return []; } };

// The token is an HMAC of the scope: any receiver with the test key accepts it, so it can be minted up front.
async function tokenFor(t: TestContext): Promise<string> {
  return mint(await receiverOn(t), README_SCOPE);
}

describe('collector delivery', () => {
  test('the receiver is down at SIGTERM and comes back within the deadline: one row, exit 0', async (t) => {
    const token = await tokenFor(t);
    const port = await freePort();
    const spool = spoolDir(t);
    const c = collector(t, `http://127.0.0.1:${port}/api/v1/metrics`, token, spool, ['--push-timeout=15s']);
    await samples(c, 3);
    c.child.kill('SIGTERM');
    await waitFor('a failed attempt', () => (c.stderr.includes('push failed, retrying') ? true : undefined));
    const receiver = await receiverOn(t, port);
    assert.equal(await c.exited, 0, c.stderr);
    assert.equal((await rows(receiver)).length, 1);
    assert.deepEqual(spooled(spool), []);
  });

  test('down past the deadline: the summary is spooled (exit 1), and the next start delivers it', async (t) => {
    const token = await tokenFor(t);
    const port = await freePort();
    const spool = spoolDir(t);
    const first = collector(t, `http://127.0.0.1:${port}/api/v1/metrics`, token, spool, ['--push-timeout=1s'], 'run-lost');
    await samples(first, 2);
    first.child.kill('SIGTERM');
    assert.equal(await first.exited, 1);
    assert.match(first.stderr, /"msg":"push failed; summary spooled"/);
    assert.equal(spooled(spool).length, 1);

    const receiver = await receiverOn(t, port);
    const next = collector(t, `${receiver.url}/api/v1/metrics`, token, spool, [], 'run-next');
    await waitFor('the spooled summary delivered', () => (next.stderr.includes('spooled summary delivered') ? true : undefined));
    next.child.kill('SIGTERM');
    assert.equal(await next.exited, 0, next.stderr);
    assert.deepEqual((await rows(receiver)).map((r) => r.run_id).sort(), ['run-lost', 'run-next']);
    assert.deepEqual(spooled(spool), []);
  });

  test('collector flush delivers the spool on demand and exits 0', async (t) => {
    const token = await tokenFor(t);
    const port = await freePort();
    const spool = spoolDir(t);
    const first = collector(t, `http://127.0.0.1:${port}/api/v1/metrics`, token, spool, ['--push-timeout=500ms']);
    await samples(first, 2);
    first.child.kill('SIGTERM');
    assert.equal(await first.exited, 1);
    const receiver = await receiverOn(t, port);
    const flush = startProgram('collector', ['flush', `--spool-dir=${spool}`]);
    assert.equal(await flush.exited, 0, flush.stderr);
    assert.equal((await rows(receiver)).length, 1);
  });

  test('a flaky proxy (drops, 502, stalls, loses the answer of a stored push): still one row per execution', async (t) => {
    const receiver = await receiverOn(t);
    const token = await mint(receiver, README_SCOPE);
    const target = new URL(receiver.url);
    let n = 0;
    const behaviours: string[] = [];
    const proxy: Server = createServer((req, res) => {
      const kind = ['drop', '502', 'stall', 'forward-then-drop', 'forward'][Math.min(n++, 4)]!;
      behaviours.push(kind);
      if (kind === 'drop') { req.socket.destroy(); return; }
      if (kind === '502') { res.writeHead(502).end('bad gateway'); return; }
      if (kind === 'stall') return; // never answers: the attempt times out
      const up = request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers }, (upRes) => {
        if (kind === 'forward-then-drop') { upRes.resume(); upRes.on('end', () => req.socket.destroy()); return; } // stored, answer lost
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.pipe(res);
      });
      req.pipe(up);
    });
    proxy.listen(0, '127.0.0.1');
    await once(proxy, 'listening');
    t.after(() => { proxy.closeAllConnections(); proxy.close(); });
    const c = collector(t, `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/api/v1/metrics`, token, spoolDir(t),
      ['--push-timeout=8s', '--checkpoint-interval=0']);
    await samples(c, 2);
    c.child.kill('SIGTERM');
    assert.equal(await c.exited, 0, c.stderr);
    assert.deepEqual(behaviours, ['drop', '502', 'stall', 'forward-then-drop', 'forward']);
    const stored = await rows(receiver);
    assert.equal(stored.length, 1);
    assert.equal(stored[0]!.payload.complete, true);
  });

  test('killed with SIGKILL after two checkpoints: the receiver holds an incomplete run up to the last one', async (t) => {
    const receiver = await receiverOn(t);
    const token = await mint(receiver, README_SCOPE);
    const c = collector(t, `${receiver.url}/api/v1/metrics`, token, spoolDir(t), ['--checkpoint-interval=1s']);
    await waitFor('two checkpoints', () => (c.stderr.split('"msg":"checkpoint pushed"').length > 2 ? true : undefined));
    const samplesAtKill = c.stderr.split('"msg":"sample taken"').length - 1;
    c.child.kill('SIGKILL');
    await c.exited;
    const stored = await rows(receiver);
    assert.equal(stored.length, 1);
    const s = stored[0]!.payload;
    assert.equal(s.complete, false);
    // The second checkpoint came ~2 s in, at ~100 ms per sample; the kill came after it.
    assert.ok(s.sample_count >= 10 && s.sample_count <= samplesAtKill, `${s.sample_count} samples (${samplesAtKill} taken before the kill)`);
  });

  test('a second SIGTERM during a stalled final push ends the process at once, with the summary spooled', async (t) => {
    const stall = createServer(() => { /* never answers */ });
    stall.listen(0, '127.0.0.1');
    await once(stall, 'listening');
    t.after(() => { stall.closeAllConnections(); stall.close(); });
    const spool = spoolDir(t);
    const c = collector(t, `http://127.0.0.1:${(stall.address() as AddressInfo).port}/api/v1/metrics`, 'tok', spool, ['--push-timeout=20s']);
    await samples(c, 2);
    c.child.kill('SIGTERM');
    await waitFor('the push under way', () => (c.stderr.includes('"msg":"run summarised"') ? true : undefined));
    const second = performance.now();
    c.child.kill('SIGTERM');
    assert.equal(await c.exited, 1);
    assert.ok(performance.now() - second < 2000, `took ${Math.round(performance.now() - second)} ms after the second SIGTERM`);
    assert.equal(spooled(spool).length, 1);
  });
});

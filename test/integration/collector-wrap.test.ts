// `collector run -- CMD`: exit codes, signals, pass-through output, and measurement in a cgroup of its own or
// along the process tree.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type Socket } from 'node:net';
import { needsRoot, unifiedMount } from '../support/cgroup.ts';
import { NODE, startProgram, waitFor } from '../support/programs.ts';
import type { PushBody } from '../../src/summary/types.ts';
import { parseCollectorArgs } from '../../src/collector/config.ts';
import { latchSignals } from '../../src/collector/signals.ts';
import { runWrapped } from '../../src/collector/wrap.ts';
import { createHeldLightLogger } from '../../src/observability/light-log.ts';

function outDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(`${tmpdir()}/rrc-wrap-`);
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
const wrap = (dir: string, flags: string[], command: string[]) =>
  startProgram('collector', ['run', '--interval=100ms', `--output=${dir}/summary.json`, '--log-format=json', ...flags, '--', ...command]);
const summaryOf = (dir: string) => (JSON.parse(readFileSync(`${dir}/summary.json`, 'utf8')) as PushBody).summary;
const leftoverCgroups = () => readdirSync(unifiedMount()).filter((n) => n.startsWith('rrc-run-'));
/**
 * Burns until it has used `ms` of CPU (not of wall time: a loaded machine must not shrink the measured amount, or a
 * few ticks of rounding become a large share), then writes its own CPU time (user+sys, seconds) to `file`.
 */
const burner = (ms: number, file: string) => [NODE, '-e',
  `const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
   for (let i = 0; cpu() < ${ms}; i++) for (let j = 0; j < 1e5; j++);
   require('fs').writeFileSync('${file}', String(cpu() / 1000));`];

describe('collector run', () => {
  for (const [name, command, want] of [
    ['exit 0', ['true'], 0], ['exit 3', ['sh', '-c', 'exit 3'], 3], ['death by SIGTERM is 128+15', ['sh', '-c', 'kill -TERM $$'], 143],
    ['a command that does not exist is 127', ['/no/such/command'], 127],
  ] as const) {
    test(`exits with the command's code: ${name}`, async (t) => {
      const c = wrap(outDir(t), ['--no-cgroup'], [...command]);
      assert.equal(await c.exited, want, c.stderr);
    });
  }

  test('stdout and stderr pass through untouched; the collector\'s logs follow the command\'s output', async (t) => {
    const c = wrap(outDir(t), ['--no-cgroup'], ['sh', '-c', 'printf "out-1\\nout-2\\n"; printf "err-partial" >&2; sleep 0.3; printf " err-end\\n" >&2']);
    assert.equal(await c.exited, 0);
    assert.equal(c.stdout, 'out-1\nout-2\n');
    assert.ok(c.stderr.startsWith('err-partial err-end\n'), c.stderr.slice(0, 200)); // no log line split the command's line
    assert.match(c.stderr, /"msg":"running the command"/);
  });

  test('GITHUB_STEP_SUMMARY gets the Markdown report appended, and stdout stays the command\'s', async (t) => {
    const dir = outDir(t);
    writeFileSync(`${dir}/step.md`, '# earlier step\n');
    const c = startProgram('collector', ['run', '--interval=100ms', '--no-cgroup', '--', 'sh', '-c', 'echo only-this'],
      { GITHUB_STEP_SUMMARY: `${dir}/step.md` });
    assert.equal(await c.exited, 0, c.stderr);
    assert.equal(c.stdout, 'only-this\n'); // the JSON is not printed where a step summary takes the run
    const md = readFileSync(`${dir}/step.md`, 'utf8');
    assert.ok(md.startsWith('# earlier step\n'), 'the step summary was truncated');
    assert.match(md, /^## Resource use: sh -c echo only-this/m);
    assert.match(md, /^\| container \| avg \| p95 \| peak \|/m);
  });

  test('SIGTERM sent to the collector reaches the command', async (t) => {
    const dir = outDir(t);
    // Bounded (about 10 s) so that a collector dying of the signal fails this test instead of leaving a loop behind.
    const c = wrap(dir, ['--no-cgroup'], ['sh', '-c',
      `trap 'echo got-term > ${dir}/term; exit 7' TERM; : > ${dir}/ready; i=0; while [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done`]);
    await waitFor('the command to set its trap', () => (existsSync(`${dir}/ready`) ? true : undefined));
    c.child.kill('SIGTERM');
    assert.equal(await c.exited, 7, `signal ${c.child.signalCode}: ${c.stderr}`);
    assert.equal(readFileSync(`${dir}/term`, 'utf8'), 'got-term\n');
  });

  test('a signal caught before the command exists reaches it as soon as it is spawned', async (t) => {
    // The collector latches stop signals from its first line; a runner cancelling a step at once must not kill the
    // collector (the command would be orphaned) nor be lost. Here the signal is caught before runWrapped spawns.
    const dir = outDir(t);
    const parsed = parseCollectorArgs(['run', '--no-cgroup', '--interval=100ms', `--output=${dir}/summary.json`, '--log-level=error',
      '--', 'sleep', '30'], {});
    assert.equal(parsed.kind, 'wrap');
    if (parsed.kind !== 'wrap') return;
    const signals = latchSignals(['SIGHUP']);
    const dispatched = new Promise((resolve) => process.once('SIGHUP', resolve));
    process.kill(process.pid, 'SIGHUP');
    await dispatched;
    const { logger, release } = createHeldLightLogger('error', 'json', 'collector');
    const started = performance.now();
    assert.equal(await runWrapped(parsed.config, parsed.command, logger, release, signals), 128 + 1); // sleep died of SIGHUP
    assert.ok(performance.now() - started < 10_000, 'sleep ran its 30 s: the signal was not passed on');
    assert.equal(process.listenerCount('SIGHUP'), 0, 'the latch was released');
  });

  test('a signal after the command ended gives up on a hanging push: the summary is spooled, the command\'s code kept', async (t) => {
    const dir = outDir(t);
    const sockets = new Set<Socket>();
    const hanging = createServer((socket) => { sockets.add(socket); }); // accepts, never answers
    await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
    t.after(() => { for (const s of sockets) s.destroy(); hanging.close(); });
    const { port } = hanging.address() as { port: number };
    const c = startProgram('collector', ['run', '--interval=100ms', '--no-cgroup', '--log-format=json',
      `--push-endpoint=http://127.0.0.1:${port}/api/v1/metrics`, '--push-timeout=60s', `--spool-dir=${dir}/spool`, '--', 'sh', '-c', 'exit 4'],
    { COLLECTOR_PUSH_TOKEN: 't', GITHUB_REPOSITORY_OWNER: 'o', GITHUB_REPOSITORY: 'o/r', GITHUB_WORKFLOW: 'w', GITHUB_JOB: 'j', GITHUB_RUN_ID: '1' });
    let exitCode: number | null | undefined;
    void c.exited.then((code) => { exitCode = code; });
    await waitFor('the push to be under way', () => {
      if (exitCode !== undefined) throw new Error(`the collector exited (${exitCode}) before pushing: ${c.stderr}`);
      return sockets.size > 0 ? true : undefined;
    }, 20_000);
    assert.match(c.stderr, /"msg":"the command exited"/);
    const signalled = performance.now();
    c.child.kill('SIGTERM');
    assert.equal(await c.exited, 4, `signal ${c.child.signalCode}: ${c.stderr}`);
    assert.ok(performance.now() - signalled < 10_000, 'the collector waited out the push after the signal');
    assert.match(c.stderr, /"msg":"signal after the command ended: giving up on the push"/);
    assert.equal(readdirSync(`${dir}/spool`).filter((n) => n.endsWith('.summary.json')).length, 1, c.stderr);
  });

  test('without a cgroup: a one-core burner read along the process tree is about one core', async (t) => {
    const dir = outDir(t);
    const c = wrap(dir, ['--no-cgroup'], burner(1500, `${dir}/cpu`));
    assert.equal(await c.exited, 0, c.stderr);
    const s = summaryOf(dir);
    const truth = Number(readFileSync(`${dir}/cpu`, 'utf8'));
    const job = s.containers.find((x) => x.name === 'job')!;
    assert.deepEqual([s.collection.mode, s.containers.length, job.cpu_source], ['process-tree', 1, 'processes']);
    t.diagnostic(`process tree: ${job.cpu_seconds} CPU-s against the burner's own ${truth}`);
    assert.ok(Math.abs(job.cpu_seconds! - truth) / truth < 0.05, `${job.cpu_seconds} vs ${truth}`);
  });
});

describe('collector run in a cgroup of its own', { skip: needsRoot }, () => {
  test('a one-core burner reads about one core from the cgroup\'s counters; the cgroup is gone afterwards', async (t) => {
    const dir = outDir(t);
    const c = wrap(dir, [], burner(1500, `${dir}/cpu`));
    assert.equal(await c.exited, 0, c.stderr);
    const s = summaryOf(dir);
    const truth = Number(readFileSync(`${dir}/cpu`, 'utf8'));
    const job = s.containers.find((x) => x.name === 'job')!;
    assert.equal(s.collection.mode, 'cgroup');
    assert.match(job.cpu_source ?? '', /^cgroup-v[12]$/);
    t.diagnostic(`cgroup: ${job.cpu_seconds} CPU-s against the burner's own ${truth}; p50 ${job.cpu_cores.p50} cores`);
    // The cgroup also holds the shell that moved the command into it, and node's start-up: a little more than the burn.
    assert.ok(job.cpu_seconds! >= truth * 0.98 && job.cpu_seconds! < truth * 1.1, `${job.cpu_seconds} vs ${truth}`);
    assert.deepEqual(leftoverCgroups(), []);
  });

  test('a failing command: its exit code comes through and its cgroup is removed all the same', async (t) => {
    const c = wrap(outDir(t), [], ['sh', '-c', 'exit 5']);
    assert.equal(await c.exited, 5, c.stderr);
    assert.deepEqual(leftoverCgroups(), []);
  });

  test('a daemon that leaves the process tree is still counted; the cgroup is removed although it outlives the command', async (t) => {
    const dir = outDir(t);
    // The daemon double-forks away (its parent is gone at once), burns 1.2 s of wall time while the command sleeps
    // 2 s, records its own CPU time, then lingers past the command's end.
    const daemon = `${NODE} -e "const end = Date.now() + 1200; while (Date.now() < end); const u = process.cpuUsage(); ` +
      `require('fs').writeFileSync('${dir}/daemon', String((u.user + u.system) / 1e6)); setTimeout(() => {}, 3000);"`;
    const c = wrap(dir, [], ['sh', '-c', `(${daemon} &) ; sleep 2`]);
    assert.equal(await c.exited, 0, c.stderr);
    const job = summaryOf(dir).containers.find((x) => x.name === 'job')!;
    const truth = Number(readFileSync(`${dir}/daemon`, 'utf8'));
    t.diagnostic(`with the daemon: ${job.cpu_seconds} CPU-s; the daemon's own ${truth}`);
    assert.ok(job.cpu_seconds! >= truth * 0.95, `the daemon was not counted: ${job.cpu_seconds} CPU-s against its ${truth}`);
    assert.deepEqual(leftoverCgroups(), []);
  });
});

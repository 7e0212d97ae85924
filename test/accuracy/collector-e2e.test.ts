// The collector end to end on the real /proc: it samples a child that burns one core, and on SIGTERM
// pushes a summary to a local HTTP sink. Ground truth is the kernel's own accounting of the burner's cgroup.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { TestCgroup, isRoot, needsRoot } from '../support/cgroup.ts';
import { NODE, startProgram, waitFor } from '../support/programs.ts';
import type { PushBody } from '../../src/summary/types.ts';

type Received = { method: string; url: string; headers: IncomingHttpHeaders; body: string };

async function startSink(t: { after: (fn: () => unknown) => void }) {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => { body += d.toString(); });
    req.on('end', () => {
      received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      res.writeHead(201, { 'content-type': 'application/json' }).end('{"status":"stored"}');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => server.close());
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/metrics`, received };
}

const TOKEN = 'e2e-secret-token-0123456789abcdef';
const BURN_MS = 3000;

test('collector: a one-core burner reads as one core, pushed in the documented body, token never logged',
  { skip: needsRoot, timeout: 30_000 }, async (t) => {
    const sink = await startSink(t);
    const cgroup = isRoot ? new TestCgroup(`rrc-e2e-${process.pid}`) : undefined;
    t.after(() => cgroup?.remove());

    const collector = startProgram('collector', ['--interval=250ms', `--push-endpoint=${sink.url}`, '--log-format=json', '--top=5'], {
      COLLECTOR_PUSH_TOKEN: TOKEN, GITHUB_REPOSITORY_OWNER: 'my-org', GITHUB_REPOSITORY: 'my-org/my-repo',
      GITHUB_WORKFLOW: 'ci.yml', GITHUB_JOB: 'build', GITHUB_RUN_ID: 'run-123',
      CGROUP_PROCESS_MAP: JSON.stringify({ 'rrc-burner': 'job' }), CGROUP_LIMITS: JSON.stringify({ job: { cpu: '2', memory: '1Gi' } }),
    });
    t.after(() => collector.child.kill('SIGKILL'));
    await waitFor('the collector to start', () => (collector.stderr.includes('collector started') ? true : undefined));

    // The burner names itself (process.title sets comm) and, as root, first moves into its own cgroup.
    const burn = `${NODE} -e "process.title='rrc-burner'; const end = Date.now() + ${BURN_MS}; while (Date.now() < end);"`;
    const burner = spawn('/bin/sh', ['-c', cgroup ? cgroup.enterThen(burn) : `exec ${burn}`], { stdio: 'ignore' });
    await once(burner, 'exit');
    collector.child.kill('SIGTERM');
    assert.equal(await collector.exited, 0, collector.stderr);

    assert.equal(sink.received.length, 1);
    const req = sink.received[0]!;
    assert.equal(req.method, 'POST');
    assert.equal(req.headers.authorization, `Bearer ${TOKEN}`);
    assert.match(req.headers['content-type'] ?? '', /^application\/json/);
    const body = JSON.parse(req.body) as PushBody;
    assert.deepEqual(Object.keys(body), ['organization', 'repository', 'workflow', 'job', 'run_id', 'execution_id', 'summary']);
    assert.deepEqual([body.organization, body.repository, body.workflow, body.job, body.run_id],
      ['my-org', 'my-org/my-repo', 'ci.yml', 'build', 'run-123']);
    assert.match(body.execution_id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);

    const s = body.summary;
    for (const key of ['start_time', 'end_time', 'duration_seconds', 'sample_count', 'cpu_total_percent', 'mem_used_bytes',
      'containers', 'top_cpu_processes', 'top_mem_processes']) assert.ok(key in s, `summary.${key}`);
    assert.ok(s.sample_count >= 10, `sample_count ${s.sample_count}`);
    const job = s.containers.find((c) => c.name === 'job');
    assert.ok(job, `no container "job" in ${s.containers.map((c) => c.name).join(', ')}`);
    // The burner was alive for all but the first and last partial intervals: its rate is the container's median.
    // Ground truth for the rate: the kernel's CPU time of the cgroup over the burner's wall time (about 1 on an
    // idle machine; less when other work competes for the two cores).
    const truthRate = cgroup ? cgroup.cpuSeconds() / (BURN_MS / 1000) : 1;
    t.diagnostic(`job p50 ${job.cpu_cores.p50} cores, avg ${job.cpu_cores.avg}, kernel ${truthRate.toFixed(3)} cores`);
    assert.ok(truthRate > 0.8, `the burner got only ${truthRate} of a core: the machine is too busy for this test`);
    assert.ok(Math.abs(job.cpu_cores.p50 - truthRate) / truthRate < 0.1, `p50 ${job.cpu_cores.p50} vs ${truthRate}`);
    assert.deepEqual(job.limits, { cpu_cores: 2, memory_bytes: 1073741824 });
    assert.ok(Math.abs(job.fraction_of_limit!.cpu_peak! - job.cpu_cores.peak / 2) < 1e-3);
    assert.equal(s.top_cpu_processes[0]?.name, 'rrc-burner');
    assert.equal(s.top_cpu_processes[0]?.container, 'job');
    assert.ok(s.top_cpu_processes[0].peak_cpu_percent > 90, `peak ${s.top_cpu_processes[0].peak_cpu_percent}%`);

    if (cgroup) {
      // CPU-seconds against the kernel's count for the cgroup: the summary's own figure, and its average rate over
      // the run's duration (sample_count counts the baseline too: the rates cover sample_count - 1 intervals).
      const truth = cgroup.cpuSeconds();
      const fromAverage = job.cpu_cores.avg * s.duration_seconds;
      t.diagnostic(`CPU-seconds: collector ${job.cpu_seconds}, from the average ${fromAverage.toFixed(3)}, cgroup ${truth.toFixed(3)}`);
      assert.ok(Math.abs(job.cpu_seconds! - truth) / truth < 0.05, `collector ${job.cpu_seconds} s vs cgroup ${truth.toFixed(3)} s`);
      assert.ok(Math.abs(fromAverage - truth) / truth < 0.05, `average x duration ${fromAverage.toFixed(3)} s vs cgroup ${truth.toFixed(3)} s`);
      assert.equal(job.cgroup, cgroup.path);
    }
    assert.ok(!collector.stderr.includes(TOKEN) && !collector.stdout.includes(TOKEN), 'the token leaked into the output');
    assert.match(collector.stderr, /"msg":"summary pushed"/);
  });

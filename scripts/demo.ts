// The quick start: starts a receiver on SQLite, mints a push token, runs the collector beside a short
// workload (one busy core, a 100 MiB allocation, a burst of short processes), stops it as Kubernetes
// would (SIGTERM), and reads the run back from the receiver's query API. Everything stays on 127.0.0.1.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, rmdirSync } from 'node:fs';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { RunSummary } from '../src/summary/types.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const dir = `${root}.demo`;
mkdirSync(dir, { recursive: true });
const readToken = randomBytes(16).toString('hex');
const hmacKey = randomBytes(32).toString('hex');
const scope = { organization: 'demo-org', repository: 'demo-org/demo-repo', workflow: 'ci.yml', job: 'build' };

function start(program: string, args: string[], env: NodeJS.ProcessEnv = {}): { child: ChildProcess; log: () => string } {
  const child = spawn(`${root}bin/${program}`, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr.on('data', (d: Buffer) => { log += d.toString(); });
  return { child, log: () => log };
}

async function until<T>(what: string, check: () => T | undefined, ms = 15_000): Promise<T> {
  for (const deadline = Date.now() + ms; Date.now() < deadline; await new Promise((r) => setTimeout(r, 50))) {
    const v = check();
    if (v !== undefined) return v;
  }
  throw new Error(`demo: timed out waiting for ${what}`);
}

/** A fresh cgroup v2 directory for the workload, where this user may create one. */
function workloadCgroup(): string | undefined {
  const mount = ['/sys/fs/cgroup', '/sys/fs/cgroup/unified'].find((m) => existsSync(`${m}/cgroup.controllers`));
  if (mount === undefined || process.getuid?.() !== 0) return undefined;
  const dir = `${mount}/rrc-demo-${process.pid}`;
  try {
    mkdirSync(dir);
    return dir;
  } catch {
    return undefined;
  }
}

const receiver = start('receiver', ['--addr=127.0.0.1:0', `--db=${dir}/metrics.db`, '--log-format=json'],
  { RECEIVER_READ_TOKEN: readToken, RECEIVER_HMAC_KEY: hmacKey });
const cleanup = () => receiver.child.kill('SIGTERM');
process.on('exit', cleanup);
try {
  const url = await until('the receiver', () => /"url":"([^"]+)"/.exec(receiver.log())?.[1]);
  console.log(`receiver listening on ${url}, storing in ${dir}/metrics.db`);

  const tokenRes = await fetch(`${url}/api/v1/token`, { method: 'POST', body: JSON.stringify(scope),
    headers: { authorization: `Bearer ${readToken}`, 'content-type': 'application/json' } });
  if (!tokenRes.ok) throw new Error(`demo: token request failed: ${tokenRes.status} ${await tokenRes.text()}`);
  const { token } = await tokenRes.json() as { token: string };
  console.log(`push token for ${scope.repository} ${scope.workflow}/${scope.job} minted`);

  const collector = start('collector', ['--interval=500ms', `--push-endpoint=${url}/api/v1/metrics`, '--log-format=text', '--top=5'], {
    COLLECTOR_PUSH_TOKEN: token, GITHUB_REPOSITORY_OWNER: scope.organization, GITHUB_REPOSITORY: scope.repository,
    GITHUB_WORKFLOW: scope.workflow, GITHUB_JOB: scope.job, GITHUB_RUN_ID: `demo-${Date.now()}`,
    CGROUP_PROCESS_MAP: JSON.stringify({ 'demo-workload': 'workload' }),
  });
  await until('the collector', () => (collector.log().includes('collector started') ? true : undefined));
  console.log('collector sampling every 500ms; running the workload for about 4 s ...');

  // One process named demo-workload: a busy core for 3 s while holding 100 MiB, then 200 short processes. As
  // root it runs in a cgroup of its own, like a container; otherwise it shares the demo's cgroup.
  const cgroup = workloadCgroup();
  const workload = spawn('/bin/sh', ['-c', `${cgroup ? `echo $$ > ${cgroup}/cgroup.procs && ` : ''}exec "$0" -e "$1"`, process.execPath, `
    process.title = 'demo-workload';
    const held = Buffer.alloc(100 * 1024 * 1024, 1);
    const end = Date.now() + 3000; while (Date.now() < end);
    const { execFileSync } = require('node:child_process');
    execFileSync('/bin/sh', ['-c', 'for i in $(seq 1 200); do /bin/true; done']);
    held[0] = 0;`], { stdio: 'inherit' });
  await once(workload, 'exit');
  if (cgroup) rmdirSync(cgroup);
  else console.log('(not root: the workload shares its cgroup, so its container holds the demo\'s other processes too)');
  collector.child.kill('SIGTERM');
  const [code] = await once(collector.child, 'exit') as [number];
  if (code !== 0) throw new Error(`demo: collector exited with ${code}:\n${collector.log()}`);

  const path = [scope.organization, scope.repository, scope.workflow, scope.job].map(encodeURIComponent).join('/');
  const runs = await (await fetch(`${url}/api/v1/metrics/repo/${path}?limit=1`, { headers: { authorization: `Bearer ${readToken}` } }))
    .json() as { id: number; run_id: string; received_at: string; payload: RunSummary }[];
  const run = runs[0];
  if (!run) throw new Error('demo: the receiver has no run');
  const s = run.payload;
  console.log(`\nrun ${run.run_id} (id ${run.id}) stored at ${run.received_at}: ${s.duration_seconds} s, ${s.sample_count} samples`);
  console.log(`node CPU busy avg ${s.cpu_total_percent.avg}%  peak ${s.cpu_total_percent.peak}%\n`);
  const mib = (b: number) => `${(b / 1048576).toFixed(1)} MiB`;
  console.log('container            cpu avg  cpu p95  cpu peak   mem avg     mem peak');
  for (const c of s.containers.slice(0, 8)) {
    console.log(`${c.name.slice(0, 20).padEnd(20)} ${c.cpu_cores.avg.toFixed(2).padStart(7)}  ${c.cpu_cores.p95.toFixed(2).padStart(7)}  ${
      c.cpu_cores.peak.toFixed(2).padStart(8)}  ${mib(c.memory_bytes.avg).padStart(10)}  ${mib(c.memory_bytes.peak).padStart(10)}`);
  }
  console.log('\ntop CPU processes:');
  // A kernel thread or a zombie has no command line: its name in brackets, as ps shows it.
  for (const p of s.top_cpu_processes) {
    console.log(`  ${String(p.peak_cpu_percent).padStart(6)}% peak  ${p.container.slice(0, 20).padEnd(20)} ${(p.cmdline || `[${p.name}]`).slice(0, 60)}`);
  }
} finally {
  cleanup();
}

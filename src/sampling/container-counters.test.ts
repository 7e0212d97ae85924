import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { ContainerCounters } from './container-counters.ts';
import { parseCgroupFile } from '../cgroup/identity.ts';
import { seconds } from '../units.ts';

/** A v2 cgroup tree in a plain folder, as --cgroup-root would show one, with files in the kernel's format. */
function tree(t: { after: (fn: () => void) => void }) {
  const root = mkdtempSync(`${tmpdir()}/rrc-cg-`);
  t.after(() => rmSync(root, { recursive: true, force: true }));
  writeFileSync(`${root}/cgroup.controllers`, 'cpu memory\n');
  const set = (path: string, pids: number[], usageUsec: number, current: number, extra: Record<string, string> = {}) => {
    const dir = `${root}${path}`;
    mkdirSync(dir, { recursive: true });
    writeFileSync(`${dir}/cgroup.procs`, pids.map((p) => `${p}\n`).join(''));
    writeFileSync(`${dir}/cpu.stat`, `usage_usec ${usageUsec}\nuser_usec ${usageUsec}\nsystem_usec 0\nnr_periods 100\nnr_throttled 20\nthrottled_usec 5000\n`);
    writeFileSync(`${dir}/memory.current`, `${current}\n`);
    writeFileSync(`${dir}/memory.stat`, `anon ${current}\nfile 0\ninactive_file 1000\nactive_file 0\n`);
    writeFileSync(`${dir}/memory.max`, 'max\n');
    writeFileSync(`${dir}/memory.events`, 'low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n');
    for (const [f, text] of Object.entries(extra)) writeFileSync(`${dir}/${f}`, text);
  };
  return { root, set };
}
const mounts = (root: string) => [{ mountPoint: root, fsType: 'cgroup2' as const, controllers: [], root: '/' }];

test('ContainerCounters: CPU from usage_usec deltas, memory as the working set; the first reading is a baseline', (t) => {
  const { root, set } = tree(t);
  set('/pod/runner', [10], 1_000_000, 50_000_000);
  const c = new ContainerCounters({ mounts: mounts(root), procRoot: undefined });
  c.observe('/pod/runner', 10, parseCgroupFile('0::/pod/runner\n'));
  const first = c.read(seconds(0)).get('/pod/runner')!;
  assert.deepEqual([first.source, first.cpuCores, first.memoryBytes], ['cgroup-v2', undefined, 50_000_000 - 1000]);
  set('/pod/runner', [10], 3_000_000, 60_000_000, { 'cpu.stat': 'usage_usec 3000000\nnr_periods 150\nnr_throttled 45\nthrottled_usec 15000\n' });
  const next = c.read(seconds(2)).get('/pod/runner')!;
  assert.deepEqual([next.cpuCores, next.periods, next.throttledPeriods], [1, 50, 25]);
  assert.ok(Math.abs(next.throttledSeconds! - 0.01) < 1e-12);
});

test('ContainerCounters: a cgroup that holds another container\'s cgroup is not read (its counters would count both)', (t) => {
  const { root, set } = tree(t);
  set('/pod', [1], 9_000_000, 900_000_000);
  set('/pod/runner', [10], 1_000_000, 50_000_000);
  const c = new ContainerCounters({ mounts: mounts(root), procRoot: undefined });
  c.observe('/pod', 1, parseCgroupFile('0::/pod\n'));
  c.observe('/pod/runner', 10, parseCgroupFile('0::/pod/runner\n'));
  assert.deepEqual([...c.read(seconds(0)).keys()], ['/pod/runner']);
});

test('ContainerCounters: a pid not listed in the cgroup is not trusted; an empty --cgroup-root finds nothing', (t) => {
  const { root, set } = tree(t);
  set('/pod/runner', [11], 1_000_000, 50_000_000);
  const c = new ContainerCounters({ mounts: mounts(root), procRoot: undefined });
  c.observe('/pod/runner', 10, parseCgroupFile('0::/pod/runner\n'));
  assert.equal(c.read(seconds(0)).size, 0);
  const empty = new ContainerCounters({ mounts: [], procRoot: undefined });
  empty.observe('/pod/runner', 11, parseCgroupFile('0::/pod/runner\n'));
  assert.equal(empty.read(seconds(0)).size, 0);
});

test('ContainerCounters: a cgroup removed mid-run drops out instead of failing the sample', (t) => {
  const { root, set } = tree(t);
  set('/pod/job', [10], 1_000_000, 50_000_000);
  const c = new ContainerCounters({ mounts: mounts(root), procRoot: undefined });
  c.observe('/pod/job', 10, parseCgroupFile('0::/pod/job\n'));
  assert.equal(c.read(seconds(0)).size, 1);
  rmSync(`${root}/pod/job`, { recursive: true });
  assert.equal(c.read(seconds(1)).size, 0);
});

test('ContainerCounters: a container that appears mid-run counts its cgroup\'s usage from zero', (t) => {
  const { root, set } = tree(t);
  set('/pod/job', [10], 400_000, 50_000_000);
  const c = new ContainerCounters({ mounts: mounts(root), procRoot: undefined });
  c.observe('/pod/job', 10, parseCgroupFile('0::/pod/job\n'), true);
  assert.equal(c.read(seconds(2)).get('/pod/job')!.cpuCores, 0.2); // 0.4 s used since the cgroup was made, over 2 s
});

test('ContainerCounters: a cgroup removed and made again is located again through its next new process', (t) => {
  const { root, set } = tree(t);
  set('/pod/job', [99], 1_000_000, 50_000_000);
  const c = new ContainerCounters({ mounts: mounts(root), procRoot: undefined });
  for (let pid = 10; pid < 14; pid++) c.observe('/pod/job', pid, parseCgroupFile('0::/pod/job\n')); // not listed
  set('/pod/job', [14], 1_000_000, 50_000_000);
  c.observe('/pod/job', 14, parseCgroupFile('0::/pod/job\n')); // the last of its attempts
  assert.equal(c.read(seconds(0)).size, 1);
  rmSync(`${root}/pod/job`, { recursive: true });
  assert.equal(c.read(seconds(1)).size, 0);
  set('/pod/job', [20], 200_000, 10_000_000);
  c.observe('/pod/job', 20, parseCgroupFile('0::/pod/job\n'));
  assert.equal(c.read(seconds(1)).get('/pod/job')?.memoryBytes, 10_000_000 - 1000);
});

import { describe, test } from 'node:test';
import { writeFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import { Sampler, type ProcessScope } from './sampler.ts';
import { ContainerNamer } from '../cgroup/naming.ts';
import { ticksPerSecond } from '../units.ts';
import { FakeProc, type FakeProcess } from '../../test/support/fake-proc.ts';
import type { Sample } from './sample.ts';

const HZ = 100;

/** A sampler over a fake tree with a clock that advances exactly one second per sample. */
function setup(t: { after: (fn: () => void) => void }, map: Record<string, string> = {}, countExitedChildren = true, scope?: ProcessScope,
  memoryRefreshSamples?: number) {
  const proc = new FakeProc();
  t.after(() => proc.cleanup());
  let mono = 0;
  const namer = new ContainerNamer(new Map(Object.entries(map)));
  const sampler = new Sampler({ procPath: proc.root, clockTicks: ticksPerSecond(HZ), pageSize: 4096, namer, countExitedChildren, scope,
    clock: { monotonic: () => mono, wall: () => 1_700_000_000_000 + mono },
    ...(memoryRefreshSamples === undefined ? {} : { memoryRefreshSamples }) });
  let uptime = 1000;
  const step = (processes: FakeProcess[], vanished: number[] = []): Sample => {
    proc.set(processes, uptime);
    for (const pid of vanished) proc.addVanished(pid);
    const s = sampler.sample();
    mono += 1000; uptime += 1;
    return s;
  };
  /** Samples the tree as the test left it. */
  step.raw = (): Sample => {
    const s = sampler.sample();
    mono += 1000; uptime += 1;
    return s;
  };
  return { proc, step, namer };
}

const cpuOf = (s: Sample, key: string) => s.containers.get(key)?.cpuCores ?? 0;
// Processes that started before the collector: start ticks far below uptime (1000 s = 100,000 ticks).
const OLD = 5_000;

describe('Sampler', () => {
  test('the first sample is a baseline: no rates, elapsed 0', (t) => {
    const { step } = setup(t);
    const s = step([{ pid: 10, comm: 'node', ppid: 1, utime: 500, start: OLD, cgroup: '/runner' }]);
    assert.equal(s.elapsed, 0);
    assert.equal(s.processes[0]!.cpuCores, 0);
    assert.equal(s.cpuTotalPercent, undefined);
  });

  test('CPU is the utime+stime delta over the elapsed time', (t) => {
    const { step } = setup(t);
    step([{ pid: 10, comm: 'node', ppid: 1, utime: 500, stime: 100, start: OLD, cgroup: '/runner' }]);
    const s = step([{ pid: 10, comm: 'node', ppid: 1, utime: 560, stime: 115, start: OLD, cgroup: '/runner' }]);
    assert.equal(s.elapsed, 1);
    assert.equal(s.processes[0]!.cpuCores, 0.75);
    assert.equal(cpuOf(s, '/runner'), 0.75);
    assert.equal(s.containers.get('/runner')!.memoryBytes, 100 * 4096);
  });

  test('treats a reused pid (new start time) as a new process, never a negative delta', (t) => {
    const { step } = setup(t);
    step([{ pid: 10, comm: 'make', ppid: 1, utime: 9000, start: OLD, cgroup: '/runner' }]);
    // pid 10 exited and was reused by a process born during the interval that has used 20 ticks so far.
    const s = step([{ pid: 10, comm: 'cc1', ppid: 1, utime: 20, start: 100_050, cgroup: '/runner' }]);
    assert.equal(s.processes[0]!.cpuCores, 0.2);
    assert.equal(s.newProcesses, 1);
  });

  test('a process that existed before the collector started is a baseline, not a burst', (t) => {
    const { step } = setup(t);
    step([]);
    // Not seen in the first sample (e.g. unreadable then), but started long before it.
    const s = step([{ pid: 11, comm: 'java', ppid: 1, utime: 50_000, start: OLD, cgroup: '/runner' }]);
    assert.equal(s.processes[0]!.cpuCores, 0);
  });

  test('a process born between samples counts its whole life', (t) => {
    const { step } = setup(t);
    step([]);
    const s = step([{ pid: 12, comm: 'gcc', ppid: 1, utime: 30, stime: 10, start: 100_020, cgroup: '/runner' }]);
    assert.equal(cpuOf(s, '/runner'), 0.4);
  });

  test('a pid listed but gone before its files were read is skipped and counted as vanished', (t) => {
    const { step } = setup(t);
    step([{ pid: 10, comm: 'node', ppid: 1, utime: 1, start: OLD, cgroup: '/runner' }]);
    const s = step([{ pid: 10, comm: 'node', ppid: 1, utime: 2, start: OLD, cgroup: '/runner' }], [77, 78]);
    assert.equal(s.vanished, 2);
    assert.deepEqual(s.processes.map((p) => p.pid), [10]);
    assert.equal(cpuOf(s, '/runner'), 0.01);
  });

  test('a process whose cgroup file reads empty (it exited mid-read) is skipped, not a failed sample', (t) => {
    const { step, proc } = setup(t);
    step([{ pid: 10, comm: 'node', ppid: 1, utime: 1, start: OLD, cgroup: '/runner' }]);
    proc.set([{ pid: 10, comm: 'node', ppid: 1, utime: 2, start: OLD, cgroup: '/runner' },
      { pid: 11, comm: 'sh', ppid: 10, utime: 0, start: 100_050, cgroup: '/runner' }], 1001);
    writeFileSync(`${proc.root}/11/cgroup`, '');
    writeFileSync(`${proc.root}/10/statm`, '');
    const s = step.raw();
    assert.equal(s.vanished, 1);
    assert.deepEqual(s.processes.map((p) => [p.pid, p.rssBytes]), [[10, 0]]);
  });

  test('processes are grouped by cgroup, zombies hold no memory', (t) => {
    const { step } = setup(t);
    const s = step([
      { pid: 10, comm: 'node', ppid: 1, utime: 1, start: OLD, cgroup: '/runner' },
      { pid: 11, comm: 'sh', ppid: 10, utime: 1, start: OLD, cgroup: '/runner', rssPages: 0, state: 'Z' },
      { pid: 20, comm: 'collector', ppid: 1, utime: 1, start: OLD, cgroup: '/sidecar' },
    ]);
    assert.deepEqual([...s.containers.keys()].sort(), ['/runner', '/sidecar']);
    assert.equal(s.containers.get('/runner')!.processes, 2);
    assert.equal(s.containers.get('/runner')!.memoryBytes, 100 * 4096);
  });

  test('CGROUP_PROCESS_MAP names a cgroup by comm or by the executable name a long comm was cut from', (t) => {
    const { step, namer } = setup(t, { runner: 'job', 'long-running-build-tool': 'build' });
    step([
      { pid: 10, comm: 'runner', ppid: 1, utime: 1, start: OLD, cgroup: '/a' },
      { pid: 20, comm: 'long-running-bu', ppid: 1, utime: 1, start: OLD, cgroup: '/b', cmdline: ['/usr/bin/long-running-build-tool', '-x'] },
      { pid: 30, comm: 'sh', ppid: 1, utime: 1, start: OLD, cgroup: '/c' },
    ]);
    assert.deepEqual([namer.mapped('/a'), namer.mapped('/b'), namer.mapped('/c')], ['job', 'build', undefined]);
  });

  test('a process that execs into a mapped program names its cgroup', (t) => {
    const { step, namer } = setup(t, { node: 'runner' });
    step([{ pid: 10, comm: 'sh', ppid: 1, utime: 1, start: OLD, cgroup: '/a', cmdline: ['sh', '-c', 'exec node x'] }]);
    assert.equal(namer.mapped('/a'), undefined);
    step([{ pid: 10, comm: 'node', ppid: 1, utime: 2, start: OLD, cgroup: '/a', cmdline: ['node', 'x'] }]);
    assert.equal(namer.mapped('/a'), 'runner');
  });
});

describe('Sampler: /proc is listed only when its pid namespace has allocated a pid since the last listing', () => {
  const proc = (pid: number): FakeProcess => ({ pid, comm: 'sleep', ppid: 1, utime: 1, start: OLD, cgroup: '/runner' });
  const pids = (s: Sample) => s.processes.map((p) => p.pid);

  test('an unmoved cursor reads the last pass\'s processes again; a moved one lists the new process', (t) => {
    const { proc: tree, step } = setup(t);
    tree.setLastPid(100);
    assert.deepEqual(pids(step([proc(10), proc(11)])), [10, 11]);
    // A directory the kernel could not have made without allocating a pid: unseen while the cursor stands still,
    // which shows the listing was skipped.
    assert.deepEqual(pids(step([proc(10), proc(11), proc(12)])), [10, 11]);
    tree.setLastPid(101);
    assert.deepEqual(pids(step([proc(10), proc(11), proc(12)])), [10, 11, 12]);
  });

  test('a process that exited with the cursor unmoved is dropped, and is not counted as vanished mid-sample', (t) => {
    const { proc: tree, step } = setup(t);
    tree.setLastPid(100);
    step([proc(10), proc(11)]);
    const s = step([proc(10)]);
    assert.deepEqual([pids(s), s.vanished], [[10], 0]);
  });

  test('the root is listed at least every tenth sample, whatever the cursor says', (t) => {
    const { proc: tree, step } = setup(t);
    tree.setLastPid(100);
    step([proc(10)]); // listed
    const seen: number[][] = [];
    for (let i = 0; i < 10; i++) seen.push(pids(step([proc(10), proc(12)])));
    assert.deepEqual(seen.map((p) => p.length), [1, 1, 1, 1, 1, 1, 1, 1, 1, 2]);
  });

  test('a tree without loadavg and self (a copied /proc) is listed at every sample', (t) => {
    const { step } = setup(t);
    step([proc(10)]);
    assert.deepEqual(pids(step([proc(10), proc(12)])), [10, 12]);
  });
});

describe('Sampler: a process that moves into another cgroup, then execs', () => {
  // The shell `collector run` starts (or a runtime's init) is seen in its parent's cgroup, joins the job's, and execs.
  const shell: FakeProcess = { pid: 10, comm: 'sh', ppid: 1, utime: 1, start: 100_000, cgroup: '/parent' };
  const moved = (utime: number): FakeProcess => ({ ...shell, comm: 'make', utime, cgroup: '/job' });

  test('counts from the exec on in the cgroup it moved to, under its new name', (t) => {
    const { step } = setup(t);
    step([shell]);
    assert.deepEqual([...step([shell]).containers.keys()], ['/parent']);
    const s = step([moved(51)]);
    assert.deepEqual([...s.containers.keys()], ['/job']);
    assert.equal(cpuOf(s, '/job'), 0.5);
    assert.deepEqual(s.processes.map((p) => [p.comm, p.containerKey]), [['make', '/job']]);
  });

  test('one a scope left out is classified again once it execs, and counts from then on', (t) => {
    const onlyJob: ProcessScope = { classify: (_pid, _ppid, cgroupKey) => (cgroupKey === '/job' ? '/job' : undefined) };
    const { step } = setup(t, {}, true, onlyJob);
    step([shell]);
    assert.deepEqual(step([shell]).processes, []);
    step([moved(51)]); // classified afresh: a baseline, as for any process that predates its first sample
    const s = step([moved(81)]);
    assert.deepEqual(s.processes.map((p) => [p.comm, p.containerKey]), [['make', '/job']]);
    assert.equal(cpuOf(s, '/job'), 0.3);
  });

  test('without an exec its cgroup is not read again (a file read a process a sample is what it would take)', (t) => {
    const { step } = setup(t);
    step([shell]);
    const s = step([{ ...shell, utime: 11, cgroup: '/job' }]);
    assert.deepEqual([...s.containers.keys()], ['/parent']);
  });
});

describe('Sampler: CPU of children that exit between samples', () => {
  const shell = (cutime: number, utime = 10): FakeProcess => ({ pid: 100, comm: 'bash', ppid: 1, utime, cutime, start: OLD, cgroup: '/runner' });

  test('children born and reaped between samples are counted through the reaper\'s cutime', (t) => {
    const { step } = setup(t);
    step([shell(0)]);
    // 300 compiler runs of 10 ms each lived and died inside one 1 s interval: the shell's cutime grew by 300.
    const s = step([shell(300)]);
    assert.equal(cpuOf(s, '/runner'), 3);
  });

  test('...but not with the accounting turned off (the plain utime+stime method misses them)', (t) => {
    const { step } = setup(t, {}, false);
    step([shell(0)]);
    assert.equal(cpuOf(step([shell(300)]), '/runner'), 0);
  });

  test('a child seen alive is not counted twice when its reaper\'s cutime grows', (t) => {
    const { step } = setup(t);
    const child = (utime: number): FakeProcess => ({ pid: 101, comm: 'cc1', ppid: 100, utime, start: 100_000, cgroup: '/runner' });
    step([shell(0), child(40)]);
    const s2 = step([shell(0), child(90)]); // the child used 50 ticks
    assert.equal(cpuOf(s2, '/runner'), 0.5);
    // The child used 20 more ticks, exited and was reaped: cutime = its whole life, 110 ticks.
    const s3 = step([shell(110)]);
    assert.equal(cpuOf(s3, '/runner'), 0.2);
  });

  test('a reap seen a sample late is absorbed by the carry, never a negative rate', (t) => {
    const { step } = setup(t);
    const child = (utime: number): FakeProcess => ({ pid: 101, comm: 'cc1', ppid: 100, utime, start: 100_000, cgroup: '/runner' });
    step([shell(0), child(40)]);
    // The child was read alive at 90, then exited and was reaped at 100 before the shell was read.
    const s2 = step([shell(100), child(90)]);
    assert.equal(cpuOf(s2, '/runner'), 1.5); // 50 (child) + 100 (shell's cutime): 90 counted twice for now
    const s3 = step([shell(100)]);
    assert.equal(cpuOf(s3, '/runner'), 0); // the 90 already counted is subtracted; no negative rate
    // 30 new ticks of children, less the 90 still owed from the double count: -60 carried on.
    assert.equal(cpuOf(step([shell(130)]), '/runner'), 0);
    assert.equal(cpuOf(step([shell(190)]), '/runner'), 0); // 60 more: the debt is paid
    assert.equal(cpuOf(step([shell(200)]), '/runner'), 0.1); // counted again from here
    // Over s2..s6 the container got 150 + 10 ticks, as the truth: 60 (child) + 100 (later children).
  });

  test('orphans reaped by the pod\'s pause process count for their own container', (t) => {
    const { step } = setup(t);
    const pause: (c: number) => FakeProcess = (cutime) => ({ pid: 1, comm: 'pause', ppid: 0, utime: 0, cutime, start: 10, cgroup: '/pause' });
    const orphan: FakeProcess = { pid: 300, comm: 'daemon', ppid: 1, utime: 70, start: OLD, cgroup: '/runner' };
    step([pause(0), orphan]);
    step([pause(0), { ...orphan, utime: 80 }]);
    const s = step([pause(95)]); // the orphan used 15 more ticks, then exited and pause reaped it
    assert.equal(cpuOf(s, '/runner'), 0.15);
    assert.equal(cpuOf(s, '/pause'), 0);
  });

  test('a grandchild whose parent also exited flows up to the nearest live ancestor', (t) => {
    const { step } = setup(t);
    const make: FakeProcess = { pid: 200, comm: 'make', ppid: 100, utime: 10, start: 100_000, cgroup: '/runner' };
    const cc: FakeProcess = { pid: 201, comm: 'cc1', ppid: 200, utime: 40, start: 100_001, cgroup: '/runner' };
    step([shell(0), make, cc]);
    // cc used 10 more and was reaped by make (make's cutime 50); make used 5 more and was reaped by bash.
    const s = step([shell(10 + 5 + 50)]);
    assert.equal(cpuOf(s, '/runner'), 0.15);
  });
});

describe('Sampler: a scope (the wrap mode without a cgroup: one command\'s process tree)', () => {
  /** CMD is pid 50, started by the collector (pid 40); everything else on the machine is left out. */
  function treeScope(): ProcessScope {
    const members = new Set<number>();
    return { classify(pid, ppid) {
      if (pid === 40) return { reaperFor: 'job' };
      if (pid === 50 || members.has(ppid)) { members.add(pid); return 'job'; }
      return undefined;
    } };
  }
  const collectorP = (cutime: number): FakeProcess => ({ pid: 40, comm: 'collector', ppid: 1, utime: 500, cutime, start: OLD, cgroup: '/x' });
  const other: FakeProcess = { pid: 30, comm: 'sshd', ppid: 1, utime: 100, start: OLD, cgroup: '/x' };

  test('only the command and its descendants count; the collector\'s own CPU does not', (t) => {
    const { step } = setup(t, {}, true, treeScope());
    step([other, collectorP(0), { pid: 50, comm: 'make', ppid: 40, utime: 0, start: 100_000, cgroup: '/x' }]);
    const s = step([{ ...other, utime: 190 }, { ...collectorP(0), utime: 900 },
      { pid: 50, comm: 'make', ppid: 40, utime: 30, start: 100_000, cgroup: '/x' },
      { pid: 51, comm: 'cc1', ppid: 50, utime: 20, start: 100_050, cgroup: '/x' }]);
    assert.deepEqual([...s.containers.keys()], ['job']);
    assert.equal(cpuOf(s, 'job'), 0.5);
    assert.deepEqual(s.processes.map((p) => p.pid), [50, 51]);
  });

  test('the command\'s last interval is counted through the collector\'s cutime when it reaps it', (t) => {
    const { step } = setup(t, {}, true, treeScope());
    step([collectorP(0), { pid: 50, comm: 'make', ppid: 40, utime: 10, start: 100_000, cgroup: '/x' }]);
    step([collectorP(0), { pid: 50, comm: 'make', ppid: 40, utime: 60, start: 100_000, cgroup: '/x' }]);
    // make used 25 more ticks and exited; the collector reaped it: its cutime is make's whole life, 85.
    assert.equal(cpuOf(step([collectorP(85)]), 'job'), 0.25);
  });
});

describe('Sampler: statm is read again only when stat shows the memory may have changed', () => {
  // statm's resident pages (statmPages) differ from stat's approximate rss (rssPages) here, so each figure shows
  // which file it came from, and whether statm was read again.
  const base: FakeProcess = { pid: 10, comm: 'node', ppid: 1, utime: 50, start: OLD, cgroup: '/runner', rssPages: 90, statmPages: 100,
    minflt: 1000, majflt: 2, vsize: 50_000_000 };
  const rssOf = (s: Sample) => s.processes[0]!.rssBytes / 4096;
  const moved: [string, Partial<FakeProcess>][] = [
    ['it ran (utime)', { utime: 51 }], ['it ran (stime)', { stime: 1 }], ['a minor fault', { minflt: 1001 }],
    ['a major fault', { majflt: 3 }], ['its mappings changed (vsize)', { vsize: 50_004_096 }],
    ['the approximate rss moved', { rssPages: 91 }],
  ];
  for (const [why, change] of moved) {
    test(`re-read when ${why}`, (t) => {
      const { step } = setup(t, {}, true, undefined, 1000);
      assert.equal(rssOf(step([base])), 100); // the first sample reads statm
      const s = step([{ ...base, ...change, statmPages: 120 }]);
      assert.equal(rssOf(s), 120);
      assert.equal(s.containers.get('/runner')!.memoryBytes, 120 * 4096);
    });
  }

  test('not re-read while stat is unchanged: the last statm figure stands, in the process and its container', (t) => {
    const { step } = setup(t, {}, true, undefined, 1000);
    step([base]);
    for (let i = 0; i < 5; i++) {
      const s = step([{ ...base, statmPages: 120 }]); // statm moved, nothing in stat did (see MEMORY_REFRESH)
      assert.equal(rssOf(s), 100);
      assert.equal(s.containers.get('/runner')!.memoryBytes, 100 * 4096);
    }
    assert.equal(rssOf(step([{ ...base, statmPages: 120, minflt: 1001 }])), 120);
  });

  test('an unchanged process is re-read on its refresh turn, once every memoryRefreshSamples samples', (t) => {
    // Sample n refreshes pid 10 when (n + 10) % 3 === 0: samples 2, 5, 8.
    const { step } = setup(t, {}, true, undefined, 3);
    step([base]); // sample 1: first sight
    assert.equal(rssOf(step([base])), 100); // 2: refresh turn, nothing changed
    assert.equal(rssOf(step([{ ...base, statmPages: 120 }])), 100); // 3
    assert.equal(rssOf(step([{ ...base, statmPages: 120 }])), 100); // 4
    assert.equal(rssOf(step([{ ...base, statmPages: 120 }])), 120); // 5: its turn
  });

  test('memoryRefreshSamples 1 reads statm at every sample', (t) => {
    const { step } = setup(t, {}, true, undefined, 1);
    step([base]);
    assert.equal(rssOf(step([{ ...base, statmPages: 120 }])), 120);
    assert.equal(rssOf(step([{ ...base, statmPages: 80 }])), 80);
  });

  test('a new process at a reused pid has its statm read, whatever its stat holds', (t) => {
    const { step } = setup(t, {}, true, undefined, 1000);
    step([base]);
    assert.equal(rssOf(step([{ ...base, start: OLD + 1, statmPages: 7 }])), 7);
  });

  test('a statm that could not be read is tried again at the next sample, not at the refresh turn', (t) => {
    const { proc, step } = setup(t, {}, true, undefined, 1000);
    step([base]);
    proc.set([{ ...base, utime: 51 }], 1001);
    writeFileSync(`${proc.root}/10/statm`, ''); // stat read, statm empty: as when a process exits between the two reads
    assert.equal(rssOf(step.raw()), 0);
    assert.equal(rssOf(step([{ ...base, utime: 51, statmPages: 130 }])), 130); // stat unchanged since
  });

  test('memoryRefreshSamples below 1 is refused', () => {
    assert.throws(() => new Sampler({ procPath: '/nonexistent', clockTicks: ticksPerSecond(HZ), pageSize: 4096,
      namer: new ContainerNamer(new Map()), countExitedChildren: true, memoryRefreshSamples: 0 }), { name: 'RangeError', message: /memoryRefreshSamples: 0/ });
  });
});

// The cgroup counter reader against the kernel's own accounting: real v2 and v1 cgroups made here, a process that
// burns one second of CPU and one that holds 64 MiB, compared with what /proc/<pid>/stat says the burner used.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmdirSync } from 'node:fs';
import { test } from 'node:test';
import { parseCgroupFile } from '../../src/cgroup/identity.ts';
import { CgroupCounterReader } from '../../src/cgroup/counter-reader.ts';
import { locateCgroup, parseMountinfo, resolveCgroupDirs } from '../../src/cgroup/locate.ts';
import type { CgroupDirs } from '../../src/cgroup/locate.ts';
import { parseAuxv } from '../../src/proc/auxv.ts';
import { parseStat } from '../../src/proc/stat.ts';
import { unifiedMount } from '../support/cgroup.ts';
import { recordOpens } from '../support/open-spy.ts';
import { NODE, waitFor } from '../support/programs.ts';

const skip = process.getuid?.() !== 0 && !process.env.CI ? 'needs root' : false;
const MiB = 1024 * 1024;
// Handed over in RRC_JS, so no shell quoting stands between the test and the program.
const BURN = 'const t = process.cpuUsage(); while (true) { const u = process.cpuUsage(t); if (u.user + u.system >= 1e6) break; }' +
  'process.stdout.write(`burned ${process.pid}\\n`); setInterval(() => {}, 1e6);';
const HOLD = 'globalThis.held = Buffer.alloc(64 << 20, 1); process.stdout.write(`held ${process.pid}\\n`); setInterval(() => {}, 1e6);';
const NODE_JS = `exec ${NODE} -e "$RRC_JS"`;

type Ctx = { after: (fn: () => Promise<void>) => void };

/** Undo steps run last-in first-out, all of them even if one fails: processes go before their cgroups. */
function undoStack(t: Ctx): (fn: () => void | Promise<void>) => void {
  const steps: (() => void | Promise<void>)[] = [];
  t.after(async () => {
    const errors: unknown[] = [];
    for (const step of steps.reverse()) await Promise.resolve().then(step).catch((err: unknown) => errors.push(err));
    if (errors.length > 0) throw errors[0];
  });
  return (fn) => steps.push(fn);
}

/** Makes the cgroup directories; removes them once their processes are gone (EBUSY until then). */
function cgroups(undo: ReturnType<typeof undoStack>, dirs: string[]): void {
  for (const dir of dirs) {
    mkdirSync(dir);
    undo(() => waitFor(`rmdir ${dir}`, () => {
      try {
        rmdirSync(dir);
        return true;
      } catch (err) {
        return (err as NodeJS.ErrnoException).code === 'ENOENT' ? true : undefined;
      }
    }).then(() => undefined));
  }
}

/** Runs `shell`, which ends by running RRC_JS = `js`, a program that prints `<word> <pid>`; returns that pid. */
async function start(undo: ReturnType<typeof undoStack>, shell: string, js: string, word: string): Promise<number> {
  const child: ChildProcess = spawn('sh', ['-c', shell], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, RRC_JS: js } });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => { out += d.toString(); });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const seen: { pid?: number } = {};
  undo(async () => {
    if (seen.pid !== undefined && seen.pid !== child.pid) process.kill(seen.pid, 'SIGKILL'); // `unshare --fork`'s child
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  });
  seen.pid = await waitFor(word, () => {
    const m = new RegExp(`^${word} (\\d+)$`, 'm').exec(out);
    return m ? Number(m[1]) : undefined;
  });
  return seen.pid;
}

const enter = (dirs: string[]) => `${dirs.map((d) => `echo $$ > ${d}/cgroup.procs`).join(' && ')} && `;

/** utime + stime of a live process, from /proc/<pid>/stat, in seconds. */
function cpuSecondsOf(pid: number): number {
  const hz = parseAuxv(readFileSync('/proc/self/auxv')).clockTicks;
  const s = parseStat(readFileSync(`/proc/${pid}/stat`));
  return (s.utime + s.stime) / hz;
}

function assertCpuNear(t: { diagnostic: (m: string) => void }, got: number | undefined, want: number, what: string): void {
  t.diagnostic(`${what}: ${got} s; utime+stime ${want.toFixed(2)} s`);
  assert.ok(got !== undefined && Math.abs(got - want) <= 0.1 * want, `${what}: ${got} s, want ${want} s ± 10%`);
}

test('cgroup counters: v2 and v1 figures match a 1-core burner and a 64 MiB holder', { skip }, async (t) => {
  const name = `rrc-counters-${process.pid}`;
  const mounts = parseMountinfo(readFileSync('/proc/self/mountinfo', 'utf8'));
  const v2 = `${unifiedMount()}/${name}`;
  // v1 only where its controllers are mounted (hybrid or v1 hosts); cpu and cpuacct may share one hierarchy.
  const v1Mount = (ctl: string) => mounts.find((m) => m.fsType === 'cgroup' && m.controllers.includes(ctl));
  const v1 = Object.fromEntries(['memory', 'cpuacct', 'cpu'].flatMap((ctl) => {
    const m = v1Mount(ctl);
    return m === undefined ? [] : [[ctl, `${m.mountPoint}/${name}`]];
  })) as { memory?: string; cpuacct?: string; cpu?: string };
  const all = [...new Set([v2, ...Object.values(v1)])];
  const undo = undoStack(t);
  cgroups(undo, all);

  const holder = await start(undo, enter(all) + NODE_JS, HOLD, 'held');
  const burner = await start(undo, enter(all) + NODE_JS, BURN, 'burned');
  const burned = cpuSecondsOf(burner); // the burner idles from here on
  const reader = new CgroupCounterReader();
  const holderCpu = cpuSecondsOf(holder);

  await t.test('v2: cpu.stat usage_usec is the two processes\' utime+stime', (st) => {
    const c = reader.read({ version: 2, dir: v2 });
    assert.equal(c?.source, 'cgroup-v2');
    assertCpuNear(st, c?.cpuUsageSeconds, burned + holderCpu, 'cgroup v2 CPU');
    if (existsSync(`${v2}/memory.current`)) { // pure v2 hosts; this hybrid host has no v2 controllers
      assert.ok((c?.memoryCurrentBytes ?? 0) >= 64 * MiB, `memory.current ${c?.memoryCurrentBytes}`);
      assert.ok((c?.workingSetBytes ?? 0) >= 64 * MiB, `working set ${c?.workingSetBytes}`);
      if (existsSync(`${v2}/memory.peak`)) assert.ok((c?.memoryPeakBytes ?? 0) >= 64 * MiB);
    } else {
      assert.equal(c?.memoryCurrentBytes, undefined, 'no memory controller: unknown, not 0');
    }
  });

  await t.test('v1: cpuacct.usage and memory.usage_in_bytes', { skip: v1.memory === undefined && 'no v1 hierarchies' }, (st) => {
    const c = reader.read({ version: 1, ...v1 });
    assert.equal(c?.source, 'cgroup-v1');
    assertCpuNear(st, c?.cpuUsageSeconds, burned + holderCpu, 'cgroup v1 CPU');
    st.diagnostic(`usage_in_bytes ${c?.memoryCurrentBytes}, max_usage_in_bytes ${c?.memoryPeakBytes}`);
    assert.ok((c?.memoryCurrentBytes ?? 0) >= 64 * MiB, `usage_in_bytes ${c?.memoryCurrentBytes}`);
    assert.ok((c?.memoryPeakBytes ?? 0) >= 64 * MiB, `max_usage_in_bytes ${c?.memoryPeakBytes}`);
    assert.equal(c?.memoryLimitBytes, null);
    assert.equal(c?.oomKills, 0);
  });

  await t.test('locateCgroup finds those directories from /proc/<pid>/cgroup and our mountinfo', (st) => {
    const entries = parseCgroupFile(readFileSync(`/proc/${burner}/cgroup`, 'utf8'));
    const want: CgroupDirs = v1.memory === undefined ? { version: 2, dir: v2 } : { version: 1, ...v1 };
    assert.deepEqual(resolveCgroupDirs(entries, mounts), want);
    assert.deepEqual(locateCgroup(burner, entries, { mounts, procRoot: '/proc' }), { dirs: want, via: 'mount' });
    const viaProc = locateCgroup(burner, entries, { mounts: [], procRoot: '/proc' });
    assert.equal(viaProc?.via, 'proc-root');
    assertCpuNear(st, viaProc && reader.read(viaProc.dirs)?.cpuUsageSeconds, burned + holderCpu, 'via /proc/<pid>/root');
  });
});

const hasUnshare = spawnSync('unshare', ['--version']).status === 0;

test('cgroup counters: a container in its own cgroup and mount namespace is read through /proc/<pid>/root',
  { skip: skip || (!hasUnshare && !process.env.CI && 'needs unshare(1)') }, async (t) => {
    const name = `rrc-counters-ns-${process.pid}`;
    const dir = `${unifiedMount()}/${name}`;
    const undo = undoStack(t);
    cgroups(undo, [dir]);
    // As a runtime makes a v2 container: a new cgroupns rooted at its cgroup, cgroup2 mounted fresh at /sys/fs/cgroup.
    const container = `unshare --cgroup --mount --propagation private --fork --kill-child sh -c 'umount -R /sys/fs/cgroup && ` +
      `mount -t cgroup2 -o ro cgroup /sys/fs/cgroup && ${NODE_JS}'`;
    const pid = await start(undo, `${enter([dir])}exec ${container}`, BURN, 'burned');
    const entries = parseCgroupFile(readFileSync(`/proc/${pid}/cgroup`, 'utf8'));
    const located = locateCgroup(pid, entries, { mounts: [], procRoot: '/proc' }); // our own mounts hidden
    assert.deepEqual(located, { dirs: { version: 2, dir: `/proc/${pid}/root/sys/fs/cgroup` }, via: 'proc-root' });
    assert.ok(located !== undefined);
    const theirs = new CgroupCounterReader().read(located.dirs);
    const ours = new CgroupCounterReader().read({ version: 2, dir });
    assert.ok(theirs?.cpuUsageSeconds !== undefined && ours?.cpuUsageSeconds !== undefined);
    assert.ok(Math.abs(theirs.cpuUsageSeconds - ours.cpuUsageSeconds) < 0.05, `${theirs.cpuUsageSeconds} vs ${ours.cpuUsageSeconds}`);
    assertCpuNear(t, theirs.cpuUsageSeconds, cpuSecondsOf(pid), 'the container\'s own view');
  });

test('cgroup counters: descriptors stay open between readings; a removed cgroup reads as gone, a new one at its path is read',
  { skip }, async (t) => {
    const name = `rrc-counters-kept-${process.pid}`;
    const mounts = parseMountinfo(readFileSync('/proc/self/mountinfo', 'utf8'));
    const memory = mounts.find((m) => m.fsType === 'cgroup' && m.controllers.includes('memory'));
    const cpuacct = mounts.find((m) => m.fsType === 'cgroup' && m.controllers.includes('cpuacct'));
    const dirs: CgroupDirs = memory === undefined || cpuacct === undefined
      ? { version: 2, dir: `${unifiedMount()}/${name}` }
      : { version: 1, memory: `${memory.mountPoint}/${name}`, cpuacct: `${cpuacct.mountPoint}/${name}` };
    const all = dirs.version === 2 ? [dirs.dir] : [dirs.memory ?? '', dirs.cpuacct ?? ''];
    const opened = recordOpens(t);

    const reader = new CgroupCounterReader();
    await t.test('while the cgroup lives', async (st) => {
      const undo = undoStack(st); // runs when this subtest ends: the burner killed, then the cgroups removed
      cgroups(undo, all);
      const first = reader.read(dirs);
      assert.ok(first?.cpuUsageSeconds !== undefined, `${JSON.stringify(first)}`);
      assert.ok(opened.splice(0).length > 0);
      await start(undo, enter(all) + NODE_JS, BURN, 'burned'); // usage moves under the kept descriptors
      opened.splice(0); // the shell's own opens
      const second = reader.read(dirs);
      assert.deepEqual(opened.splice(0), [], 'no file opened again');
      const byPath = new CgroupCounterReader({ maxKept: 0 });
      byPath.read(dirs);
      opened.splice(0);
      assert.ok(byPath.read(dirs)?.cpuUsageSeconds !== undefined);
      assert.ok(opened.splice(0).length > 0, 'past maxKept, files are opened by path each time');
      assert.ok((second?.cpuUsageSeconds ?? 0) >= first.cpuUsageSeconds + 0.9, `${second?.cpuUsageSeconds} after a 1 s burner`);
    });
    assert.equal(reader.read(dirs), undefined, 'a removed cgroup is gone, not its last figures');
    for (const d of all) mkdirSync(d);
    t.after(() => { for (const d of all) rmdirSync(d); });
    const again = reader.read(dirs);
    assert.ok(again?.cpuUsageSeconds !== undefined && again.cpuUsageSeconds < 0.5, `a new cgroup: ${again?.cpuUsageSeconds}`);
    reader.close();
  });

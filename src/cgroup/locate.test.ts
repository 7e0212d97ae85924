import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { test } from 'node:test';
import { fixturePath, fixtureText } from '../../test/support/fixtures.ts';
import { recordOpens } from '../../test/support/open-spy.ts';
import { parseCgroupFile } from './identity.ts';
import type { CgroupEntry } from './identity.ts';
import {
  cgroupMountsAt, listsPid, locateCgroup, parseMountinfo, pathUnderRoot, resolveCgroupDirs,
} from './locate.ts';
import type { CgroupDirs, CgroupMount } from './locate.ts';
import { CgroupCounterReader, LIMIT_REFRESH } from './counter-reader.ts';

// The ids the mountinfo fixtures were made with (see test/fixtures/mountinfo/FIXTURE.md).
const POD = 'pod67c6ec6c-c1ab-4073-99d8-8d416ad289ee';
const A = '7a265b9dfc9f928cacdb838f7a6e27eefb2f2e0bff6e19bff05b3fab3017e379';
const B = 'b9cf97a2678a0d08df5293984b7b47e6686686d97e45a11080598cbc15d049ad';
const mountinfo = (name: string) => parseMountinfo(fixtureText(`mountinfo/${name}.txt`));
const cgroupOf = (name: string) => parseCgroupFile(fixtureText(`mountinfo/${name}.txt`));
const v2: (path: string) => CgroupEntry[] = (path) => [{ hierarchyId: 0, controllers: [], path }];
const mount = (mountPoint: string, root = '/', controllers: string[] = []): CgroupMount =>
  ({ mountPoint, fsType: controllers.length === 0 ? 'cgroup2' : 'cgroup', controllers, root });

test('parseMountinfo: this hybrid host has nine v1 hierarchies and the unified one, all at their root', () => {
  const mounts = mountinfo('host-hybrid');
  assert.equal(mounts.length, 10);
  assert.deepEqual(mounts.find((m) => m.mountPoint === '/sys/fs/cgroup/memory'), mount('/sys/fs/cgroup/memory', '/', ['memory']));
  assert.deepEqual(mounts.find((m) => m.mountPoint === '/sys/fs/cgroup/systemd')?.controllers, ['name=systemd']);
  assert.deepEqual(mounts.at(-1), mount('/sys/fs/cgroup/unified'));
});

test('parseMountinfo: inside containers the root field shows which cgroup the mount is', () => {
  assert.deepEqual(mountinfo('container-v2-cgroupns'), [mount('/sys/fs/cgroup')]); // fresh mount in its own cgroupns
  assert.deepEqual(mountinfo('container-v1-bind').map((m) => [m.mountPoint, m.root]), // runc's v1 bind mounts
    ['memory', 'cpu', 'cpuacct', 'pids'].map((c) => [`/sys/fs/cgroup/${c}`, `/kubepods/burstable/${POD}/${A}`]));
  const inherited = mountinfo('cgroupns-inherited'); // mounts made before `unshare --cgroup`
  assert.equal(inherited.find((m) => m.controllers.includes('memory'))?.root, '/../..');
  assert.equal(inherited.find((m) => m.fsType === 'cgroup2')?.root, '/../../../..');
});

const mountinfoLines = [
  { name: 'an escaped space in the mount point, optional fields before "-"',
    text: '50 30 0:40 / /host\\040cgroup rw,relatime shared:5 master:1 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot',
    want: [mount('/host cgroup')] },
  { name: 'v1 options that are not controllers are dropped, name= is kept',
    text: '31 30 0:28 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,xattr,release_agent=/lib/systemd/x,name=systemd\n' +
      '32 30 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid - cgroup cgroup rw,cpu,cpuacct\n' +
      '33 30 0:30 / /sys/fs/cgroup/cpuset rw - cgroup cgroup rw,cpuset,clone_children',
    want: [mount('/sys/fs/cgroup/systemd', '/', ['name=systemd']), mount('/sys/fs/cgroup/cpu,cpuacct', '/', ['cpu', 'cpuacct']),
      mount('/sys/fs/cgroup/cpuset', '/', ['cpuset'])] },
  { name: 'a mount over the same point hides the one below, whatever its type',
    text: '40 30 0:37 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n41 40 0:38 /x /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n' +
      '42 30 0:39 / /a rw - cgroup2 cgroup2 rw\n43 42 0:40 / /a rw - tmpfs tmpfs rw',
    want: [mount('/sys/fs/cgroup', '/x')] },
  { name: 'other filesystems are skipped', text: '21 26 0:20 / /proc rw,relatime - proc proc rw\n', want: [] },
];
for (const c of mountinfoLines) test(`parseMountinfo: ${c.name}`, () => assert.deepEqual(parseMountinfo(c.text), c.want));

test('parseMountinfo: a line without "- type source options" throws ProcParseError', () =>
  assert.throws(() => parseMountinfo('40 30 0:37 / /sys/fs/cgroup rw cgroup2\n'), { name: 'ProcParseError', message: /^mountinfo:/ }));

const relative = [
  { root: '/', path: '/kubepods/a', want: '/kubepods/a' },
  { root: '/', path: '/', want: '' },
  { root: '/kubepods', path: '/kubepods/a', want: '/a' },
  { root: '/kube', path: '/kubepods/a', want: undefined }, // components, not characters
  { root: '/a/b', path: '/a', want: undefined },
  { root: '/', path: '/../x', want: undefined }, // a sibling seen from inside a cgroupns, our own mount
  { root: '/..', path: '/../x', want: '/x' },
  { root: '/../x', path: '/../x/sub', want: '/sub' },
  { root: '/../../..', path: '/../x', want: undefined }, // which two names lie between is unknown
  { root: '/../x', path: '/../y', want: undefined },
];
for (const c of relative) {
  test(`pathUnderRoot: ${c.path} under a mount of ${c.root} is ${c.want ?? 'not shown'}`, () =>
    assert.equal(pathUnderRoot(c.root, c.path), c.want));
}

const resolved: { name: string; entries: CgroupEntry[]; mounts: CgroupMount[]; key?: string; want: CgroupDirs | undefined }[] = [
  { name: 'this host, own shell: v1 memory; cpu and cpuacct at the root are the whole host, not ours',
    entries: parseCgroupFile(fixtureText('cgroup/host-hybrid-self.txt')), mounts: mountinfo('host-hybrid'),
    want: { version: 1, memory: '/sys/fs/cgroup/memory/process_api/7e7bf1d346babd5defc8442a53bc2c00',
      cpuacct: undefined, cpu: undefined } },
  { name: 'this host, a container placed in v2 only: v2, not the v1 memory cgroup it inherited',
    entries: parseCgroupFile(fixtureText('cgroup/hybrid-v2-containerd-systemd-host-view.txt')), mounts: mountinfo('host-hybrid'),
    want: { version: 2, dir: `/sys/fs/cgroup/unified${parseCgroupFile(fixtureText('cgroup/hybrid-v2-containerd-systemd-host-view.txt'))
      .find((e) => e.hierarchyId === 0)?.path}` } },
  { name: 'v1 kubelet cgroupfs layout seen from the host: every controller under its mount',
    entries: parseCgroupFile(fixtureText('cgroup/v1-kubepods-cgroupfs.txt')), mounts: mountinfo('host-hybrid'),
    want: { version: 1, ...Object.fromEntries(['memory', 'cpuacct', 'cpu'].map((c) => [c,
      `/sys/fs/cgroup/${c}/kubepods/burstable/pod694caf32-7b0a-40f3-b973-584dd7bfb421/0d1a26f3c890e27d3e6987b8e1d2c199d496dd38ebb224f7cc6561682f134284`])) } },
  { name: 'v2 container with cgroupns, itself: its /sys/fs/cgroup',
    entries: cgroupOf('container-v2-cgroupns.self-cgroup'), mounts: mountinfo('container-v2-cgroupns'),
    want: { version: 2, dir: '/sys/fs/cgroup' } },
  { name: 'v2 container with cgroupns, a sibling (/../x): our mount cannot show it',
    entries: cgroupOf('container-v2-cgroupns.sibling-cgroup'), mounts: mountinfo('container-v2-cgroupns'), want: undefined },
  { name: 'v2 sibling through its own mounts (read from /proc/<pid>/mountinfo): its /sys/fs/cgroup',
    entries: cgroupOf('container-v2-cgroupns.sibling-cgroup'),
    mounts: mountinfo('container-v2-cgroupns.sibling-mountinfo').map((m) => ({ ...m, mountPoint: `/proc/9/root${m.mountPoint}` })),
    want: { version: 2, dir: '/proc/9/root/sys/fs/cgroup' } },
  { name: 'v2 sibling whose own view is the host root (no cgroupns of its own): not shown, not the host',
    entries: cgroupOf('container-v2-cgroupns.sibling-cgroup'), mounts: mountinfo('container-v2-cgroupns.host-process-mountinfo'),
    want: undefined },
  { name: 'v1 container (runc bind mounts), itself: each controller at its mount point',
    entries: cgroupOf('container-v1-bind.self-cgroup'), mounts: mountinfo('container-v1-bind'),
    want: { version: 1, memory: '/sys/fs/cgroup/memory', cpuacct: '/sys/fs/cgroup/cpuacct', cpu: '/sys/fs/cgroup/cpu' } },
  { name: 'v1 container, a sibling: outside our bind mounts',
    entries: cgroupOf('container-v1-bind.sibling-cgroup'), mounts: mountinfo('container-v1-bind'), want: undefined },
  { name: 'pure v2 host: the unified mount plus the path',
    entries: v2('/kubepods.slice/x.slice/cri-containerd-a.scope'), mounts: [mount('/sys/fs/cgroup')],
    want: { version: 2, dir: '/sys/fs/cgroup/kubepods.slice/x.slice/cri-containerd-a.scope' } },
  { name: 'v1 with cpu and cpuacct in one hierarchy: one directory serves both',
    entries: [{ hierarchyId: 3, controllers: ['cpu', 'cpuacct'], path: '/k/a' }, { hierarchyId: 4, controllers: ['memory'], path: '/k/a' }],
    mounts: [mount('/c/cpu,cpuacct', '/', ['cpu', 'cpuacct']), mount('/c/memory', '/', ['memory'])],
    want: { version: 1, memory: '/c/memory/k/a', cpuacct: '/c/cpu,cpuacct/k/a', cpu: '/c/cpu,cpuacct/k/a' } },
  { name: 'a nested cgroup read as its whole container, given the container key',
    entries: v2(`/../cri-containerd-${B}.scope/sub`), key: `/../cri-containerd-${B}.scope`,
    mounts: [mount('/proc/9/root/sys/fs/cgroup', `/../cri-containerd-${B}.scope`)],
    want: { version: 2, dir: '/proc/9/root/sys/fs/cgroup' } },
  { name: 'no cgroup mount at all (--cgroup-root an empty folder)', entries: v2('/'), mounts: [], want: undefined },
];
for (const c of resolved) {
  test(`resolveCgroupDirs: ${c.name}`, () => assert.deepEqual(resolveCgroupDirs(c.entries, c.mounts, c.key), c.want));
}

/** A scratch folder, removed after the test. */
function scratch(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(`${tmpdir()}/rrc-locate-`);
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
const files = (dir: string, entries: Record<string, string>) => {
  for (const [name, text] of Object.entries(entries)) {
    mkdirSync(`${dir}/${name}`.replace(/\/[^/]*$/, ''), { recursive: true });
    writeFileSync(`${dir}/${name}`, text);
  }
};

test('cgroupMountsAt: a v2 root, a v1-style folder, an empty or missing folder', (t) => {
  const root = scratch(t);
  files(root, { 'v2/cgroup.controllers': 'cpu memory\n', 'v1/memory/cgroup.procs': '', 'v1/cpu,cpuacct/cgroup.procs': '',
    'v1/systemd/cgroup.procs': '', 'v1/unified/cgroup.controllers': '', 'v1/not-a-cgroup/x': '' });
  symlinkSync('cpu,cpuacct', `${root}/v1/cpu`); // as systemd links them
  mkdirSync(`${root}/empty`);
  assert.deepEqual(cgroupMountsAt(`${root}/v2`), [mount(`${root}/v2`)]);
  assert.deepEqual(cgroupMountsAt(`${root}/v1`), [mount(`${root}/v1/cpu`, '/', ['cpu']),
    mount(`${root}/v1/cpu,cpuacct`, '/', ['cpu', 'cpuacct']), mount(`${root}/v1/memory`, '/', ['memory']),
    mount(`${root}/v1/systemd`, '/', ['name=systemd']), mount(`${root}/v1/unified`)]);
  assert.deepEqual(cgroupMountsAt(`${root}/empty`), []);
  assert.deepEqual(cgroupMountsAt(`${root}/missing`), []);
});

test('listsPid: whole lines only, so pid 42 is not found in "142"', (t) => {
  const dir = scratch(t);
  files(dir, { 'a/cgroup.procs': '142\n4200\n', 'b/cgroup.procs': '7\n42\n' });
  assert.deepEqual([listsPid(`${dir}/a`, 42), listsPid(`${dir}/b`, 42), listsPid(`${dir}/none`, 42)], [false, true, false]);
});

test('locateCgroup: our own mount, verified by cgroup.procs', (t) => {
  const root = scratch(t);
  files(root, { 'cgroup.controllers': '', 'pod/a/cgroup.procs': '42\n', 'pod/a/sub/cgroup.procs': '43\n' });
  const mounts = cgroupMountsAt(root);
  assert.deepEqual(locateCgroup(42, v2('/pod/a'), { mounts }), { dirs: { version: 2, dir: `${root}/pod/a` }, via: 'mount' });
  assert.deepEqual(locateCgroup(43, v2('/pod/a/sub'), { mounts, containerKey: '/pod/a' }),
    { dirs: { version: 2, dir: `${root}/pod/a` }, via: 'mount' }, 'checked in its own cgroup, read for the container');
  assert.equal(locateCgroup(44, v2('/pod/a'), { mounts }), undefined, 'a pid the cgroup does not list');
});

test('locateCgroup: a --cgroup-root of the host seen from inside a cgroupns is not taken for our container', (t) => {
  const host = scratch(t); // our path reads "/", which this root would show as the host's root cgroup
  files(host, { 'cgroup.controllers': '', 'cgroup.procs': '1\n2\n', 'kubepods/x/cgroup.procs': '42\n' });
  assert.equal(locateCgroup(42, v2('/'), { mounts: cgroupMountsAt(host) }), undefined);
});

test('locateCgroup: a sibling under cgroupns through /proc/<pid>/root, from the mount roots in its mountinfo', (t) => {
  const proc = scratch(t);
  files(proc, { '9/mountinfo': fixtureText('mountinfo/container-v2-cgroupns.sibling-mountinfo.txt'),
    '9/root/sys/fs/cgroup/cgroup.procs': '9\n' });
  const entries = cgroupOf('container-v2-cgroupns.sibling-cgroup');
  const mounts = mountinfo('container-v2-cgroupns');
  assert.deepEqual(locateCgroup(9, entries, { mounts, procRoot: proc }),
    { dirs: { version: 2, dir: `${proc}/9/root/sys/fs/cgroup` }, via: 'proc-root' });
  assert.equal(locateCgroup(9, entries, { mounts }), undefined, 'without procRoot the second way is off');
  assert.equal(locateCgroup(10, entries, { mounts, procRoot: proc }), undefined, 'a process that is gone');
});

const counters = (dir: string) => fixturePath(`cgroup-counters/${dir}`);
const readCases: { name: string; dirs: CgroupDirs; want: unknown }[] = [
  { name: 'v1 (real): limited, throttled, one OOM kill', dirs: { version: 1, memory: counters('v1/limited'),
    cpuacct: counters('v1/limited'), cpu: counters('v1/limited') },
  want: { source: 'cgroup-v1', cpuUsageSeconds: 2.428490311, totalPeriods: 52, throttledPeriods: 8, throttledSeconds: 0.177487831,
    cpuLimitCores: 0.5, memoryCurrentBytes: 62193664, memoryPeakBytes: 134217728, memoryLimitBytes: 134217728,
    oomKills: 1, workingSetBytes: 62193664 } },
  { name: 'v1 (real): no limits, page cache in the working set except inactive_file', dirs: { version: 1,
    memory: counters('v1/unlimited'), cpuacct: counters('v1/unlimited'), cpu: counters('v1/unlimited') },
  want: { source: 'cgroup-v1', cpuUsageSeconds: 7.661084708, totalPeriods: 0, throttledPeriods: 0, throttledSeconds: 0,
    cpuLimitCores: null, memoryCurrentBytes: 88420352, memoryPeakBytes: 89952256, memoryLimitBytes: null, oomKills: 0,
    workingSetBytes: 88420352 - 122880 } },
  { name: 'v1 with only the memory hierarchy reachable', dirs: { version: 1, memory: counters('v1/unlimited') },
    want: { source: 'cgroup-v1', memoryCurrentBytes: 88420352, memoryPeakBytes: 89952256, memoryLimitBytes: null, oomKills: 0,
      workingSetBytes: 88420352 - 122880 } },
  { name: 'v2 (real, no controllers): CPU usage only', dirs: { version: 2, dir: counters('v2/hybrid-no-controllers') },
    want: { source: 'cgroup-v2', cpuUsageSeconds: 5.848202 } },
  { name: 'v2 (kernel-doc format): everything', dirs: { version: 2, dir: counters('v2/limited') },
    want: { source: 'cgroup-v2', cpuUsageSeconds: 18.466019, totalPeriods: 212, throttledPeriods: 97, throttledSeconds: 9.817305,
      cpuLimitCores: 0.5, memoryCurrentBytes: 262230016, memoryPeakBytes: 268435456, memoryLimitBytes: 268435456, oomKills: 1,
      workingSetBytes: 262230016 - 13221888 } },
  { name: 'v2 on 5.15: no memory.peak, no limits', dirs: { version: 2, dir: counters('v2/unlimited-5.15') },
    want: { source: 'cgroup-v2', cpuUsageSeconds: 73.410552, totalPeriods: 0, throttledPeriods: 0, throttledSeconds: 0,
      cpuLimitCores: null, memoryCurrentBytes: 104857600, memoryLimitBytes: null, oomKills: 0,
      workingSetBytes: 104857600 - 41943040 } },
  { name: 'a cgroup that is gone', dirs: { version: 2, dir: counters('v2/removed') }, want: undefined },
  { name: 'v1 with no directory reachable', dirs: { version: 1 }, want: undefined },
];
for (const c of readCases) {
  test(`CgroupCounterReader: ${c.name}`, () => assert.deepEqual(new CgroupCounterReader().read(c.dirs), c.want));
}

test('CgroupCounterReader: opens each file at most once a call; limits on the first call and every LIMIT_REFRESH-th', (t) => {
  const opened = recordOpens(t);
  const reader = new CgroupCounterReader();
  const dir = counters('v1/limited');
  const dirs = { version: 1, memory: dir, cpuacct: dir, cpu: dir } as const;
  const first = reader.read(dirs);
  const all = opened.splice(0);
  assert.equal(new Set(all).size, all.length);
  assert.equal(all.length, 9);
  const limitFiles = ['cpu.cfs_quota_us', 'cpu.cfs_period_us', 'memory.limit_in_bytes'].map((f) => `${dir}/${f}`);
  const usage = all.filter((p) => !limitFiles.includes(p));
  assert.equal(usage.length, 6);
  for (let call = 1; call < LIMIT_REFRESH; call++) {
    assert.deepEqual(reader.read(dirs), first, 'limits as last read');
    assert.deepEqual(opened.splice(0), usage, `call ${call}: usage files only`); // plain files: opened by path each time
  }
  assert.deepEqual(reader.read(dirs), first);
  assert.deepEqual(opened.splice(0), all, 'the LIMIT_REFRESH-th call reads the limits again');
  reader.forget(dirs);
  reader.read(dirs);
  assert.deepEqual(opened.splice(0), all, 'a forgotten cgroup is new again');
});

test('CgroupCounterReader: a changed limit shows at the next refresh', (t) => {
  const dir = scratch(t);
  files(dir, { 'cpu.stat': 'usage_usec 10\n', 'cpu.max': '50000 100000\n', 'memory.current': '4096\n', 'memory.max': '8192\n' });
  const reader = new CgroupCounterReader();
  const dirs = { version: 2, dir } as const;
  assert.deepEqual([reader.read(dirs)?.cpuLimitCores, reader.read(dirs)?.memoryLimitBytes], [0.5, 8192]);
  files(dir, { 'cpu.max': 'max 100000\n', 'memory.max': 'max\n' });
  const seen = Array.from({ length: LIMIT_REFRESH - 1 }, () => reader.read(dirs));
  assert.deepEqual(seen.map((c) => [c?.cpuLimitCores, c?.memoryLimitBytes]).at(-2), [0.5, 8192]);
  assert.deepEqual(seen.map((c) => [c?.cpuLimitCores, c?.memoryLimitBytes]).at(-1), [null, null]);
});

test('CgroupCounterReader: a malformed file loses its own figures only, and is reported', (t) => {
  const dir = scratch(t);
  files(dir, { 'cpu.stat': 'usage_usec lots\n', 'memory.current': '4096\n', 'memory.max': 'max\n' });
  const errors: string[] = [];
  const reader = new CgroupCounterReader({ onParseError: (err) => errors.push(err.message) });
  assert.deepEqual(reader.read({ version: 2, dir }), { source: 'cgroup-v2', memoryCurrentBytes: 4096, memoryLimitBytes: null });
  assert.deepEqual(errors, ['cpu.stat: "lots" is not a whole number']);
  assert.throws(() => new CgroupCounterReader().read({ version: 2, dir }), { name: 'ProcParseError' }, 'by default it throws');
});

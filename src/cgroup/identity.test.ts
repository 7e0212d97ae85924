import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ProcParseError } from '../proc/errors.ts';
import { containerIdentity, groupingPath, identityFromCgroupFile, parseCgroupFile } from './identity.ts';
import type { CgroupEntry, ContainerIdentity } from './identity.ts';

const A = 'a24ee4b23a94d5fb888aa79159c77067138ce24201d3fe97177228622b557859';
const B = '8d82a064867e692dfdf4d09b7ef85010a070c45aa71f41125bf81d4230c2ed60';
const POD_ID = '14fe431f93e9c9a5db3fbe3a91d8eb6edd6c3b645f67969898b2ddaafe158f71'; // podman pod IDs are 64 hex too
const UID = '88ab4120-f355-4d58-94ad-15ce9c0048fb';
const UID_ = UID.replaceAll('-', '_'); // kubelet's systemd driver escapes '-' in unit names
const BURSTABLE = `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${UID_}.slice`;

const parsed: { name: string; text: string; want: CgroupEntry[] }[] = [
  {
    name: 'cgroup v1: one line per hierarchy, controllers split on ","',
    text: `12:memory:/kubepods/burstable/pod${UID}/${A}\n11:cpu,cpuacct:/kubepods/burstable/pod${UID}/${A}\n` +
      `1:name=systemd:/kubepods/burstable/pod${UID}/${A}\n`,
    want: [
      { hierarchyId: 12, controllers: ['memory'], path: `/kubepods/burstable/pod${UID}/${A}` },
      { hierarchyId: 11, controllers: ['cpu', 'cpuacct'], path: `/kubepods/burstable/pod${UID}/${A}` },
      { hierarchyId: 1, controllers: ['name=systemd'], path: `/kubepods/burstable/pod${UID}/${A}` },
    ],
  },
  {
    name: 'cgroup v2: the single 0:: line has no controllers',
    text: `0::${BURSTABLE}/cri-containerd-${A}.scope\n`,
    want: [{ hierarchyId: 0, controllers: [], path: `${BURSTABLE}/cri-containerd-${A}.scope` }],
  },
  {
    name: 'hybrid: v1 lines plus 0::/',
    text: '4:memory:/process_api/7e7bf1d346babd5defc8442a53bc2c00\n1:cpu:/\n0::/\n',
    want: [
      { hierarchyId: 4, controllers: ['memory'], path: '/process_api/7e7bf1d346babd5defc8442a53bc2c00' },
      { hierarchyId: 1, controllers: ['cpu'], path: '/' },
      { hierarchyId: 0, controllers: [], path: '/' },
    ],
  },
  {
    name: 'a path containing ":" is kept whole',
    text: `1:name=systemd:/system.slice/containerd.service/kubepods-burstable-pod${UID_}.slice:cri-containerd:${A}\n`,
    want: [{ hierarchyId: 1, controllers: ['name=systemd'],
      path: `/system.slice/containerd.service/kubepods-burstable-pod${UID_}.slice:cri-containerd:${A}` }],
  },
  {
    name: 'a zombie whose cgroup was removed loses " (deleted)"',
    text: `0::/../cri-containerd-${A}.scope (deleted)\n`,
    want: [{ hierarchyId: 0, controllers: [], path: `/../cri-containerd-${A}.scope` }],
  },
  {
    name: 'empty lines and a missing final newline are fine',
    text: '\n2:cpuacct:/\n\n0::/',
    want: [{ hierarchyId: 2, controllers: ['cpuacct'], path: '/' }, { hierarchyId: 0, controllers: [], path: '/' }],
  },
  {
    name: 'an empty v2 path is kept as read',
    text: '1:memory:/a\n0::\n',
    want: [{ hierarchyId: 1, controllers: ['memory'], path: '/a' }, { hierarchyId: 0, controllers: [], path: '' }],
  },
];
for (const c of parsed) {
  void test(`parseCgroupFile: ${c.name}`, () => assert.deepEqual(parseCgroupFile(c.text), c.want));
}

const malformed = [
  { name: 'no ":" at all', text: '0/kubepods\n', message: /^cgroup: line is not "id:controllers:path"$/ },
  { name: 'only one ":"', text: '12:memory\n', message: /^cgroup: line is not/ },
  { name: 'a hierarchy ID that is not a number', text: 'x:memory:/\n', message: /^cgroup: hierarchy ID is not/ },
  { name: 'an empty hierarchy ID', text: '::/\n', message: /^cgroup: hierarchy ID is not/ },
  { name: 'a path not starting with "/"', text: '0::kubepods\n', message: /^cgroup: path does not start/ },
  { name: 'an empty file', text: '', message: /^cgroup: no hierarchy lines$/ },
  { name: 'a good line before a bad one', text: '0::/\ngarbage\n', message: /^cgroup: line is not/ },
];
for (const c of malformed) {
  void test(`parseCgroupFile: throws ProcParseError on ${c.name}`, () =>
    assert.throws(() => parseCgroupFile(c.text), { name: 'ProcParseError', file: 'cgroup', message: c.message }));
}

void test('parseCgroupFile: the error keeps the offending line, cut to 200 chars, out of the message', () => {
  const line = `0:${'x'.repeat(300)}`;
  assert.throws(() => parseCgroupFile(`0::/\n${line}\n`), (err) => {
    assert.ok(err instanceof ProcParseError);
    assert.equal(err.text, line.slice(0, 200));
    assert.equal(err.message, 'cgroup: line is not "id:controllers:path"');
    return true;
  });
});

const grouping = [
  { name: 'v2: the 0:: line', text: `0::${BURSTABLE}/cri-containerd-${A}.scope\n`,
    want: `${BURSTABLE}/cri-containerd-${A}.scope` },
  { name: 'v2 alone at /: the reader itself', text: '0::/\n', want: '/' },
  { name: 'v2 alone and empty: read as /', text: '0::\n', want: '/' },
  { name: 'pure v1: memory wins over an earlier line', text: `3:pids:/p\n2:memory:/m\n1:cpu,cpuacct:/c\n`, want: '/m' },
  { name: 'hybrid with 0::/: memory', text: `2:memory:/m\n1:cpu:/c\n0::/\n`, want: '/m' },
  { name: 'hybrid with empty 0::: memory', text: `2:memory:/m\n0::\n`, want: '/m' },
  { name: 'hybrid without memory: cpu', text: `3:name=systemd:/s\n2:cpuacct:/a\n1:cpu:/c\n0::/\n`, want: '/c' },
  { name: 'hybrid without memory or cpu: cpuacct', text: `3:name=systemd:/s\n2:cpuacct:/a\n0::/\n`, want: '/a' },
  { name: 'only name=systemd of the known ones', text: `2:pids:/p\n1:name=systemd:/s\n0::/\n`, want: '/s' },
  { name: 'none known: the first line', text: `2:pids:/p\n1:freezer:/f\n0::/\n`, want: '/p' },
  { name: 'hybrid where 0:: holds a path: 0:: wins', text: `2:memory:/m\n0::/../cri-containerd-${A}.scope\n`,
    want: `/../cri-containerd-${A}.scope` },
];
for (const c of grouping) {
  void test(`groupingPath: ${c.name}`, () => assert.equal(groupingPath(parseCgroupFile(c.text)), c.want));
}

const identities: { name: string; path: string; want: ContainerIdentity }[] = [
  {
    name: 'v2, systemd driver, containerd',
    path: `${BURSTABLE}/cri-containerd-${A}.scope`,
    want: { key: `${BURSTABLE}/cri-containerd-${A}.scope`, containerId: A, podUid: UID, runtime: 'containerd',
      displayName: 'a24ee4b23a94' },
  },
  {
    name: 'systemd driver, guaranteed QoS has no QoS slice',
    path: `/kubepods.slice/kubepods-pod${UID_}.slice/cri-containerd-${A}.scope`,
    want: { key: `/kubepods.slice/kubepods-pod${UID_}.slice/cri-containerd-${A}.scope`, containerId: A, podUid: UID,
      runtime: 'containerd', displayName: 'a24ee4b23a94' },
  },
  {
    name: "kind's /kubelet.slice prefix",
    path: `/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/` +
      `kubelet-kubepods-besteffort-pod${UID_}.slice/cri-containerd-${A}.scope`,
    want: { key: `/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/` +
      `kubelet-kubepods-besteffort-pod${UID_}.slice/cri-containerd-${A}.scope`, containerId: A, podUid: UID,
      runtime: 'containerd', displayName: 'a24ee4b23a94' },
  },
  {
    name: 'systemd driver, CRI-O; the payload in crio\'s "container" sub-cgroup groups with it',
    path: `/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${UID_}.slice/crio-${A}.scope/container`,
    want: { key: `/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${UID_}.slice/crio-${A}.scope`,
      containerId: A, podUid: UID, runtime: 'crio', displayName: 'a24ee4b23a94' },
  },
  {
    name: "CRI-O's conmon is not the container",
    path: `${BURSTABLE}/crio-conmon-${A}.scope`,
    want: { key: `${BURSTABLE}/crio-conmon-${A}.scope`, conmonFor: A, podUid: UID, runtime: 'crio',
      displayName: 'conmon-a24ee4b23a94' },
  },
  {
    name: 'CRI-O\'s conmon in system.slice (outside the pod)',
    path: `/system.slice/crio-conmon-${A}.scope`,
    want: { key: `/system.slice/crio-conmon-${A}.scope`, conmonFor: A, runtime: 'crio',
      displayName: 'conmon-a24ee4b23a94' },
  },
  {
    name: 'systemd driver, docker (cri-dockerd)',
    path: `${BURSTABLE}/docker-${A}.scope`,
    want: { key: `${BURSTABLE}/docker-${A}.scope`, containerId: A, podUid: UID, runtime: 'docker',
      displayName: 'a24ee4b23a94' },
  },
  {
    name: 'cgroupfs driver, containerd or docker: a bare ID, runtime unknown',
    path: `/kubepods/burstable/pod${UID}/${A}`,
    want: { key: `/kubepods/burstable/pod${UID}/${A}`, containerId: A, podUid: UID, displayName: 'a24ee4b23a94' },
  },
  {
    name: 'cgroupfs driver, guaranteed QoS',
    path: `/kubepods/pod${UID}/${A}`,
    want: { key: `/kubepods/pod${UID}/${A}`, containerId: A, podUid: UID, displayName: 'a24ee4b23a94' },
  },
  {
    name: 'cgroupfs driver, CRI-O',
    path: `/kubepods/besteffort/pod${UID}/crio-${A}`,
    want: { key: `/kubepods/besteffort/pod${UID}/crio-${A}`, containerId: A, podUid: UID, runtime: 'crio',
      displayName: 'a24ee4b23a94' },
  },
  {
    name: 'docker-in-docker, host view: the inner container groups with the outer one',
    path: `/kubepods/burstable/pod${UID}/${A}/docker/${B}`,
    want: { key: `/kubepods/burstable/pod${UID}/${A}`, containerId: A, podUid: UID, displayName: 'a24ee4b23a94' },
  },
  {
    name: "kind's node container without cgroupns (v1, host view): the container below the pod, not the node",
    path: `/docker/${B}/kubelet/kubepods/burstable/pod${UID}/${A}`,
    want: { key: `/docker/${B}/kubelet/kubepods/burstable/pod${UID}/${A}`, containerId: A, podUid: UID,
      displayName: 'a24ee4b23a94' },
  },
  {
    name: 'kind node as a docker systemd scope: the same, with the systemd driver',
    path: `/system.slice/docker-${B}.scope/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-pod${UID_}.slice/` +
      `cri-containerd-${A}.scope/sub`,
    want: { key: `/system.slice/docker-${B}.scope/kubelet.slice/kubelet-kubepods.slice/` +
      `kubelet-kubepods-pod${UID_}.slice/cri-containerd-${A}.scope`, containerId: A, podUid: UID, runtime: 'containerd',
      displayName: 'a24ee4b23a94' },
  },
  {
    name: "slice:prefix:name, as containerd hands runc's systemd driver the cgroupsPath",
    path: `/system.slice/containerd.service/kubepods-burstable-pod${UID_}.slice:cri-containerd:${A}`,
    want: { key: `/system.slice/containerd.service/kubepods-burstable-pod${UID_}.slice:cri-containerd:${A}`,
      containerId: A, podUid: UID, runtime: 'containerd', displayName: 'a24ee4b23a94' },
  },
  {
    name: 'podman pod with cgroupfs: the 64-hex pod ID under libpod_parent is not a container',
    path: `/libpod_parent/${POD_ID}/libpod-${A}`,
    want: { key: `/libpod_parent/${POD_ID}/libpod-${A}`, containerId: A, runtime: 'podman',
      displayName: 'a24ee4b23a94' },
  },
  {
    name: 'podman pod cgroup itself: no container',
    path: `/libpod_parent/${POD_ID}`,
    want: { key: `/libpod_parent/${POD_ID}`, displayName: POD_ID },
  },
  {
    name: 'podman with systemd',
    path: `/machine.slice/libpod-${A}.scope`,
    want: { key: `/machine.slice/libpod-${A}.scope`, containerId: A, runtime: 'podman', displayName: 'a24ee4b23a94' },
  },
  {
    name: "podman's conmon",
    path: `/machine.slice/libpod-conmon-${A}.scope`,
    want: { key: `/machine.slice/libpod-conmon-${A}.scope`, conmonFor: A, runtime: 'podman',
      displayName: 'conmon-a24ee4b23a94' },
  },
  {
    name: 'cgroupns sibling, systemd driver',
    path: `/../cri-containerd-${A}.scope`,
    want: { key: `/../cri-containerd-${A}.scope`, containerId: A, runtime: 'containerd', displayName: 'a24ee4b23a94' },
  },
  {
    name: 'cgroupns sibling, nested cgroup: same key as the container',
    path: `/../cri-containerd-${A}.scope/sub`,
    want: { key: `/../cri-containerd-${A}.scope`, containerId: A, runtime: 'containerd', displayName: 'a24ee4b23a94' },
  },
  {
    name: 'cgroupns sibling, cgroupfs driver',
    path: `/../${A}`,
    want: { key: `/../${A}`, containerId: A, displayName: 'a24ee4b23a94' },
  },
  {
    name: 'cgroupns sibling, podman',
    path: `/../libpod-${A}`,
    want: { key: `/../libpod-${A}`, containerId: A, runtime: 'podman', displayName: 'a24ee4b23a94' },
  },
  {
    name: 'cgroupns, another pod (hostPID): the ID below the ".."s, not the first component',
    path: `/../../../kubepods-burstable.slice/kubepods-burstable-pod${UID_}.slice/cri-containerd-${A}.scope`,
    want: { key: `/../../../kubepods-burstable.slice/kubepods-burstable-pod${UID_}.slice/cri-containerd-${A}.scope`,
      containerId: A, podUid: UID, runtime: 'containerd', displayName: 'a24ee4b23a94' },
  },
  {
    name: 'cgroupns, no ID: the first component after the ".."s',
    path: '/../init.scope/sub',
    want: { key: '/../init.scope', displayName: 'init.scope' },
  },
  {
    name: "cgroupns parent itself (the pod's cgroup)",
    path: '/..',
    want: { key: '/..', displayName: '/..' },
  },
  { name: '/ is the reader itself', path: '/', want: { key: '/', displayName: 'self' } },
  {
    name: 'a host service: the whole path, named by its last component',
    path: '/system.slice/ssh.service',
    want: { key: '/system.slice/ssh.service', displayName: 'ssh.service' },
  },
  {
    name: 'a pod-level cgroup (no container) still tells the pod',
    path: `${BURSTABLE}`,
    want: { key: BURSTABLE, podUid: UID, displayName: `kubepods-burstable-pod${UID_}.slice` },
  },
  {
    name: 'upper-case hex is read as the lower-case ID',
    path: `/docker/${A.toUpperCase()}`,
    want: { key: `/docker/${A.toUpperCase()}`, containerId: A, displayName: 'a24ee4b23a94' },
  },
  {
    name: '63 hex chars are no container ID',
    path: `/docker/${A.slice(1)}`,
    want: { key: `/docker/${A.slice(1)}`, displayName: A.slice(1) },
  },
];
for (const c of identities) {
  void test(`containerIdentity: ${c.name}`, () => assert.deepEqual(containerIdentity(c.path), c.want));
}

// Real files from this machine (test/fixtures/cgroup/FIXTURE.md says how each was made).
const F1 = '4d489c193d6696d3318798580ae2a110f7de3288c1963417f3afc9cc5e49f4c0';
const F2 = '0d1a26f3c890e27d3e6987b8e1d2c199d496dd38ebb224f7cc6561682f134284';
const F3 = '4df3f83f672202751bf3ca5de8be13cc4c7c9e3a61cddafa10cc9fc50fefb0ef';
const FUID = '694caf32-7b0a-40f3-b973-584dd7bfb421';
const F1_SIBLING: ContainerIdentity =
  { key: `/../cri-containerd-${F1}.scope`, containerId: F1, runtime: 'containerd', displayName: '4d489c193d66' };
const fixtures: { file: string; want: ContainerIdentity }[] = [
  {
    file: 'host-hybrid-self.txt', // 0::/ on a hybrid host: the memory line decides
    want: { key: '/process_api/7e7bf1d346babd5defc8442a53bc2c00', displayName: '7e7bf1d346babd5defc8442a53bc2c00' },
  },
  {
    file: 'v1-kubepods-cgroupfs.txt',
    want: { key: `/kubepods/burstable/pod${FUID}/${F2}`, containerId: F2, podUid: FUID, displayName: F2.slice(0, 12) },
  },
  {
    file: 'hybrid-v2-containerd-systemd-host-view.txt',
    want: { key: `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${FUID.replaceAll('-', '_')}.slice/` +
      `cri-containerd-${F1}.scope`, containerId: F1, podUid: FUID, runtime: 'containerd', displayName: '4d489c193d66' },
  },
  {
    file: 'cgroupns-sibling.txt',
    want: F1_SIBLING,
  },
  {
    file: 'cgroupns-sibling-nested.txt',
    want: F1_SIBLING,
  },
  { file: 'cgroupns-self.txt', want: { key: '/', displayName: 'self' } },
  {
    file: 'v1-cgroupns-sibling.txt', // v1 with cgroupns: 0:: stays /, memory holds the /.. path
    want: { key: `/../${F3}`, containerId: F3, displayName: F3.slice(0, 12) },
  },
];
for (const c of fixtures) {
  void test(`identityFromCgroupFile: real file ${c.file}`, () => {
    const text = readFileSync(new URL(`../../test/fixtures/cgroup/${c.file}`, import.meta.url), 'utf8');
    assert.deepEqual(identityFromCgroupFile(text), c.want);
  });
}

// Property tests of /proc/<pid>/cgroup parsing and container identity (issue 7): any text gives entries or
// ProcParseError, never another error or a number that is not a finite non-negative integer; any path gives an
// identity whose key is a prefix of the path; generated files and kubelet paths round-trip exactly.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { ProcParseError } from '../proc/errors.ts';
import { fixtureText } from '../../test/support/fixtures.ts';
import { CONTAINER_RUNTIMES, containerIdentity, identityFromCgroupFile, parseCgroupFile, type CgroupEntry } from './identity.ts';

const RUNS = { numRuns: 2_000 } as const;
const FIXTURES = ['v1-kubepods-cgroupfs', 'host-hybrid-self', 'cgroupns-sibling-nested', 'cgroupns-self', 'v1-cgroupns-sibling',
  'hybrid-v2-containerd-systemd-host-view', 'cgroupns-sibling'].map((name) => fixtureText(`cgroup/${name}.txt`));

const hex64 = fc.stringMatching(/^[0-9a-fA-F]{64}$/);
/** Path components as kubelet, runtimes and systemd write them, plus ones that break naive parsers. */
const component = fc.oneof(
  fc.constantFrom('..', 'kubepods', 'kubepods.slice', 'burstable', 'kubepods-burstable.slice', 'system.slice', 'docker', 'libpod_parent',
    'container', 'ssh.service', 'a:b:c', ' (deleted)', 'kubelet.slice'),
  fc.uuid().map((u) => `pod${u}`),
  fc.uuid().map((u) => `kubepods-besteffort-pod${u.replaceAll('-', '_')}.slice`),
  fc.tuple(fc.constantFrom('', 'cri-containerd-', 'crio-', 'crio-conmon-', 'docker-', 'libpod-', 'libpod-conmon-'), hex64,
    fc.constantFrom('', '.scope')).map(([p, id, s]) => `${p}${id}${s}`),
  fc.tuple(hex64, fc.constantFrom('cri-containerd', 'crio', 'docker')).map(([id, p]) => `kubepods-pod1.slice:${p}:${id}`),
  fc.string({ unit: 'binary', maxLength: 10 }),
);
const anyPath = fc.oneof(fc.array(component, { maxLength: 8 }).map((c) => `/${c.join('/')}`), fc.string({ unit: 'binary', maxLength: 80 }));

/** A cgroup file: fixtures with lines changed, random lines, or random text. */
const anyCgroupText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.array(fc.tuple(fc.oneof(fc.nat().map(String), fc.constantFrom('', 'x', '9'.repeat(400), '-1')), fc.constantFrom('', 'memory', 'cpu,cpuacct', 'name=systemd'),
    anyPath), { maxLength: 6 }).map((lines) => lines.map((l) => l.join(':')).join('\n')),
  fc.tuple(fc.constantFrom(...FIXTURES), fc.nat(), fc.string({ unit: 'binary', maxLength: 6 }))
    .map(([text, at, junk]) => text.slice(0, at % (text.length + 1)) + junk + text.slice(at % (text.length + 1))),
);

function entriesOrParseError(text: string): CgroupEntry[] | undefined {
  try {
    return parseCgroupFile(text);
  } catch (err) {
    assert.ok(err instanceof ProcParseError && err.file === 'cgroup', `threw ${String(err)}, not a cgroup ProcParseError`);
    return undefined;
  }
}

describe('cgroup file', () => {
  test('parseCgroupFile: any text gives entries (id a safe integer, path "" or absolute) or ProcParseError', () => {
    fc.assert(fc.property(anyCgroupText, (text) => {
      const entries = entriesOrParseError(text);
      if (entries === undefined) return;
      assert.ok(entries.length > 0);
      for (const e of entries) {
        assert.ok(Number.isSafeInteger(e.hierarchyId) && e.hierarchyId >= 0, `hierarchyId ${e.hierarchyId}`);
        assert.ok(e.path === '' || e.path.startsWith('/'), `path ${JSON.stringify(e.path)}`);
        assert.ok(e.controllers.every((c) => !c.includes(',') && !c.includes('\n')));
      }
    }), RUNS);
  });

  test('parseCgroupFile: generated lines round-trip, ":" inside paths included', () => {
    const name = fc.stringMatching(/^[a-z_]{1,8}(=[a-z]{1,8})?$/);
    const path = fc.array(fc.stringMatching(/^[\w.:@-]{1,12}$/), { maxLength: 5 })
      .map((c) => `/${c.join('/')}`).filter((p) => !p.endsWith(' (deleted)'));
    const entry = fc.oneof(
      fc.record({ hierarchyId: fc.integer({ min: 1, max: 2 ** 31 }), controllers: fc.array(name, { minLength: 1, maxLength: 3 }), path }),
      fc.record({ hierarchyId: fc.constant(0), controllers: fc.constant([]), path })).map((e): CgroupEntry => ({ ...e }));
    fc.assert(fc.property(fc.array(entry, { minLength: 1, maxLength: 12 }), (entries) => {
      const text = entries.map((e) => `${e.hierarchyId}:${e.controllers.join(',')}:${e.path}\n`).join('');
      assert.deepEqual(parseCgroupFile(text), entries);
    }), RUNS);
  });

  test('identityFromCgroupFile: any text gives an identity or ProcParseError', () => {
    fc.assert(fc.property(anyCgroupText, (text) => {
      try {
        assert.ok(identityFromCgroupFile(text).key.startsWith('/'));
      } catch (err) {
        assert.ok(err instanceof ProcParseError, `threw ${String(err)}, not a ProcParseError`);
      }
    }), RUNS);
  });
});

describe('container identity', () => {
  test('containerIdentity: any path gives a key that is a prefix of it, a name, and at most one 64-hex ID', () => {
    fc.assert(fc.property(anyPath, (path) => {
      const id = containerIdentity(path);
      const parts = path.split('/').filter((p) => p !== '');
      const keyParts = id.key.split('/').filter((p) => p !== '');
      assert.ok(id.key.startsWith('/'), id.key);
      assert.deepEqual(keyParts, parts.slice(0, keyParts.length), `key ${id.key} is not a prefix of ${path}`);
      assert.ok(id.displayName !== '', 'empty displayName');
      assert.ok(!(id.containerId !== undefined && id.conmonFor !== undefined));
      if (id.containerId !== undefined) {
        assert.match(id.containerId, /^[0-9a-f]{64}$/);
        assert.equal(id.displayName, id.containerId.slice(0, 12));
      }
      if (id.conmonFor !== undefined) assert.equal(id.displayName, `conmon-${id.conmonFor.slice(0, 12)}`);
      if (id.runtime !== undefined) assert.ok((CONTAINER_RUNTIMES as readonly string[]).includes(id.runtime));
      if (id.podUid !== undefined) assert.match(id.podUid, /^[0-9a-f-]+$/);
    }), RUNS);
  });

  // Where kubelet puts a container: systemd or cgroupfs driver, any QoS, seen from the host or from a sibling
  // under cgroupns (`/..` per level up), with sub-cgroups below it (docker-in-docker, CRI-O's "container").
  const placed = fc.record({
    uid: fc.uuid(), id: hex64, qos: fc.constantFrom('', 'burstable', 'besteffort'), systemd: fc.boolean(),
    runtime: fc.constantFrom('containerd', 'crio', 'docker', 'unknown'), up: fc.nat({ max: 3 }),
    below: fc.constantFrom([], ['container'], ['docker', 'b'.repeat(64)], ['init.scope']),
  }).filter((p) => p.systemd ? p.runtime !== 'unknown' : p.runtime !== 'docker' && p.runtime !== 'containerd');

  test('containerIdentity: a generated kubelet path gives its container ID (lower case), pod UID and runtime', () => {
    fc.assert(fc.property(placed, (p) => {
      const uid_ = p.uid.replaceAll('-', '_');
      const qos = p.qos === '' ? '' : `-${p.qos}`;
      const prefix = { containerd: 'cri-containerd-', crio: 'crio-', docker: 'docker-', unknown: '' }[p.runtime];
      const pod = p.systemd
        ? ['kubepods.slice', ...(p.qos === '' ? [] : [`kubepods${qos}.slice`]), `kubepods${qos}-pod${uid_}.slice`, `${prefix}${p.id}.scope`]
        : ['kubepods', ...(p.qos === '' ? [] : [p.qos]), `pod${p.uid}`, `${prefix}${p.id}`];
      const key = `/${[...Array<string>(p.up).fill('..'), ...pod].join('/')}`;
      const id = containerIdentity([key, ...p.below].join('/'));
      assert.deepEqual(id, { key, containerId: p.id.toLowerCase(), podUid: p.uid,
        ...(p.runtime === 'unknown' ? {} : { runtime: p.runtime }), displayName: p.id.toLowerCase().slice(0, 12) });
    }), RUNS);
  });
});

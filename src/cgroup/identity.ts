// Which container a process belongs to, from the text of its /proc/<pid>/cgroup: parse the lines, pick the one
// hierarchy whose path names the container, and turn that path into a grouping key and a short name.
// Pure: text in, data out; reading /proc is src/sampling's job. Formats: research/linux-accounting.md §2.5, §3.
import { ProcParseError } from '../proc/errors.ts';

/** One line of /proc/<pid>/cgroup, `hierarchy-ID:controller-list:cgroup-path` (man 7 cgroups). */
export type CgroupEntry = {
  /** 0 for the cgroup v2 (unified) hierarchy, else the v1 hierarchy's ID. */
  readonly hierarchyId: number;
  /** The v1 hierarchy's controllers (`cpu`, `cpuacct`, `name=systemd`); empty for v2. */
  readonly controllers: readonly string[];
  /** Relative to the reader's cgroup namespace root, so it may start with `/..`; ` (deleted)` is cut off. */
  readonly path: string;
};

export const CONTAINER_RUNTIMES = ['containerd', 'crio', 'docker', 'podman'] as const;
export type ContainerRuntime = (typeof CONTAINER_RUNTIMES)[number];

export type ContainerIdentity = {
  /**
   * Equal keys = one container. A prefix of the cgroup path, so a container's nested cgroups (docker-in-docker,
   * systemd inside) share their container's key. `/` is the reader's own container (see displayName).
   */
  readonly key: string;
  /** The runtime's 64-hex ID, lower case: `status.containerStatuses[].containerID` without `<runtime>://`. */
  readonly containerId?: string;
  /**
   * Set instead of containerId for CRI-O's and podman's conmon: it watches that container from outside it,
   * so mapping it to the container's name would charge conmon's memory to the workload.
   */
  readonly conmonFor?: string;
  /** The pod's UID with dashes, when the path runs through the kubelet's pod cgroup. */
  readonly podUid?: string;
  /** Known from the leaf's prefix; a bare 64-hex leaf (cgroupfs driver) could be containerd or docker. */
  readonly runtime?: ContainerRuntime;
  /** For a container no one has named: the 12-hex short ID as `docker ps` shows it; see containerIdentity. */
  readonly displayName: string;
};

const DELETED = ' (deleted)'; // a zombie whose cgroup was removed (cgroup-v2.rst)

/** Parses /proc/<pid>/cgroup. Throws ProcParseError on a malformed line, or when no line is there at all. */
export function parseCgroupFile(text: string): CgroupEntry[] {
  const entries: CgroupEntry[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    // The first two ':' only: the path may hold more (systemd's `slice:prefix:name` form, linux-accounting §3.1).
    const first = line.indexOf(':');
    const second = first < 0 ? -1 : line.indexOf(':', first + 1);
    if (second < 0) throw new ProcParseError('cgroup', 'line is not "id:controllers:path"', line);
    const id = line.slice(0, first);
    const list = line.slice(first + 1, second);
    let path = line.slice(second + 1);
    if (!/^\d+$/.test(id) || !Number.isSafeInteger(Number(id))) { // 309 digits would read as Infinity
      throw new ProcParseError('cgroup', 'hierarchy ID is not a number', line);
    }
    if (path.endsWith(DELETED)) path = path.slice(0, -DELETED.length);
    if (path !== '' && !path.startsWith('/')) throw new ProcParseError('cgroup', 'path does not start with "/"', line);
    entries.push({ hierarchyId: Number(id), controllers: list === '' ? [] : list.split(','), path });
  }
  // Every process is in some cgroup of every mounted hierarchy; an empty file is not a readable answer.
  if (entries.length === 0) throw new ProcParseError('cgroup', 'no hierarchy lines', text);
  return entries;
}

/**
 * The path that names the process's container. The v2 line (`0::`) when it says anything: on a v2 host it is the
 * only line, and under a cgroup namespace its `/..` form is what tells siblings apart. On pure v1, or on a hybrid
 * host where nothing is placed in the unified hierarchy and `0::` stays `/` or empty (this machine), the v1
 * hierarchy every runtime places containers in: memory, then cpu, cpuacct, name=systemd, then the first line.
 * An empty path is read as `/`.
 */
export function groupingPath(entries: readonly CgroupEntry[]): string {
  const v2 = entries.find((e) => e.hierarchyId === 0);
  const v1 = entries.filter((e) => e.hierarchyId !== 0);
  if (v2 !== undefined && ((v2.path !== '' && v2.path !== '/') || v1.length === 0)) return v2.path || '/';
  const by = (controller: string) => v1.find((e) => e.controllers.includes(controller));
  const entry = by('memory') ?? by('cpu') ?? by('cpuacct') ?? by('name=systemd') ?? entries[0];
  if (entry === undefined) throw new RangeError('groupingPath: no cgroup entries');
  return entry.path || '/';
}

// A component naming a container: `<prefix>-<id>[.scope]` as runc's systemd driver, CRI-O (`crio-<id>` also with
// cgroupfs) and podman (`libpod-<id>` also without .scope) name it, or a bare `<id>` from the cgroupfs driver.
const LEAF = /^(?:(cri-containerd|crio-conmon|crio|docker|libpod-conmon|libpod)-)?([0-9a-f]{64})(?:\.scope)?$/i;
// systemd's cgroupsPath `slice:prefix:name`, seen unexpanded as one component (Elastic APM spec; containerd/nri#227).
const SLICE_FORM = /^[^:/]*\.slice:(cri-containerd|crio|docker):([0-9a-f]{64})$/i;
const RUNTIME_OF: Readonly<Record<string, ContainerRuntime>> = {
  'cri-containerd': 'containerd', crio: 'crio', 'crio-conmon': 'crio', docker: 'docker', libpod: 'podman',
  'libpod-conmon': 'podman',
};
// kubelet's pod cgroup, not anchored at `^/kubepods` (kind nests it under /kubelet.slice): the systemd driver escapes
// the UID's `-` as `_` (`kubepods-burstable-pod<uid>.slice`), cgroupfs keeps it (`/kubepods/burstable/pod<uid>`).
// Guaranteed pods have no QoS level. Static pods' UIDs are 32 hex without dashes, so no UUID shape is required.
const POD_SLICE = /kubepods(?:-besteffort|-burstable)?-pod([0-9a-f_]+)\.slice(?:[/:]|$)/;
const POD_DIR = /\/kubepods(?:\/besteffort|\/burstable)?\/pod([0-9a-f-]+)(?:\/|$)/;
// The pod cgroup as one component: the container is looked for below it, so that a runtime holding the whole
// node (kind's node container without cgroupns: /docker/<node id>/kubelet/kubepods/...) is not taken for it.
const POD_COMPONENT = /^pod[0-9a-f-]+$|kubepods(?:-besteffort|-burstable)?-pod[0-9a-f_]+\.slice$/;

type Leaf = { readonly prefix: string; readonly id: string };

function leafOf(component: string, parent: string | undefined): Leaf | undefined {
  const m = LEAF.exec(component) ?? SLICE_FORM.exec(component);
  if (m === null) return undefined;
  const prefix = (m[1] ?? '').toLowerCase();
  // podman's cgroupfs pod cgroup `/libpod_parent/<pod id>` holds a 64-hex pod ID; its containers are below it.
  if (prefix === '' && parent === 'libpod_parent') return undefined;
  return { prefix, id: (m[2] ?? '').toLowerCase() };
}

function podUidOf(key: string): string | undefined {
  const slice = POD_SLICE.exec(key)?.[1];
  if (slice !== undefined) return slice.replaceAll('_', '-');
  return POD_DIR.exec(key)?.[1];
}

/**
 * Turns a grouping path into the container it names. The key is the path up to and including the first
 * component that carries a container ID, searched from the root (or from below the pod cgroup, if there is one)
 * so docker-in-docker groups with the outer container; under cgroupns (`/../x/...`) without an ID, the `..`s
 * plus the first component after them; else the whole path. Under cgroupns the ID may sit deeper than the first
 * component: a sidecar with hostPID sees other pods as `/../../../kubepods-<qos>.slice/...-pod<uid>.slice/<leaf>`.
 *
 * displayName, for a container nobody named: the short ID; `conmon-<short ID>` for conmon; `self` for `/`; else
 * the key's last component (`ssh.service`), or the key itself for a bare `/..` (the namespace's parent cgroup).
 * `/` is `self` because the collector is a sidecar: under cgroupns `/` is its own container, and without cgroupns
 * (v1, privileged) the root cgroup holds no pod process unless the pod shares the host's PID namespace.
 * Under cgroupns `/sub` is a cgroup nested in the reader's own container, but it cannot be told from a host path
 * like `/system.slice/ssh.service`, so it keeps its own key: the collector's container creates no sub-cgroups.
 */
export function containerIdentity(path: string): ContainerIdentity {
  const parts = path.split('/').filter((part) => part !== '');
  let up = 0;
  while (parts[up] === '..') up++;
  const pod = parts.findLastIndex((part) => POD_COMPONENT.test(part));
  for (let i = Math.max(up, pod + 1); i < parts.length; i++) {
    const leaf = leafOf(parts[i] ?? '', parts[i - 1]);
    if (leaf === undefined) continue;
    const key = `/${parts.slice(0, i + 1).join('/')}`;
    const runtime = RUNTIME_OF[leaf.prefix];
    const podUid = podUidOf(key);
    const short = leaf.id.slice(0, 12);
    const conmon = leaf.prefix.endsWith('-conmon');
    return {
      key,
      ...(conmon ? { conmonFor: leaf.id } : { containerId: leaf.id }),
      ...(podUid === undefined ? {} : { podUid }),
      ...(runtime === undefined ? {} : { runtime }),
      displayName: conmon ? `conmon-${short}` : short,
    };
  }
  const keyParts = up > 0 ? parts.slice(0, up + 1) : parts;
  const key = `/${keyParts.join('/')}`;
  const podUid = podUidOf(key);
  const last = keyParts.at(-1);
  const displayName = last === undefined ? 'self' : last === '..' ? key : last;
  return { key, ...(podUid === undefined ? {} : { podUid }), displayName };
}

/** parseCgroupFile, groupingPath and containerIdentity in one step, as the sampler needs them. */
export const identityFromCgroupFile = (text: string): ContainerIdentity =>
  containerIdentity(groupingPath(parseCgroupFile(text)));

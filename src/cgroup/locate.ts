// Finds the directory that holds a container's own cgroup counters (through our cgroup mounts, --cgroup-root, or
// the process's own view at /proc/<pid>/root); counter-reader.ts reads them each sample.
// Facts: research/linux-accounting.md §2.5.
import { fs } from '../node-builtins.ts';
import { ProcParseError } from '../proc/errors.ts';
import { groupingPath } from './identity.ts';
import type { CgroupEntry } from './identity.ts';

/** A cgroup filesystem mount, from /proc/<pid>/mountinfo (proc_pid_mountinfo(5)) or a --cgroup-root folder. */
export type CgroupMount = {
  readonly mountPoint: string;
  readonly fsType: 'cgroup' | 'cgroup2';
  /** v1: the hierarchy's controllers (`cpu`, `cpuacct`, `name=systemd`) from the super options; v2: none. */
  readonly controllers: readonly string[];
  /**
   * The cgroup shown at mountPoint, relative to the READER's cgroup namespace: `/` for a fresh mount in the
   * reader's namespace, `/kubepods/.../<id>` for runc's v1 bind mount, `/..` for a mount made outside it.
   */
  readonly root: string;
};

/** Directories holding one container's counter files: the unified one on v2, one per controller on v1. */
export type CgroupDirs =
  | { readonly version: 2; readonly dir: string }
  | { readonly version: 1; readonly memory?: string; readonly cpuacct?: string; readonly cpu?: string };

// Super options that are not controllers; cgroup1_show_options prints these after the controllers.
const NOT_CONTROLLERS = new Set(['rw', 'ro', 'noprefix', 'cpuset_v2_mode', 'favordynmods', 'nofavordynmods', 'xattr',
  'clone_children']);
const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));

/** Parses mountinfo text into its cgroup mounts, dropping those hidden under a later mount on the same point. */
export function parseMountinfo(text: string): CgroupMount[] {
  const lines: { id: string; parent: string; mount: CgroupMount | undefined; point: string }[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const f = line.split(' ');
    const dash = f.indexOf('-', 6); // optional fields (shared:N, master:N) sit between options and '-'
    if (dash < 0 || f.length < dash + 4) throw new ProcParseError('mountinfo', 'no "- type source options"', line);
    const [id = '', parent = '', , root = '', point = ''] = f;
    const fsType = f[dash + 1];
    const mount: CgroupMount | undefined = fsType === 'cgroup' || fsType === 'cgroup2' ? {
      mountPoint: unescape(point), fsType, root: unescape(root),
      controllers: fsType === 'cgroup2' ? [] : (f[dash + 3] ?? '').split(',')
        .filter((o) => !NOT_CONTROLLERS.has(o) && !o.startsWith('release_agent=')),
    } : undefined;
    lines.push({ id, parent, mount, point });
  }
  // A mount over the same point (its parent is the hidden mount) is what path lookup reaches.
  const over = new Set(lines.map((l) => `${l.parent} ${l.point}`));
  return lines.flatMap((l) => (l.mount === undefined || over.has(`${l.id} ${l.point}`) ? [] : [l.mount]));
}

const parts = (path: string) => path.split('/').filter((p) => p !== '');
const ups = (p: readonly string[]) => {
  const i = p.findIndex((x) => x !== '..');
  return i < 0 ? p.length : i;
};

/**
 * `path` relative to the mount `root`, both relative to one cgroup namespace root, or undefined when the mount does
 * not show it. Both may start with `..`s; those stand for names we do not know, so only equal counts compare.
 */
export function pathUnderRoot(root: string, path: string): string | undefined {
  const r = parts(root), p = parts(path);
  if (ups(r) !== ups(p) || p.length < r.length || r.some((x, i) => p[i] !== x)) return undefined;
  return p.slice(r.length).map((x) => `/${x}`).join('');
}

/** Whether `path` is `key` or below it; `..`s must match in number, as in pathUnderRoot. */
const isBelow = (path: string, key: string) => {
  const k = parts(key), p = parts(path);
  return ups(p) === ups(k) && p.length >= k.length && k.every((x, i) => p[i] === x);
};

function dirOf(entry: CgroupEntry | undefined, mounts: readonly CgroupMount[], key: string, trim: boolean) {
  if (entry === undefined || !isBelow(entry.path, key)) return undefined;
  const path = trim ? key : entry.path || '/';
  const v2 = entry.hierarchyId === 0;
  for (const m of mounts) {
    const same = v2 ? m.fsType === 'cgroup2'
      : m.fsType === 'cgroup' && entry.controllers.every((x) => m.controllers.includes(x));
    const rest = same ? pathUnderRoot(m.root, path) : undefined;
    if (rest !== undefined) return m.mountPoint + rest;
  }
  return undefined;
}

/**
 * Pure: the directories of a process's cgroup, from its /proc/<pid>/cgroup entries and the mounts. Only hierarchies
 * whose path is at or below the container's key count (default: identity.ts's groupingPath): on a hybrid host a
 * container may sit in v2 alone while its v1 lines name the host's cgroups, whose counters would be the node's.
 * With `containerKey`, paths are cut to it, so a container's nested cgroups read as the whole container.
 * v1 wins where its memory hierarchy is reachable (a hybrid host has memory only there); else v2; else v1 CPU only.
 */
export function resolveCgroupDirs(entries: readonly CgroupEntry[], mounts: readonly CgroupMount[],
  containerKey?: string): CgroupDirs | undefined {
  const key = containerKey ?? groupingPath(entries), trim = containerKey !== undefined;
  const v1 = (ctl: string) =>
    dirOf(entries.find((e) => e.hierarchyId !== 0 && e.controllers.includes(ctl)), mounts, key, trim);
  const memory = v1('memory'), cpuacct = v1('cpuacct'), cpu = v1('cpu');
  if (memory !== undefined) return { version: 1, memory, cpuacct, cpu };
  const unified = dirOf(entries.find((e) => e.hierarchyId === 0), mounts, key, trim);
  if (unified !== undefined) return { version: 2, dir: unified };
  return cpuacct === undefined && cpu === undefined ? undefined : { version: 1, cpuacct, cpu };
}

/**
 * The cgroup mounts in a --cgroup-root folder: a v2 root (it holds cgroup.controllers), or a folder like a v1 host's
 * /sys/fs/cgroup with one directory per hierarchy (`memory`, `cpu,cpuacct`; a `unified` v2 one). Missing or empty: [].
 */
export function cgroupMountsAt(dir: string): CgroupMount[] {
  const v2 = (mountPoint: string): CgroupMount => ({ mountPoint, fsType: 'cgroup2', controllers: [], root: '/' });
  if (fs.existsSync(`${dir}/cgroup.controllers`)) return [v2(dir)];
  let names: string[];
  try {
    names = fs.readdirSync(dir).sort();
  } catch (err) {
    if (unreadable(err)) return [];
    throw err;
  }
  return names.flatMap((name): CgroupMount[] => {
    const sub = `${dir}/${name}`;
    if (fs.existsSync(`${sub}/cgroup.controllers`)) return [v2(sub)];
    if (!fs.existsSync(`${sub}/cgroup.procs`)) return [];
    const controllers = name === 'systemd' ? ['name=systemd'] : name.split(',');
    return [{ mountPoint: sub, fsType: 'cgroup', root: '/', controllers }];
  });
}

// EINVAL: /proc/<pid>/mountinfo of a process whose mount namespace is being torn down (it is exiting).
const UNREADABLE = new Set(['ENOENT', 'ENOTDIR', 'ESRCH', 'EACCES', 'EPERM', 'ENODEV', 'EINVAL']);
/** Gone (process or cgroup removed: ENODEV on a deleted cgroup's open file) or not ours to read. */
export const unreadable = (err: unknown) => UNREADABLE.has((err as NodeJS.ErrnoException).code ?? '');

export type LocateOptions = {
  /** What to resolve against: parseMountinfo(/proc/self/mountinfo), or cgroupMountsAt(--cgroup-root). */
  readonly mounts: readonly CgroupMount[];
  /** /proc, to try the process's own view when `mounts` cannot show its cgroup; omit to turn that off. */
  readonly procRoot?: string;
  /** The container's grouping key (identity.ts), to read the whole container rather than a nested cgroup. */
  readonly containerKey?: string;
};

export type LocatedCgroup = { readonly dirs: CgroupDirs; readonly via: 'mount' | 'proc-root' };

/**
 * Where to read the container of process `pid` from. Once per container: reads cgroup.procs to verify. First our
 * mounts; then, for a path they cannot show (a sibling under cgroupns, `/../x`), the process's own mounts from
 * /proc/<pid>/mountinfo (roots shown relative to OUR namespace, so they compare with `entries`) under
 * /proc/<pid>/root. Either way the process must be listed in its exact cgroup's cgroup.procs: a mount at a
 * different cgroup (a host root reached as `/` from inside a cgroupns) would otherwise pass for the container.
 */
export function locateCgroup(pid: number, entries: readonly CgroupEntry[], options: LocateOptions)
  : LocatedCgroup | undefined {
  const { mounts, procRoot, containerKey } = options;
  const verified = (ms: readonly CgroupMount[]) => {
    const exact = resolveCgroupDirs(entries, ms);
    const listed = exact !== undefined && dirList(exact).every((d) => listsPid(d, pid));
    return listed ? resolveCgroupDirs(entries, ms, containerKey) : undefined;
  };
  const own = verified(mounts);
  if (own !== undefined) return { dirs: own, via: 'mount' };
  const text = procRoot === undefined ? undefined : readOnce(`${procRoot}/${pid}/mountinfo`);
  if (text === undefined) return undefined;
  const theirs = parseMountinfo(text).map((m) => ({ ...m, mountPoint: `${procRoot}/${pid}/root${m.mountPoint}` }));
  const dirs = verified(theirs);
  return dirs === undefined ? undefined : { dirs, via: 'proc-root' };
}

export const dirList = (d: CgroupDirs) => // cpu and cpuacct often share one hierarchy, so one directory
  d.version === 2 ? [d.dir] : [...new Set([d.memory, d.cpuacct, d.cpu])].filter((x): x is string => x !== undefined);

/** Whether `dir/cgroup.procs` lists `pid` (pids appear as seen from the reader's PID namespace). */
export function listsPid(dir: string, pid: number): boolean {
  const text = readOnce(`${dir}/cgroup.procs`);
  return text !== undefined && `\n${text}`.includes(`\n${pid}\n`);
}

/** For reads once per container: readFileSync reads to the end although kernfs and /proc report size 0. */
function readOnce(path: string): string | undefined {
  try {
    return fs.readFileSync(path, 'utf8'); // mount points may be UTF-8 names
  } catch (err) {
    if (unreadable(err)) return undefined;
    throw err;
  }
}

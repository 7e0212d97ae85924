// The wrap mode's own cgroup: made for one run in every hierarchy we may write to, so the kernel counts every
// process the command starts, daemons that leave its process tree included. Removed afterwards, always.
import { fs } from '../node-builtins.ts';
import type { CgroupMount } from '../cgroup/locate.ts';

/** The v1 controllers whose counters the collector reads. */
const V1 = ['memory', 'cpuacct', 'cpu'];
const NOT_PERMITTED = new Set(['EACCES', 'EPERM', 'EROFS', 'ENOENT', 'ENOTDIR', 'EEXIST']);

export class JobCgroup {
  /** The cgroup path as /proc/<pid>/cgroup shows it, which is also the sampler's grouping key for it. */
  readonly key: string;
  /** One directory per hierarchy it was made in. */
  readonly dirs: readonly string[];
  readonly #parents: ReadonlyMap<string, string>;

  private constructor(key: string, dirs: ReadonlyMap<string, string>) {
    this.key = key;
    this.dirs = [...dirs.keys()];
    this.#parents = dirs;
  }

  /**
   * Makes `name` at the root of each cgroup hierarchy we see: the v2 one and the v1 memory/cpuacct/cpu ones. At
   * the root because cgroup v2 allows controllers only in cgroups without processes of their own, so a child of
   * our own cgroup would get no memory counters. Undefined where nothing may be made (no root, a read-only mount).
   */
  static create(name: string, mounts: readonly CgroupMount[]): JobCgroup | undefined {
    const made = new Map<string, string>();
    const wanted = mounts.filter((m) => m.fsType === 'cgroup2' || V1.some((c) => m.controllers.includes(c)));
    for (const m of wanted) {
      if (!fs.existsSync(`${m.mountPoint}/cgroup.procs`)) continue;
      const dir = `${m.mountPoint}/${name}`;
      try {
        fs.mkdirSync(dir);
        made.set(dir, m.mountPoint);
      } catch (err) {
        if (!NOT_PERMITTED.has((err as NodeJS.ErrnoException).code ?? '')) throw err;
      }
    }
    return made.size === 0 ? undefined : new JobCgroup(`/${name}`, made);
  }

  /** A shell line that moves the shell into every hierarchy's cgroup; the command is exec'd after it. */
  enterScript(): string {
    return this.dirs.map((d) => `echo $$ > '${d}/cgroup.procs'`).join(' && ');
  }

  /**
   * Moves what is left (a daemon the command started) back to the root cgroup, then removes the directories.
   * Leftovers are moved, not killed: they are the user's. Returns the directories that could not be removed.
   */
  async remove(): Promise<string[]> {
    const failed: string[] = [];
    for (const [dir, mount] of this.#parents) {
      for (let attempt = 0; ; attempt++) {
        try {
          for (const pid of fs.readFileSync(`${dir}/cgroup.procs`, 'utf8').split('\n').filter(Boolean)) {
            try { fs.writeFileSync(`${mount}/cgroup.procs`, pid); } catch { /* exited meanwhile */ }
          }
          fs.rmdirSync(dir);
          break;
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          if (code === 'ENOENT') break;
          // EBUSY while the kernel still tears down an exiting process: a moment later it is free.
          if (code !== 'EBUSY' || attempt >= 40) { failed.push(dir); break; }
          await new Promise((r) => setTimeout(r, 25));
        }
      }
    }
    return failed;
  }
}

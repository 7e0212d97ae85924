// Test cgroups made by hand, as a container runtime would: a directory in a cgroup hierarchy, processes
// moved in through cgroup.procs, removed afterwards. Needs root.
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';

export const isRoot = process.getuid?.() === 0;
/** Root-only tests skip outside CI only: CI runs as root and must run them. */
export const needsRoot = !isRoot && !process.env.CI ? 'needs root to create cgroups' : false;

/** The cgroup v2 hierarchy: /sys/fs/cgroup itself on pure v2 hosts, /sys/fs/cgroup/unified on hybrid ones. */
export function unifiedMount(): string {
  if (existsSync('/sys/fs/cgroup/cgroup.controllers')) return '/sys/fs/cgroup';
  if (existsSync('/sys/fs/cgroup/unified/cgroup.controllers')) return '/sys/fs/cgroup/unified';
  throw new Error('no cgroup v2 hierarchy mounted');
}

export class TestCgroup {
  readonly dir: string;
  /** The path as /proc/<pid>/cgroup shows it on the 0:: line. */
  readonly path: string;

  constructor(name: string) {
    const mount = unifiedMount();
    this.path = `/${name}`;
    this.dir = `${mount}/${name}`;
    mkdirSync(this.dir, { recursive: true });
  }

  /** CPU time of everything that ever ran in the cgroup, in seconds: the kernel's own accounting. */
  cpuSeconds(): number {
    const m = /^usage_usec (\d+)$/m.exec(readFileSync(`${this.dir}/cpu.stat`, 'utf8'));
    if (!m) throw new Error(`${this.dir}/cpu.stat has no usage_usec`);
    return Number(m[1]) / 1e6;
  }

  /** A shell line that moves itself into the cgroup, then runs `command`. */
  enterThen(command: string): string {
    return `echo $$ > ${this.dir}/cgroup.procs && exec ${command}`;
  }

  add(pid: number): void {
    writeFileSync(`${this.dir}/cgroup.procs`, String(pid));
  }

  /** Removes the cgroup once its processes have gone (rmdir fails with EBUSY until then). */
  async remove(): Promise<void> {
    for (let i = 0; i < 100; i++) {
      try {
        rmdirSync(this.dir);
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }
}

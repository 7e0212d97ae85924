// A simulated Kubernetes pod on the machine's real kernel: a new PID namespace with its own /proc (as with
// shareProcessNamespace: every container sees every process), and "containers" as cgroups made by hand in every
// hierarchy the host mounts (v2, and the v1 cpu, cpuacct and memory controllers where they exist).
import { existsSync, mkdirSync, readFileSync, rmdirSync } from 'node:fs';

const V1_CONTROLLERS = ['cpu', 'cpuacct', 'memory'];

/** The directories of one container's cgroup, one per hierarchy. */
export class PodContainer {
  readonly name: string;
  readonly dirs: string[];
  readonly #v1: Map<string, string>;
  readonly v2: string | undefined;

  constructor(pod: string, name: string) {
    this.name = name;
    this.#v1 = new Map();
    const v2Mount = ['/sys/fs/cgroup', '/sys/fs/cgroup/unified'].find((m) => existsSync(`${m}/cgroup.controllers`));
    this.v2 = v2Mount === undefined ? undefined : `${v2Mount}/${pod}/${name}`;
    for (const c of V1_CONTROLLERS) {
      const mount = `/sys/fs/cgroup/${c}`;
      if (existsSync(`${mount}/cgroup.procs`) && !existsSync(`${mount}/cgroup.controllers`)) this.#v1.set(c, `${mount}/${pod}/${name}`);
    }
    this.dirs = [...(this.v2 === undefined ? [] : [this.v2]), ...this.#v1.values()];
    for (const d of this.dirs) mkdirSync(d, { recursive: true });
  }

  /** A shell line that moves the shell into this container's cgroups; `exec` a command after it. */
  enter(): string {
    return this.dirs.map((d) => `echo $$ > ${d}/cgroup.procs`).join(' && ');
  }

  /** CPU-seconds the kernel charged to the cgroup: v1 cpuacct.usage (ns) where mounted, else v2 usage_usec. */
  cpuSeconds(): number {
    const cpuacct = this.#v1.get('cpuacct');
    if (cpuacct !== undefined) return Number(readFileSync(`${cpuacct}/cpuacct.usage`, 'utf8')) / 1e9;
    const m = /^usage_usec (\d+)$/m.exec(readFileSync(`${this.v2!}/cpu.stat`, 'utf8'));
    return Number(m![1]) / 1e6;
  }

  /** The working set now: usage − inactive file pages, as the kubelet and the collector count it. */
  workingSetBytes(): number | undefined {
    const memory = this.#v1.get('memory');
    if (memory !== undefined) {
      const usage = Number(readFileSync(`${memory}/memory.usage_in_bytes`, 'utf8'));
      const inactive = Number(/^total_inactive_file (\d+)$/m.exec(readFileSync(`${memory}/memory.stat`, 'utf8'))?.[1] ?? 0);
      return Math.max(0, usage - inactive);
    }
    if (this.v2 !== undefined && existsSync(`${this.v2}/memory.current`)) {
      const usage = Number(readFileSync(`${this.v2}/memory.current`, 'utf8'));
      const inactive = Number(/^inactive_file (\d+)$/m.exec(readFileSync(`${this.v2}/memory.stat`, 'utf8'))?.[1] ?? 0);
      return Math.max(0, usage - inactive);
    }
    return undefined;
  }
}

export class Pod {
  readonly name: string;
  readonly containers: PodContainer[] = [];

  constructor(name: string) {
    this.name = name;
  }

  container(name: string): PodContainer {
    const c = new PodContainer(this.name, name);
    this.containers.push(c);
    return c;
  }

  /** Removes the cgroups (children first); retries while the kernel still holds exited processes. */
  async remove(): Promise<void> {
    const parents = new Set<string>();
    for (const c of this.containers) {
      for (const d of c.dirs) {
        await rmdirRetry(d);
        parents.add(d.slice(0, d.lastIndexOf('/')));
      }
    }
    for (const p of parents) await rmdirRetry(p);
  }
}

async function rmdirRetry(dir: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      rmdirSync(dir);
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

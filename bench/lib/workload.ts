// A synthetic CI job, shaped like what the Sampler hands the Accumulator: N processes spread over C containers
// (kubepods cgroup paths), CPU from whole clock ticks over slightly jittered intervals, resident memory in whole
// pages, and a few processes replaced each sample (a job forks). Seeded: the same seed gives the same run.
import { containerIdentity } from '../../src/cgroup/identity.ts';
import type { ContainerSample, ProcessSample, Sample } from '../../src/sampling/sample.ts';
import { bytes, cores, seconds } from '../../src/units.ts';
import { prng } from '../../src/receiver/sizing/synthetic.ts';

// The sizing backtest's seeded PRNG: one implementation for every synthetic history in the project.
export { prng };

const hex = (rand: () => number, n: number) => Array.from({ length: n }, () => Math.floor(rand() * 16).toString(16)).join('');

export const CONTAINER_NAMES = ['runner', 'build', 'docker', 'postgres', 'redis', 'selenium', 'kafka', 'zookeeper', 'minio',
  'elasticsearch', 'mysql', 'rabbitmq', 'nginx', 'memcached', 'mongo', 'vault', 'consul', 'etcd', 'jaeger', 'sidecar'] as const;
const COMMS = ['node', 'java', 'python3', 'go', 'cc1plus', 'sh', 'bash', 'postgres', 'redis-server', 'dockerd'] as const;

export type Job = {
  /** Grouping key and cgroup path of each container. */
  readonly containers: readonly { readonly key: string; readonly path: string; readonly name: string }[];
  /** Takes sample i (0 = the baseline). */
  sample(i: number): Sample;
};

export function syntheticJob(o: { processes: number; containers: number; churnPerSample: number; seed: number; intervalMs?: number;
  startMs?: number }): Job {
  const rand = prng(o.seed);
  const interval = (o.intervalMs ?? 2000) / 1000;
  const podUid = `${hex(rand, 8)}-${hex(rand, 4)}-${hex(rand, 4)}-${hex(rand, 4)}-${hex(rand, 12)}`;
  const containers = Array.from({ length: o.containers }, (_, c) => {
    const path = `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${podUid.replaceAll('-', '_')}.slice/cri-containerd-${hex(rand, 64)}.scope`;
    return { key: containerIdentity(path).key, path, name: CONTAINER_NAMES[c % CONTAINER_NAMES.length]! };
  });
  type P = { pid: number; startTicks: number; comm: string; cmdline: string; container: number; busy: number; pages: number };
  let nextPid = 1000;
  const newProcess = (container: number, at: number): P => {
    const comm = COMMS[Math.floor(rand() * COMMS.length)]!;
    return { pid: nextPid++, startTicks: at, comm, cmdline: `/usr/bin/${comm} --flag value ${hex(rand, 8)}`, container,
      busy: rand() < 0.1 ? rand() * 2 : rand() * 0.02, pages: 2000 + Math.floor(rand() * 100_000) };
  };
  const procs: P[] = Array.from({ length: o.processes }, (_, i) => newProcess(i % o.containers, 0));
  const start = o.startMs ?? Date.parse('2026-11-23T10:00:00Z');
  return {
    containers,
    sample(i: number): Sample {
      for (let k = 0; k < o.churnPerSample && i > 0; k++) {
        const at = Math.floor(rand() * procs.length);
        procs[at] = newProcess(procs[at]!.container, i * interval * 100);
      }
      const elapsed = i === 0 ? 0 : interval + (rand() - 0.5) * 0.004;
      const acc = containers.map(() => ({ cpu: 0, mem: 0, n: 0 }));
      const processes = new Array<ProcessSample>(procs.length);
      for (let p = 0; p < procs.length; p++) {
        const pr = procs[p]!;
        const ticks = i === 0 ? 0 : Math.round(pr.busy * rand() * 2 * elapsed * 100);
        const cpu = i === 0 ? 0 : ticks / 100 / elapsed;
        pr.pages = Math.max(100, pr.pages + Math.floor((rand() - 0.5) * 200));
        const rss = pr.pages * 4096;
        const a = acc[pr.container]!;
        a.cpu += ticks; a.mem += rss; a.n++;
        processes[p] = { pid: pr.pid, startTicks: pr.startTicks, comm: pr.comm, cmdline: pr.cmdline,
          containerKey: containers[pr.container]!.key, cpuCores: cores(cpu), rssBytes: bytes(rss) };
      }
      const map = new Map<string, ContainerSample>();
      containers.forEach((c, k) => map.set(c.key, { key: c.key, processes: acc[k]!.n, memoryBytes: bytes(acc[k]!.mem),
        rssBytes: bytes(acc[k]!.mem), cpuCores: cores(i === 0 ? 0 : acc[k]!.cpu / 100 / elapsed), cpuSource: 'processes', memorySource: 'processes' }));
      return { timeMs: start + i * interval * 1000, elapsed: seconds(elapsed), cpuTotalPercent: i === 0 ? undefined : 20 + rand() * 60,
        memUsedBytes: bytes(8e9 + Math.floor(rand() * 4e9)), memTotalBytes: bytes(24 * 2 ** 30), containers: map, processes,
        vanished: 0, newProcesses: i === 0 ? procs.length : o.churnPerSample };
    },
  };
}

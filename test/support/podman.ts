// Containers and pods under podman for the end-to-end tests: the repository's podman settings (scripts/podman.ts),
// stopping containers the way the kubelet does, and the kernel's own counters of a container's cgroup, read from the
// host to check the collector against.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { havePodman, podman, podmanEnv } from '../../scripts/podman.ts';
import { waitFor } from './programs.ts';

export { havePodman, podman };

/** Why the podman tests cannot run here, or undefined when they can. In CI (CI=true) they fail instead of skipping. */
export function podmanSkip(): string | false {
  if (process.env.CI === 'true') return false;
  if (process.getuid?.() !== 0) return 'needs root (rootful podman)';
  if (!havePodman()) return 'needs podman and runc (apt-get install -y podman runc)';
  return false;
}

/** A container's output so far: stdout, and stderr (where both programs log). */
export function containerLogs(name: string): { stdout: string; stderr: string } {
  const r = spawnSync('podman', ['logs', name], { env: podmanEnv(), encoding: 'utf8', maxBuffer: 64 << 20 });
  return { stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

export type ContainerState = { readonly status: string; readonly exitCode: number; readonly pid: number };

export function containerState(name: string): ContainerState | undefined {
  const out = podman(['inspect', '--type', 'container', '--format', '{{.State.Status}} {{.State.ExitCode}} {{.State.Pid}}', name],
    { allowFailure: true }).trim();
  const [status, code, pid] = out.split(' ');
  return status === undefined || status === '' ? undefined : { status, exitCode: Number(code), pid: Number(pid) };
}

/**
 * Stops containers as the kubelet stops a pod's containers: SIGTERM to each at once, then waits up to the grace
 * period for them to exit, then SIGKILL. (`podman pod stop` on podman 4.3 kills a shared-PID pod at once, with no
 * SIGTERM.) Returns each container's state once exited, and whether the grace period ran out.
 */
export async function stopLikeKubelet(names: readonly string[], graceSeconds: number)
  : Promise<{ states: Map<string, ContainerState>; killed: boolean; seconds: number }> {
  const started = performance.now();
  for (const name of names) podman(['kill', '--signal', 'TERM', name]);
  const exited = () => names.every((n) => containerState(n)?.status !== 'running');
  let killed = false;
  try {
    await waitFor('the containers to exit after SIGTERM', () => (exited() ? true : undefined), graceSeconds * 1000);
  } catch {
    killed = true;
    for (const name of names) podman(['kill', '--signal', 'KILL', name], { allowFailure: true });
    await waitFor('the containers to exit after SIGKILL', () => (exited() ? true : undefined), 10_000);
  }
  return { states: new Map(names.map((n) => [n, containerState(n)!])), killed, seconds: (performance.now() - started) / 1000 };
}

/** A free TCP port on 127.0.0.1 (released at once: the caller binds it next). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export type CpuCounters = { readonly cpuSeconds: number; readonly periods: number; readonly throttledPeriods: number; readonly source: string };

/**
 * The kernel's CPU counters of the cgroup that process `pid` runs in, read from the host: cgroup v1 cpuacct.usage
 * and cpu.stat where those hierarchies are mounted (as the collector prefers them), else cgroup v2 cpu.stat.
 */
export function cgroupCpuCounters(pid: number): CpuCounters {
  const lines = readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n').map((l) => {
    const [, controllers = '', path = ''] = /^\d+:([^:]*):(.*)$/.exec(l) ?? [];
    return { controllers: controllers.split(','), path };
  });
  const v1Mount = (controller: string) => readdirSync('/sys/fs/cgroup').map((d) => `/sys/fs/cgroup/${d}`)
    .find((d) => d.split('/').pop()!.split(',').includes(controller) && existsSync(`${d}/cgroup.procs`));
  const v1Path = (controller: string) => lines.find((l) => l.controllers.includes(controller))?.path;
  const cpuacct = v1Mount('cpuacct'), cpu = v1Mount('cpu');
  const stat = (text: string, key: string) => Number(new RegExp(`^${key} (\\d+)$`, 'm').exec(text)?.[1] ?? NaN);
  if (cpuacct !== undefined && cpu !== undefined && v1Path('cpuacct') !== undefined) {
    const cpuStat = readFileSync(`${cpu}${v1Path('cpu')}/cpu.stat`, 'utf8');
    return { source: 'cgroup-v1', cpuSeconds: Number(readFileSync(`${cpuacct}${v1Path('cpuacct')}/cpuacct.usage`, 'utf8')) / 1e9,
      periods: stat(cpuStat, 'nr_periods'), throttledPeriods: stat(cpuStat, 'nr_throttled') };
  }
  const unified = ['/sys/fs/cgroup', '/sys/fs/cgroup/unified'].find((m) => existsSync(`${m}/cgroup.controllers`));
  const path = lines.find((l) => l.controllers.length === 1 && l.controllers[0] === '')?.path;
  if (unified === undefined || path === undefined) throw new Error(`no cgroup CPU counters for pid ${pid}`);
  const cpuStat = readFileSync(`${unified}${path}/cpu.stat`, 'utf8');
  return { source: 'cgroup-v2', cpuSeconds: stat(cpuStat, 'usage_usec') / 1e6, periods: stat(cpuStat, 'nr_periods'),
    throttledPeriods: stat(cpuStat, 'nr_throttled') };
}

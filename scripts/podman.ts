// Runs podman with this repository's settings (deploy/podman/containers.conf, through CONTAINERS_CONF) unless the
// caller set CONTAINERS_CONF: the machine's own configuration is never changed. Used by scripts/image.ts and test/pod.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const CONTAINERS_CONF = `${ROOT}deploy/podman/containers.conf`;
export const IMAGE_NAME = 'localhost/runner-resource-collector';

/** The environment podman runs in: the repository's containers.conf unless one was chosen. */
export const podmanEnv = (): NodeJS.ProcessEnv => ({ ...process.env, CONTAINERS_CONF: process.env.CONTAINERS_CONF ?? CONTAINERS_CONF });

export class PodmanError extends Error {
  override name = 'PodmanError';
  readonly status: number | null;
  readonly stderr: string;
  constructor(args: readonly string[], status: number | null, stderr: string) {
    super(`podman ${args.join(' ')}: exit ${status}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
    this.status = status;
    this.stderr = stderr;
  }
}

export type PodmanOptions = { readonly input?: string; readonly timeoutMs?: number; readonly allowFailure?: boolean };

/** Runs `podman ARGS`, returns its stdout; throws PodmanError on a non-zero exit unless `allowFailure`. */
export function podman(args: readonly string[], options: PodmanOptions = {}): string {
  const r: SpawnSyncReturns<string> = spawnSync('podman', args, { env: podmanEnv(), encoding: 'utf8', input: options.input,
    timeout: options.timeoutMs ?? 120_000, maxBuffer: 64 << 20 });
  if (r.error !== undefined) {
    if ((r.error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new PodmanError(args, null, 'podman is not installed (Debian: apt-get install -y podman runc)');
    }
    throw r.error;
  }
  if (r.status !== 0 && options.allowFailure !== true) throw new PodmanError(args, r.status, r.stderr);
  return r.stdout;
}

/** Whether podman can be run here at all. */
export function havePodman(): boolean {
  return spawnSync('podman', ['--version'], { env: podmanEnv() }).status === 0;
}

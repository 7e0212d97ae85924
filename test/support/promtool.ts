// Validates a Prometheus exposition with promtool (Debian's `prometheus` package, installed by .ci/run).
import { spawnSync } from 'node:child_process';

/** Outside CI a missing promtool skips the check; in CI it fails the test. */
export const promtoolMissing = (): string | false => {
  const found = spawnSync('promtool', ['--version'], { stdio: 'ignore' }).status === 0;
  if (found) return false;
  if (process.env.CI) throw new Error('promtool is not installed: .ci/run must install the prometheus package');
  return 'promtool is not installed (apt-get install prometheus)';
};

/** `promtool check metrics` output (lint problems) and exit status. */
export function promtoolCheck(exposition: string): { status: number | null; output: string } {
  const r = spawnSync('promtool', ['check', 'metrics'], { input: exposition, encoding: 'utf8' });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

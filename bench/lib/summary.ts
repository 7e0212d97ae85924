// Realistic push bodies, made by the project's own Accumulator from a synthetic job: 6 containers (two with
// limits, two named by the process map), top 5 processes, a 30-minute run at 2 s. `seriesPoints` 0 leaves out
// the downsampled series (a body of about 5 KB, the "realistic summary"); the collector's default is 300.
import { Accumulator } from '../../src/summary/accumulator.ts';
import type { PushBody } from '../../src/summary/types.ts';
import { bytes, cores } from '../../src/units.ts';
import { syntheticJob } from './workload.ts';

export const SCOPE = { organization: 'acme', repository: 'acme/payments-service', workflow: 'ci.yml', job: 'integration-tests' } as const;

export function pushBody(o: { seriesPoints: number; seed?: number; runId?: string; executionId?: string; samples?: number }): PushBody {
  const job = syntheticJob({ processes: 60, containers: 6, churnPerSample: 1, seed: o.seed ?? 7 });
  const mapped = new Map([[job.containers[0]!.key, 'runner'], [job.containers[1]!.key, 'build']]);
  const acc = new Accumulator({
    top: 5, seriesPoints: o.seriesPoints, mappedName: (key) => mapped.get(key),
    limits: new Map([['runner', { cpu: cores(2), memory: bytes(4 * 2 ** 30) }], ['build', { cpu: cores(4), memory: bytes(8 * 2 ** 30) }]]),
    collection: { collector_version: '0.1.0', interval_seconds: 2, clock_ticks_per_second: 100, short_lived_accounting: true },
  });
  for (const c of job.containers) acc.addContainer(c.key, c.path);
  for (let i = 0; i <= (o.samples ?? 900); i++) acc.add(job.sample(i));
  return { ...SCOPE, run_id: o.runId ?? '8412093311', execution_id: o.executionId ?? '6f1c2a9e-3b7d-4e58-9c0a-1d2e3f4a5b6c',
    summary: acc.summarize(true) };
}

/** The body as autocannon sends it, with `[<id>]` as the execution_id: each request gets a fresh one (a new run). */
export function templatedBody(seriesPoints: number): string {
  return JSON.stringify({ ...pushBody({ seriesPoints }), execution_id: '[<id>]' });
}

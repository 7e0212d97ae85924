// npm run bench: builds the bundles (npm run build), then runs every benchmark, each in its own process, and
// prints their tables. Flags: --quick (short mode, under 2 minutes), --only a,b (names below), --no-build.
// Each benchmark also runs alone: node bench/<name>.ts [--quick]. Loads go to 127.0.0.1 only, every load is
// bounded in time, and everything started is stopped by its PID.
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { machineLine, NODE, ROOT } from './lib/env.ts';

export const BENCHES = ['startup', 'collector-cost', 'collector-overhead', 'collector-limit', 'collector-memory', 'receiver-ingest', 'receiver-query', 'storage'] as const;

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, only: { type: 'string' },
  build: { type: 'boolean', default: true } }, allowNegative: true });
const only = values.only?.split(',').map((s) => s.trim()) ?? [...BENCHES];
const unknown = only.filter((name) => !(BENCHES as readonly string[]).includes(name));
if (unknown.length > 0) {
  process.stderr.write(`bench: unknown benchmark ${unknown.join(', ')} (known: ${BENCHES.join(', ')})\n`);
  process.exit(2);
}

const started = performance.now();
process.stdout.write(`# npm run bench${values.quick ? ' -- --quick' : ''}\n\n${machineLine()}\n`);
if (values.build) {
  const b = spawnSync(NODE, [`${ROOT}/scripts/build.ts`], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (b.status !== 0) process.exit(b.status ?? 1);
}
const failed: string[] = [];
const took: string[] = [];
for (const name of BENCHES.filter((n) => only.includes(n))) {
  const t0 = performance.now();
  const r = spawnSync(NODE, [`${ROOT}/bench/${name}.ts`, ...(values.quick ? ['--quick'] : [])], { stdio: 'inherit' });
  took.push(`${name} ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  if (r.status !== 0) failed.push(`${name} (exit ${r.status ?? r.signal})`);
}
process.stdout.write(`\nTook ${((performance.now() - started) / 1000).toFixed(0)} s: ${took.join(', ')}.\n`);
if (failed.length > 0) {
  process.stderr.write(`bench: failed: ${failed.join(', ')}\n`);
  process.exitCode = 1;
}

// Collector start-up: wall time from exec to the first sample (the "sample taken" debug record reaching us),
// for the bundled build and, for comparison, the TypeScript sources run by type stripping; baselines in the same
// run: Node's own start-up (exec to a first line on stderr) and the C floor (procscan: exec to one pass printed).
// Run alone: node bench/startup.ts [--quick]
import { COLLECTOR_NODE_FLAGS } from '../src/collector/node-flags.ts';
import { anchorsDir, benchArgs, DIST, machineLine, NODE, requireBuild, ROOT, scratchDir } from './lib/env.ts';
import { Child, runCleanups } from './lib/children.ts';
import { buildProcscan } from './lib/baselines.ts';
import { IdleProcesses, procCount } from './lib/procs.ts';
import { median, spread } from './lib/stats.ts';
import { printTable, type Table } from './lib/table.ts';

const COLLECTOR_ARGS = ['--interval=2s', '--proc-path=/proc', '--log-level=debug', '--checkpoint-interval=0'];

/** Milliseconds from spawning `command` to its first line matching `test`; the program is then stopped. */
async function timeToLine(command: string, args: readonly string[], test: (line: string) => boolean): Promise<number> {
  const t0 = performance.now();
  const child = new Child(command, args);
  try {
    await child.waitFor(test, 30_000, `${command} ${args[0] ?? ''}`);
    return performance.now() - t0;
  } finally {
    await child.stop();
  }
}

export async function startup(quick: boolean): Promise<Table[]> {
  requireBuild();
  const anchors = anchorsDir();
  const scratch = scratchDir('startup');
  const procscan = buildProcscan(anchors, scratch);
  const idle = new IdleProcesses(scratch);
  const reps = quick ? 3 : 15;
  const variants: [string, () => Promise<number>][] = [
    ['collector, dist/collector.js (bundled)', () => timeToLine(NODE, [...COLLECTOR_NODE_FLAGS, DIST.collector, ...COLLECTOR_ARGS], (l) => l.includes('"sample taken"'))],
    ['collector, src/collector/main.ts (type stripping)', () => timeToLine(NODE, [...COLLECTOR_NODE_FLAGS, `${ROOT}/src/collector/main.ts`, ...COLLECTOR_ARGS], (l) => l.includes('"sample taken"'))],
    ['baseline: node -e (write one line)', () => timeToLine(NODE, ['-e', 'process.stderr.write("up\\n"); setInterval(() => {}, 1000)'], (l) => l === 'up')],
    ['baseline: C floor, procscan 1 pass (open stat,statm,cgroup)', () => timeToLine(procscan, ['--mode', 'open', '--files', 'stat,statm,cgroup', '--passes', '1'], (l) => l.startsWith('RESULT'))],
  ];
  const rows: string[][] = [];
  let collectorMedian = NaN, nodeMedian = NaN;
  for (const idleCount of quick ? [0] : [0, 1000]) {
    if (idleCount > 0) await idle.start(idleCount);
    const n = procCount();
    const times = variants.map(() => [] as number[]);
    for (let rep = 0; rep < reps; rep++) {
      for (const [v, [, run]] of variants.entries()) times[v]!.push(await run());
    }
    if (idleCount > 0) await idle.stop();
    const base = median(times[2]!);
    variants.forEach(([name], v) => rows.push([name, String(n), spread(times[v]!, 1), `${(median(times[v]!) / base).toFixed(2)}x`]));
    if (idleCount === 0) { collectorMedian = median(times[0]!); nodeMedian = base; }
  }
  return [{
    title: 'Collector start-up: exec to first sample',
    columns: ['program', 'processes in /proc', 'ms', 'ratio to node -e'],
    rows,
    notes: [
      `${machineLine()}; median (min..max) of ${reps} starts, variants alternating.`,
      `The collector's first sample reads stat, statm, cgroup and cmdline of every process (later samples stat, and statm only where stat moved or every 10th sample). ` +
        `Bundled: ${collectorMedian.toFixed(0)} ms, of which ${nodeMedian.toFixed(0)} ms is Node's own start-up.`,
    ],
  }];
}

if (import.meta.main) {
  try {
    for (const t of await startup(benchArgs().quick)) printTable(t);
  } finally {
    await runCleanups();
  }
}

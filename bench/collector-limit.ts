// The collector under a memory limit, as a pod's limits.memory sets it: the bundled collector at --interval=2s with
// 500 idle processes, in a memory cgroup of each size, for 20 s, with its `node` binary's pages not yet cached (a
// fresh copy, dropped from the page cache), so that every page it maps is charged to its cgroup, as in the first pod
// on a node to run the image. Baseline in the same run: an idle Node (`node -e setInterval`) under the same limits.
// The cgroup's own counters are the ground truth: major faults (pages read back from disk after reclaim), peak
// charge, OOM kills. Needs root and a memory controller (v1 /sys/fs/cgroup/memory or v2 with memory enabled).
// Run alone: node bench/collector-limit.ts [--quick]
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { COLLECTOR_NODE_FLAGS } from '../src/collector/node-flags.ts';
import { benchArgs, DIST, machineLine, NODE, requireBuild, scratchDir } from './lib/env.ts';
import { Child, runCleanups } from './lib/children.ts';
import { cpuTicks, HZ, IdleProcesses } from './lib/procs.ts';
import { printTable, type Table } from './lib/table.ts';

const IDLE = 500;
const MiB = 1024 * 1024;

type Controller = {
  readonly dir: (name: string) => string;
  readonly limitFile: string;
  readonly peak: (dir: string) => number;
  readonly stat: (dir: string) => { majfault: number; file: number; anon: number };
  readonly ooms: (dir: string) => number;
};

/** The memory controller this machine mounts: v1's own hierarchy, or v2 where `memory` is enabled. */
function memoryController(): Controller | undefined {
  const stat = (dir: string, keys: readonly [string, string, string]) => {
    const kv = new Map(readFileSync(`${dir}/memory.stat`, 'utf8').trim().split('\n').map((l) => l.split(' ') as [string, string]));
    const n = (k: string) => Number(kv.get(k) ?? NaN);
    return { majfault: n(keys[0]), file: n(keys[1]), anon: n(keys[2]) };
  };
  const field = (text: string, key: string) => Number(new RegExp(`^${key} (\\d+)`, 'm').exec(text)?.[1] ?? NaN);
  if (existsSync('/sys/fs/cgroup/memory/memory.limit_in_bytes')) {
    return { dir: (name) => `/sys/fs/cgroup/memory/${name}`, limitFile: 'memory.limit_in_bytes',
      peak: (dir) => Number(readFileSync(`${dir}/memory.max_usage_in_bytes`, 'utf8')),
      stat: (dir) => stat(dir, ['total_pgmajfault', 'total_cache', 'total_rss']),
      ooms: (dir) => field(readFileSync(`${dir}/memory.oom_control`, 'utf8'), 'oom_kill') };
  }
  const root = '/sys/fs/cgroup';
  if (existsSync(`${root}/cgroup.subtree_control`) && readFileSync(`${root}/cgroup.subtree_control`, 'utf8').includes('memory')) {
    return { dir: (name) => `${root}/${name}`, limitFile: 'memory.max',
      peak: (dir) => Number(readFileSync(`${dir}/memory.peak`, 'utf8')),
      stat: (dir) => stat(dir, ['pgmajfault', 'file', 'anon']),
      ooms: (dir) => field(readFileSync(`${dir}/memory.events`, 'utf8'), 'oom_kill') };
  }
  return undefined;
}

type Run = { samples: number; cpuSeconds: number; majfault: number; peakMiB: number; fileMiB: number; anonMiB: number; ooms: number };

/** Starts `args` with a cold copy of the node binary inside a new cgroup limited to `limitMiB`; measures for `seconds`. */
async function underLimit(c: Controller, scratch: string, limitMiB: number, args: readonly string[], seconds: number): Promise<Run> {
  const name = `rrc-bench-limit-${process.pid}-${limitMiB}`;
  const dir = c.dir(name);
  const node = `${scratch}/node-${limitMiB}`;
  copyFileSync(NODE, node);
  // Written pages are dirty and cannot be dropped: write them back, then drop them, so the child faults them in.
  spawnSync('sync', [node]);
  spawnSync('dd', [`if=${node}`, 'iflag=nocache', 'count=0', 'status=none']);
  mkdirSync(dir);
  try {
    writeFileSync(`${dir}/${c.limitFile}`, String(limitMiB * MiB));
    // The shell joins the cgroup and becomes node: every page the program touches is charged there.
    const child = new Child('/bin/sh', ['-c', `echo $$ > ${dir}/cgroup.procs && exec "$0" "$@"`, node, ...args]);
    let samples = 0;
    child.onLine((line) => { if (line.includes('"sample taken"')) samples++; });
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const cpuSeconds = cpuTicks(child.pid) / HZ;
    const s = c.stat(dir);
    const run = { samples, cpuSeconds, majfault: s.majfault, peakMiB: c.peak(dir) / MiB, fileMiB: s.file / MiB, anonMiB: s.anon / MiB, ooms: c.ooms(dir) };
    await child.stop();
    return run;
  } finally {
    for (let i = 0; i < 50 && existsSync(dir); i++) {
      try { rmdirSync(dir); } catch { await new Promise((r) => setTimeout(r, 100)); }
    }
    rmSync(node, { force: true });
  }
}

export async function collectorLimit(quick: boolean): Promise<Table[]> {
  requireBuild();
  const c = memoryController();
  if (c === undefined || process.getuid?.() !== 0) {
    process.stderr.write('collector-limit: needs root and a memory cgroup controller; skipped\n');
    return [];
  }
  const scratch = scratchDir('limit');
  const limits = quick ? [64, 128] : [48, 64, 80, 96, 128];
  const seconds = quick ? 12 : 20;
  const idle = new IdleProcesses(scratch);
  await idle.start(IDLE);
  const rows: string[][] = [];
  const collectorArgs = [...COLLECTOR_NODE_FLAGS, DIST.collector, '--interval=2s', '--proc-path=/proc', '--log-level=debug', '--checkpoint-interval=0'];
  try {
    for (const limit of limits) {
      // One at a time: two cgroups reading their own copies would share the disk and each other's reclaim.
      const col = await underLimit(c, scratch, limit, collectorArgs, seconds);
      const bare = await underLimit(c, scratch, limit, ['-e', 'setInterval(() => {}, 2000)'], seconds);
      const expected = Math.floor(seconds / 2);
      rows.push([`${limit} MiB`, `${col.samples} of ~${expected}`, col.cpuSeconds.toFixed(2), String(col.majfault), col.peakMiB.toFixed(1),
        `${col.anonMiB.toFixed(1)} / ${col.fileMiB.toFixed(1)}`, String(col.ooms), bare.cpuSeconds.toFixed(2), String(bare.majfault)]);
    }
  } finally {
    await idle.stop();
  }
  return [{
    title: `Collector under a memory limit: ${IDLE} idle processes, a sample every 2 s, ${seconds} s, its binary not yet cached`,
    columns: ['limit', 'samples', 'CPU s (start-up included)', 'major faults', 'peak charge MiB', 'anon / file MiB at the end', 'OOM kills',
      'idle Node: CPU s', 'idle Node: major faults'],
    rows,
    notes: [
      `${machineLine()}; one run a limit, the collector then an idle Node, each in a cgroup of its own with a fresh copy of the node binary dropped from the page cache.`,
      `Collector: \`node ${COLLECTOR_NODE_FLAGS.join(' ')} dist/collector.js --interval=2s\`. Idle Node: \`node -e "setInterval(() => {}, 2000)"\`. ` +
        'Counters from the cgroup (v1: memory.max_usage_in_bytes, memory.stat total_pgmajfault/total_cache/total_rss, memory.oom_control; ' +
        'v2: memory.peak, memory.stat, memory.events). CPU: utime+stime of the process over the whole run, start-up included.',
      'Below a working limit nothing is OOM-killed: the kernel reclaims the clean pages of the binary and reads them back at the next ' +
        'touch (major faults), and the CPU goes to that. The charge fills up to the limit either way (readahead and page cache are charged too).',
    ],
  }];
}

if (import.meta.main) {
  const { quick } = benchArgs();
  try {
    for (const t of await collectorLimit(quick)) printTable(t);
  } finally {
    await runCleanups();
  }
}

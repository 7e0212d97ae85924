// Collector overhead while a job runs: CPU percent of one core and resident memory of the bundled collector
// at --interval=2s with 500 idle processes, against procscan (C floor) at the same interval and an idle Node
// process with a timer (the memory floor of any Node program). Run alone: node bench/collector-overhead.ts [--quick]
import { benchArgs, anchorsDir, machineLine, NODE, requireBuild, scratchDir } from './lib/env.ts';
import { Child, runCleanups } from './lib/children.ts';
import { buildProcscan, nodeScan, procscan, type ProcscanResult } from './lib/baselines.ts';
import { CollectorProcess, type CollectorMeasure } from './lib/collector.ts';
import { COLLECTOR_NODE_FLAGS } from '../src/collector/node-flags.ts';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { IdleProcesses, memoryMap, memoryMiB, procCount, type MemoryMap } from './lib/procs.ts';
import { median, spread } from './lib/stats.ts';
import { printTable, verdict, type Table } from './lib/table.ts';

const IDLE = 500;
const INTERVAL_MS = 2000;
const CHECKPOINT_S = 4;

export async function collectorOverhead(quick: boolean): Promise<Table[]> {
  requireBuild();
  const anchors = anchorsDir();
  const scratch = scratchDir('overhead');
  const bin = buildProcscan(anchors, scratch);
  const idle = new IdleProcesses(scratch);
  const reps = quick ? 1 : 3;
  const samples = quick ? 4 : 20;
  const col: CollectorMeasure[] = [], pushing: CollectorMeasure[] = [], cPread: ProcscanResult[] = [], cOpen: ProcscanResult[] = [];
  const nodeStat: ProcscanResult[] = [], nodeStatStatm: ProcscanResult[] = [];
  const nodeMem: ReturnType<typeof memoryMiB>[] = [];
  // The collector with V8's tiers stopped at Sparkplug (no Maglev): what the optimising tier costs in memory and
  // buys in CPU, side by side with the shipped flags (src/collector/node-flags.ts).
  const sparkplugFlags = COLLECTOR_NODE_FLAGS.map((f) => (f.startsWith('--max-opt=') ? '--max-opt=1' : f));
  const sparkplug: CollectorMeasure[] = [];
  const maps: { collector: MemoryMap[]; sparkplug: MemoryMap[]; node: MemoryMap[] } = { collector: [], sparkplug: [], node: [] };
  // A push endpoint that accepts everything: the pushing collector loads node:http and sends a checkpoint every
  // CHECKPOINT_S seconds, as a deployed collector does (its default is every 60 s).
  const sink = createServer((req, res) => { req.resume(); req.on('end', () => res.writeHead(202, { 'content-type': 'application/json' }).end('{}')); });
  sink.listen(0, '127.0.0.1');
  await once(sink, 'listening');
  const pushArgs = [`--push-endpoint=http://127.0.0.1:${(sink.address() as AddressInfo).port}/api/v1/metrics`, `--checkpoint-interval=${CHECKPOINT_S}s`];
  const pushEnv = { COLLECTOR_PUSH_TOKEN: 'bench', GITHUB_REPOSITORY_OWNER: 'bench', GITHUB_REPOSITORY: 'bench/bench', GITHUB_WORKFLOW: 'bench',
    GITHUB_JOB: 'overhead', GITHUB_RUN_ID: '1' };
  await idle.start(IDLE);
  const n = procCount();
  process.stderr.write(`collector-overhead: ${IDLE} idle (${n} in /proc), ${samples} samples ${INTERVAL_MS} ms apart, ${reps} rep(s)\n`);
  try {
    for (let rep = 0; rep < reps; rep++) {
      // The collector, the C floors and an idle Node run side by side: each sleeps >99% of the time, and each
      // is charged only its own CPU, so they barely disturb one another while the run takes a third of the time.
      const c = new CollectorProcess(INTERVAL_MS);
      const p = new CollectorProcess(INTERVAL_MS, pushArgs, COLLECTOR_NODE_FLAGS, pushEnv);
      const sp = new CollectorProcess(INTERVAL_MS, [], sparkplugFlags);
      const bare = new Child(NODE, ['-e', 'setInterval(() => {}, 1000)']);
      try {
        await Promise.all([c.untilSamples(2, 30_000), p.untilSamples(2, 30_000), sp.untilSamples(2, 30_000)]);
        const [m, mp, msp, pread, open, nStat, nStatStatm] = await Promise.all([
          c.measure(2, samples, INTERVAL_MS),
          p.measure(2, samples, INTERVAL_MS),
          sp.measure(2, samples, INTERVAL_MS),
          procscan(bin, { mode: 'pread', files: 'stat,statm', passes: samples, intervalMs: INTERVAL_MS }),
          procscan(bin, { mode: 'open', files: 'stat,statm', passes: samples, intervalMs: INTERVAL_MS }),
          nodeScan(NODE, anchors, { files: 'stat', passes: samples, intervalMs: INTERVAL_MS }),
          nodeScan(NODE, anchors, { files: 'stat,statm', passes: samples, intervalMs: INTERVAL_MS }),
        ]);
        col.push(m); pushing.push(mp); sparkplug.push(msp);
        maps.collector.push(memoryMap(c.pid)); maps.sparkplug.push(memoryMap(sp.pid)); maps.node.push(memoryMap(bare.pid)); cPread.push(pread); cOpen.push(open); nodeStat.push(nStat); nodeStatStatm.push(nStatStatm);
        nodeMem.push(memoryMiB(bare.pid));
      } finally {
        await Promise.all([c.stop(), p.stop(), sp.stop(), bare.stop()]);
      }
    }
  } finally {
    await idle.stop();
    sink.close();
  }

  const pct = col.map(cpuPercent);
  const rss = col.map((m) => m.memory.rss), hwm = col.map((m) => m.memory.hwm);
  const ratio = (rs: readonly ProcscanResult[]) => `${(median(rs.map((r) => r.cpuPercent)) / median(cPread.map((r) => r.cpuPercent))).toFixed(2)}x`;
  const nodeRss = nodeMem.map((m) => m.rss);
  // The 50 MB is 47.7 MiB; the table is in MiB, as /proc/<pid>/status counts (KiB).
  const pushHwm = median(pushing.map((m) => m.memory.hwm));
  const cpuOk = median(pct) < 0.5, memOk = Math.max(median(hwm), pushHwm) < 50e6 / 2 ** 20;
  return [{
    title: `Collector overhead: ${IDLE} idle processes (${n} in /proc), a sample every ${INTERVAL_MS / 1000} s`,
    columns: ['program', '% of one core', 'ratio to C pread', 'VmRSS MiB', 'of it anon / file MiB', 'VmHWM MiB', 'sample ms (median)'],
    rows: [
      ['collector (dist/collector.js)', spread(pct, 3), `${(median(pct) / median(cPread.map((r) => r.cpuPercent))).toFixed(2)}x`,
        spread(rss, 1), split(col.map((m) => m.memory)), spread(hwm, 1), spread(col.map((m) => m.medianDurationMs), 2)],
      [`collector, pushing a checkpoint every ${CHECKPOINT_S} s`, spread(pushing.map(cpuPercent), 3),
        `${(median(pushing.map(cpuPercent)) / median(cPread.map((r) => r.cpuPercent))).toFixed(2)}x`,
        spread(pushing.map((m) => m.memory.rss), 1), split(pushing.map((m) => m.memory)), spread(pushing.map((m) => m.memory.hwm), 1),
        spread(pushing.map((m) => m.medianDurationMs), 2)],
      ['collector, V8 stopped at Sparkplug (--max-opt=1)', spread(sparkplug.map(cpuPercent), 3),
        `${(median(sparkplug.map(cpuPercent)) / median(cPread.map((r) => r.cpuPercent))).toFixed(2)}x`,
        spread(sparkplug.map((m) => m.memory.rss), 1), split(sparkplug.map((m) => m.memory)), spread(sparkplug.map((m) => m.memory.hwm), 1),
        spread(sparkplug.map((m) => m.medianDurationMs), 2)],
      ['C floor, pread stat,statm', spread(cPread.map((r) => r.cpuPercent), 3), '1.00x', '-', '-', '-', '-'],
      ['C floor, open stat,statm', spread(cOpen.map((r) => r.cpuPercent), 3),
        `${(median(cOpen.map((r) => r.cpuPercent)) / median(cPread.map((r) => r.cpuPercent))).toFixed(2)}x`, '-', '-', '-', '-'],
      ['Node floor, node-scan pread stat', spread(nodeStat.map((r) => r.cpuPercent), 3), ratio(nodeStat), '-', '-', '-', '-'],
      ['Node floor, node-scan pread stat,statm', spread(nodeStatStatm.map((r) => r.cpuPercent), 3), ratio(nodeStatStatm), '-', '-', '-', '-'],
      ['idle node -e "setInterval(...)"', '-', '-', spread(nodeRss, 1), split(nodeMem), '-', '-'],
    ],
    notes: [
      `${machineLine()}; median (min..max) of ${reps} run(s) of ${samples} samples after 2 warm-up samples.`,
      `Collector: \`node ${COLLECTOR_NODE_FLAGS.join(' ')} dist/collector.js --interval=2s\` (its flags as shipped). ` +
        'CPU: utime+stime of the collector\'s /proc/<pid>/stat over the measured samples / wall time; ' +
        'C floor: procscan `--files stat,statm --interval-ms 2000` over as many passes, side by side. Node floor: the anchors\' ' +
        '`node node-scan.mjs --mode pread --files stat[,statm] --interval-ms 2000`, side by side: Node reading and parsing the same files ' +
        'with kept descriptors and nothing else, the least any Node collector spends.',
      `The pushing collector sends a checkpoint (the summary so far, with its charts) every ${CHECKPOINT_S} s to a local endpoint that ` +
        `accepts it, 15 times the default rate (--checkpoint-interval=60s): ${((median(pushing.map(cpuPercent)) - median(pct)) / 100 * CHECKPOINT_S * 1000).toFixed(1)} ms ` +
        'of CPU a checkpoint over the plain collector (medians). It loads node:http at its first checkpoint, as a deployed collector does after a minute.',
      `Target CPU < 0.5% of one core: ${verdict(cpuOk)} (${median(pct).toFixed(3)}%; Node's pread of stat alone ${median(nodeStat.map((r) => r.cpuPercent)).toFixed(3)}%). ` +
        `Target resident memory < 50 MB (47.7 MiB): ${verdict(memOk)} (peak ${median(hwm).toFixed(1)} MiB, ${pushHwm.toFixed(1)} MiB pushing checkpoints; an idle Node is ${median(nodeRss).toFixed(1)} MiB).`,
    ],
  }, memoryTable(maps, { idleRss: median(nodeRss), hwm: median(hwm), sparkplugHwm: median(sparkplug.map((m) => m.memory.hwm)),
    cpu: median(pct), sparkplugCpu: median(sparkplug.map(cpuPercent)) })];
}

/**
 * Where the resident memory goes, by mapping: what an idle Node already holds, what the collector adds, and what
 * V8's optimising tier (Maglev) costs, which the CPU target needs. The profile behind the memory verdict.
 */
function memoryTable(maps: { collector: MemoryMap[]; sparkplug: MemoryMap[]; node: MemoryMap[] },
  f: { idleRss: number; hwm: number; sparkplugHwm: number; cpu: number; sparkplugCpu: number }): Table {
  const keys = ['nodeCode', 'nodeData', 'mallocHeap', 'otherAnon', 'rest'] as const;
  const med = (ms: MemoryMap[], k: (typeof keys)[number]) => median(ms.map((m) => m[k]));
  const total = (ms: MemoryMap[]) => keys.reduce((n, k) => n + med(ms, k), 0);
  const row = (name: string, ms: MemoryMap[]) => [name, ...keys.map((k) => med(ms, k).toFixed(1)), total(ms).toFixed(1)];
  const delta = (name: string, a: MemoryMap[], b: MemoryMap[]) =>
    [name, ...keys.map((k) => `${med(a, k) - med(b, k) >= 0 ? '+' : ''}${(med(a, k) - med(b, k)).toFixed(1)}`),
      `${total(a) - total(b) >= 0 ? '+' : ''}${(total(a) - total(b)).toFixed(1)}`];
  const maglev = total(maps.collector) - total(maps.sparkplug);
  return {
    title: 'Collector overhead: where the resident memory goes (MiB, by mapping, at the end of the run)',
    columns: ['program', 'node binary: code', 'node binary: read-only data', 'malloc heap', 'other anonymous (V8 heap, stacks)', 'libraries, other', 'RSS'],
    rows: [
      row('idle node -e "setInterval(...)"', maps.node),
      row('collector (dist/collector.js, as shipped)', maps.collector),
      row('collector, V8 stopped at Sparkplug (--max-opt=1)', maps.sparkplug),
      delta('collector - idle Node', maps.collector, maps.node),
      delta('Maglev: collector - Sparkplug collector', maps.collector, maps.sparkplug),
    ],
    notes: [
      'From /proc/<pid>/smaps of the same processes as the table above (medians over the runs): Rss of the node binary\'s executable and ' +
        'read-only mappings, of [heap] (glibc malloc\'s main arena) and of anonymous mappings (V8\'s heap spaces, large malloc chunks, stacks). ' +
        'File pages are mapped a folio at a time (16-128 KiB on this kernel), so touching one function maps its neighbours too.',
      `The budget: 47.7 MiB less an idle Node 24 (${f.idleRss.toFixed(1)} MiB) leaves ${(47.7 - f.idleRss).toFixed(1)} MiB for everything the ` +
        `collector adds. Without Maglev it adds ${(total(maps.sparkplug) - total(maps.node)).toFixed(1)} MiB (its code and data for the processes ` +
        `it tracks, and the pages of the node binary its work touches); Maglev, V8's optimising tier, ${maglev.toFixed(1)} MiB more (its ` +
        'compiler\'s code in the binary, compilation zones that malloc keeps, the code it makes). Without Maglev the collector peaks at ' +
        `${f.sparkplugHwm.toFixed(1)} MiB (shipped: ${f.hwm.toFixed(1)}) and costs ${f.sparkplugCpu.toFixed(3)}% of a core against ${f.cpu.toFixed(3)}% ` +
        `(${Math.abs((f.sparkplugCpu / f.cpu - 1) * 100).toFixed(0)}% ${f.sparkplugCpu >= f.cpu ? 'more' : 'less'}). The shipped flags keep Maglev ` +
        'for the CPU target (docs/decisions.md, "The collector runs with --max-opt=2").',
    ],
  };
}

if (import.meta.main) {
  try {
    for (const t of await collectorOverhead(benchArgs().quick)) printTable(t);
  } finally {
    await runCleanups();
  }
}

/** Median RssAnon / RssFile of the runs. */
function split(mem: readonly { anon: number; file: number }[]): string {
  return `${median(mem.map((m) => m.anon)).toFixed(1)} / ${median(mem.map((m) => m.file)).toFixed(1)}`;
}

function cpuPercent(m: CollectorMeasure): number {
  return (100 * m.cpuSeconds) / m.wallSeconds;
}

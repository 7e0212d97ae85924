// Collector cost of one sample as processes grow: CPU (user+sys of the bundled collector, from its
// /proc/<pid>/stat) per sample and per process with 100, 1,000 and 5,000 idle processes, against the C floor
// (procscan reading the same files per sample, same interval) and prometheus-process-exporter per scrape.
// Run alone: node bench/collector-cost.ts [--quick]
import { mkdirSync } from 'node:fs';
import { benchArgs, anchorsDir, machineLine, requireBuild, scratchDir } from './lib/env.ts';
import { runCleanups } from './lib/children.ts';
import { buildProcscan, hasExporter, procscan, ProcessExporter } from './lib/baselines.ts';
import { CollectorProcess } from './lib/collector.ts';
import { COLLECTOR_NODE_FLAGS } from '../src/collector/node-flags.ts';
import { IdleProcesses, procCount } from './lib/procs.ts';
import { median, spread } from './lib/stats.ts';
import { printTable, verdict, type Table } from './lib/table.ts';

type Row = { collector: number[]; noCounters: number[]; cPread: number[]; cOpen: number[]; exporter: number[]; exporterLean: number[];
  durationMs: number[]; inProc: number; intervalMs: number; samples: number; exporterRss: number[] };

/** What the collector reports each sample comes from stat and statm (statm where stat moved); cgroup and cmdline once per (pid, start). */
const FILES = 'stat,statm';

export async function collectorCost(quick: boolean): Promise<Table[]> {
  requireBuild();
  const anchors = anchorsDir();
  const scratch = scratchDir('cost');
  const bin = buildProcscan(anchors, scratch);
  const idle = new IdleProcesses(scratch);
  const counts = quick ? [100, 1000] : [100, 1000, 5000];
  const reps = quick ? 1 : 3;
  const cpuBudgetUs = quick ? 300_000 : 1_000_000; // CPU per measured run, so 10 ms ticks stay a small error
  const exporter = hasExporter();
  const rows = new Map<number, Row>();
  // --cgroup-root at an empty folder: no container's cgroup counters are found, so none are read. procscan reads no
  // cgroup counter files either; this column compares the per-process work alone with the C floor.
  const noCgroups = `${scratch}/no-cgroups`;
  mkdirSync(noCgroups);

  for (const count of counts) {
    await idle.start(count);
    const n = procCount();
    // The collector sleeps between samples as in production; about 4x an estimated sample (25 µs a process).
    const intervalMs = Math.max(20, Math.ceil((n * 25 * 4) / 1000 / 10) * 10);
    const samples = Math.max(8, Math.ceil(cpuBudgetUs / (n * 20)));
    const row: Row = { collector: [], noCounters: [], cPread: [], cOpen: [], exporter: [], exporterLean: [], durationMs: [], inProc: n,
      intervalMs, samples, exporterRss: [] };
    rows.set(count, row);
    process.stderr.write(`collector-cost: ${count} idle (${n} in /proc), ${samples} samples ${intervalMs} ms apart, ${reps} rep(s)\n`);
    for (let rep = 0; rep < reps; rep++) {
      for (const counters of [true, false]) {
        const c = new CollectorProcess(intervalMs, counters ? [] : [`--cgroup-root=${noCgroups}`]);
        try {
          const m = await c.measure(3, samples, intervalMs);
          (counters ? row.collector : row.noCounters).push((m.cpuSeconds * 1e6) / m.samples / m.processes);
          if (counters) row.durationMs.push(m.medianDurationMs);
        } finally {
          await c.stop();
        }
      }
      row.cPread.push((await procscan(bin, { mode: 'pread', files: FILES, passes: samples, intervalMs })).cpuUsPerProc);
      if (!quick && rep === 0) row.cOpen.push((await procscan(bin, { mode: 'open', files: FILES, passes: samples, intervalMs })).cpuUsPerProc);
      if (exporter) {
        for (const lean of quick || rep > 0 ? [false] : [false, true]) { // lean and C open: first run only, for time
          let pe: ProcessExporter;
          try {
            pe = await ProcessExporter.start(anchors, lean);
          } catch (err) { // a missing baseline figure, not a lost run
            process.stderr.write(`collector-cost: ${(err as Error).message}; its figure is left out of run ${rep + 1}\n`);
            continue;
          }
          try {
            await pe.scrape(2); // warm-up
            const scrapes = Math.max(3, Math.ceil((quick ? 1_000_000 : 1_500_000) / (n * 450)));
            (lean ? row.exporterLean : row.exporter).push(await pe.measure(scrapes));
            if (!lean) row.exporterRss.push(pe.memory().rss);
          } finally {
            await pe.stop();
          }
        }
      }
    }
    await idle.stop();
  }

  const table: Table = {
    title: 'Collector: CPU µs per process per sample',
    columns: ['idle started', 'in /proc', 'interval ms', 'samples', 'collector', 'without cgroup counters', 'C pread stat,statm',
      'C open stat,statm', 'collector / C pread', 'without counters / C pread', 'process-exporter', 'exporter lean', 'collector / exporter', 'sample ms (median)'],
    rows: [...rows].map(([count, r]) => [String(count), String(r.inProc), String(r.intervalMs), String(r.samples),
      spread(r.collector, 2), spread(r.noCounters, 2), spread(r.cPread, 2), spread(r.cOpen, 2),
      ratioOfMedians(r.collector, r.cPread), ratioOfMedians(r.noCounters, r.cPread), spread(r.exporter, 0), spread(r.exporterLean, 0),
      ratioOfMedians(r.collector, r.exporter, 3), spread(r.durationMs, 2)]),
    notes: notes(rows, reps, exporter),
  };
  return [table];
}

function ratioOfMedians(a: number[], b: number[], d = 2): string {
  return a.length === 0 || b.length === 0 ? '-' : `${(median(a) / median(b)).toFixed(d)}x`;
}

function notes(rows: Map<number, Row>, reps: number, exporter: boolean): string[] {
  const all = [...rows.values()];
  const vsC = all.map((r) => median(r.collector) / median(r.cPread));
  const vsPe = all.map((r) => median(r.collector) / median(r.exporter));
  const out = [
    `${machineLine()}; median (min..max) of ${reps} run(s), variants alternating within each run.`,
    `Collector: \`node ${COLLECTOR_NODE_FLAGS.join(' ')} dist/collector.js --interval=<ms>ms --proc-path=/proc --log-level=debug\`, CPU = utime+stime of its /proc/<pid>/stat ` +
      'over the samples after 3 warm-up ones, divided by samples and by the processes it sampled. ' +
      `C floor: anchors' procscan with \`--files ${FILES} --interval-ms <same>\` and as many passes.`,
    `Target per-process cost <= 2x C pread (${FILES}): ${verdict(vsC.every((x) => x <= 2))} ` +
      `(${vsC.map((x) => `${x.toFixed(2)}x`).join(', ')}). The collector also reads each container's cgroup counters ` +
      '(7 files a container a sample), which procscan does not: "without cgroup counters" is the same collector with ' +
      '`--cgroup-root` at an empty folder, the per-process work alone ' +
      `(${all.map((r) => ratioOfMedians(r.noCounters, r.cPread)).join(', ')} the C floor). statm is read only for processes whose ` +
      'stat moved, and every 10th sample otherwise (src/sampling/sampler.ts, MEMORY_REFRESH).',
  ];
  if (exporter) {
    out.push(`Target <= 1/10 of process-exporter (defaults, CPU per scrape): ${verdict(vsPe.every((x) => x <= 0.1))} ` +
      `(${vsPe.map((x) => x.toFixed(3)).join(', ')}); its VmRSS ${all.map((r) => spread(r.exporterRss, 1)).join(', ')} MiB.`);
  } else {
    out.push('prometheus-process-exporter is not installed (apt-get install prometheus-process-exporter): its columns are empty.');
  }
  return out;
}

if (import.meta.main) {
  try {
    for (const t of await collectorCost(benchArgs().quick)) printTable(t);
  } finally {
    await runCleanups();
  }
}

// The accumulator counts values in bounded memory (series.ts); these compare its summary with the statistics of
// every interval's value, which is what it computed when it kept them all (stats.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Accumulator, type SummaryOptions } from './accumulator.ts';
import { DELAY } from './series.ts';
import { computeStats, roundTo } from './stats.ts';
import type { ContainerSample, Sample } from '../sampling/sample.ts';
import type { RunSummary, Stats } from './types.ts';
import { bytes, cores, seconds } from '../units.ts';

type Run = { keys: string[]; intervals: { key: string; cpu: number; memory: number }[][] };

function sample(i: number, values: Run['intervals'][number]): Sample {
  const containers = new Map<string, ContainerSample>(values.map(({ key, cpu, memory }) => [key, { key, cpuCores: cores(cpu),
    memoryBytes: bytes(memory), rssBytes: bytes(memory), processes: 1, cpuSource: 'processes', memorySource: 'processes' }]));
  return { timeMs: i * 1000, elapsed: seconds(i === 0 ? 0 : 1), cpuTotalPercent: i === 0 ? undefined : (i * 7) % 100,
    memUsedBytes: bytes(4096 * (i % 13)), memTotalBytes: bytes(2 ** 30), containers, vanished: 0, newProcesses: 0, processes: [] };
}

/** Feeds the run; `named(key, interval)` is the process map's name for a cgroup at that interval. */
function accumulate(run: Run, named: (key: string, interval: number) => string | undefined, checkpointEvery = 0): RunSummary {
  let now = 0;
  const options: SummaryOptions = { top: 1, seriesPoints: 10, limits: new Map(), mappedName: (key) => named(key, now),
    collection: { collector_version: 't', interval_seconds: 1, clock_ticks_per_second: 100, short_lived_accounting: true } };
  const acc = new Accumulator(options);
  acc.add(sample(0, []));
  run.intervals.forEach((values, i) => {
    now = i;
    acc.add(sample(i + 1, values));
    if (checkpointEvery > 0 && i % checkpointEvery === 0) acc.summarize(false);
  });
  return acc.summarize();
}

/** The per-interval sums of the cgroups in `keys`, 0 where none had a value: what the summary's statistics are of. */
function sums(run: Run, keys: readonly string[], field: 'cpu' | 'memory'): Float64Array {
  return Float64Array.from(run.intervals, (values) => values.filter((v) => keys.includes(v.key)).reduce((n, v) => n + v[field], 0));
}

/** Percentiles: type 7 of the values counted at 1e-4 cores; peak and avg of the values themselves. */
function cpuTruth(values: Float64Array): Stats {
  const keys = computeStats(values.map((v) => Math.round(v * 1e4) / 1e4), roundTo(4)), raw = computeStats(values, roundTo(4));
  return { ...keys, peak: raw.peak, avg: raw.avg };
}

const intervalValues = (keys: readonly string[]) => fc.array(fc.record({
  key: fc.constantFrom(...keys), cpu: fc.double({ min: 0, max: 4, noNaN: true }), memory: fc.integer({ min: 0, max: 1e6 }).map((n) => n * 4096),
}), { maxLength: keys.length }).map((vs) => [...new Map(vs.map((v) => [v.key, v])).values()]); // one value per cgroup

const run = (keys: string[], maxIntervals: number) =>
  fc.array(intervalValues(keys), { minLength: 1, maxLength: maxIntervals }).map((intervals): Run => ({ keys, intervals }));

const container = (s: RunSummary, cgroups: readonly string[]) => {
  const c = s.containers.find((x) => x.cgroup.split(',').sort().join() === [...cgroups].sort().join());
  assert.ok(c, `no container of ${cgroups.join()} in ${s.containers.map((x) => x.cgroup).join(' | ')}`);
  return c;
};

test('Accumulator: every statistic equals the one over all values, cgroups of one name summed per interval', () => {
  const keys = ['/a', '/b', '/c', '/d'];
  fc.assert(fc.property(run(keys, 600), (r) => {
    const s = accumulate(r, (key) => (key === '/b' || key === '/c' ? 'shared' : undefined));
    for (const names of [['/a'], ['/b', '/c'], ['/d']]) {
      const group = names.filter((k) => r.intervals.some((vs) => vs.some((v) => v.key === k))); // never seen: not reported
      if (group.length === 0) continue;
      const c = container(s, group);
      assert.deepEqual(c.cpu_cores, cpuTruth(sums(r, group, 'cpu')), `${group.join()} cpu`);
      assert.deepEqual(c.memory_bytes, computeStats(sums(r, group, 'memory'), Math.round), `${group.join()} memory`);
      assert.deepEqual(c.series!.memory_bytes, chart(sums(r, group, 'memory'), s.series!.per_point), `${group.join()} memory chart`);
      assert.deepEqual(c.series!.cpu_cores.max, chart(sums(r, group, 'cpu'), s.series!.per_point, roundTo(3)).max, `${group.join()} cpu chart`);
    }
    assert.deepEqual(s.cpu_total_percent, computeStats(Float64Array.from(r.intervals, (_, i) => ((i + 1) * 7) % 100), roundTo(2)));
  }), { numRuns: 60 });
});

test('Accumulator: a checkpoint taken at any interval leaves the final summary as it was', () => {
  fc.assert(fc.property(run(['/a', '/b'], 400), fc.integer({ min: 1, max: 50 }), (r, every) => {
    const named = (key: string) => (key === '/b' ? 'b' : undefined);
    assert.deepEqual(accumulate(r, named, every), accumulate(r, named));
  }), { numRuns: 40 });
});

/** /x is named from the start; /y appears at interval `yFrom` and is named `late` intervals after it appeared. */
function lateRun(length: number, yFrom: number, xUntil = length): Run {
  return { keys: ['/x', '/y'], intervals: Array.from({ length }, (_, i) => [
    ...(i < xUntil ? [{ key: '/x', cpu: 0.5 + (i % 7) * 0.01, memory: 4096 * (100 + (i % 11)) }] : []),
    ...(i >= yFrom ? [{ key: '/y', cpu: 0.25 + (i % 5) * 0.01, memory: 4096 * (50 + (i % 3)) }] : []),
  ]) };
}
/** The chart of every value: max and mean of each `per` intervals. */
function chart(values: Float64Array, per: number, round: (n: number) => number = Math.round) {
  const max: number[] = [], avg: number[] = [];
  for (let from = 0; from < values.length; from += per) {
    const part = values.subarray(from, from + per);
    max.push(round(Math.max(...part)));
    avg.push(round(part.reduce((a, b) => a + b, 0) / part.length));
  }
  return { max, avg };
}
const lateNamer = (yNamedAt: number) => (key: string, interval: number) =>
  key === '/x' || (key === '/y' && interval >= yNamedAt) ? 'runner' : undefined;

test('Accumulator: a cgroup named up to DELAY intervals after it appeared is summed, exactly, into its name\'s container', () => {
  for (const late of [0, 1, 37, DELAY - 1]) {
    const r = lateRun(DELAY * 3, 100);
    const s = accumulate(r, lateNamer(100 + late));
    const c = container(s, ['/x', '/y']);
    assert.equal(c.name, 'runner');
    assert.deepEqual(c.cpu_cores, cpuTruth(sums(r, ['/x', '/y'], 'cpu')), `named ${late} intervals late`);
    assert.deepEqual(c.memory_bytes, computeStats(sums(r, ['/x', '/y'], 'memory'), Math.round));
    assert.equal(s.containers.length, 1);
  }
});

test('Accumulator: a restarted container named late is summed exactly: the two cgroups never ran at once', () => {
  const r = lateRun(DELAY * 4, 500, 400); // /x stops at 400, /y starts at 500 and is named at 900
  const s = accumulate(r, lateNamer(900)), c = container(s, ['/x', '/y']);
  assert.deepEqual(c.cpu_cores, cpuTruth(sums(r, ['/x', '/y'], 'cpu')));
  assert.deepEqual(c.memory_bytes, computeStats(sums(r, ['/x', '/y'], 'memory'), Math.round));
  assert.deepEqual(c.series!.memory_bytes, chart(sums(r, ['/x', '/y'], 'memory'), s.series!.per_point));
});

test('Accumulator: a cgroup named more than DELAY intervals late beside another of that name keeps its own entry', () => {
  const r = lateRun(DELAY * 3, 10);
  const s = accumulate(r, lateNamer(10 + DELAY + 5));
  const x = container(s, ['/x']), y = container(s, ['/y']);
  assert.equal(x.name, 'runner');
  assert.equal(y.name, 'y'); // its cgroup's name: the sums before it was named were never measured
  assert.deepEqual(y.cpu_cores, cpuTruth(sums(r, ['/y'], 'cpu')));
  assert.deepEqual(x.memory_bytes, computeStats(sums(r, ['/x'], 'memory'), Math.round));
});

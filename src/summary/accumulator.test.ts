import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Accumulator, type SummaryOptions } from './accumulator.ts';
import type { ContainerSample, ProcessSample, Sample } from '../sampling/sample.ts';
import { bytes, cores, seconds } from '../units.ts';

const options = (o: Partial<SummaryOptions> = {}): SummaryOptions => ({
  top: 2, limits: new Map(), mappedName: () => undefined,
  collection: { collector_version: 'test', interval_seconds: 1, clock_ticks_per_second: 100, short_lived_accounting: true },
  ...o,
});

const t0 = Date.parse('2026-12-02T10:00:00Z');
function sample(i: number, containers: [string, number, number][], processes: Partial<ProcessSample>[] = []): Sample {
  const map = new Map<string, ContainerSample>(containers.map(([key, cpu, mem]) =>
    [key, { key, cpuCores: cores(cpu), memoryBytes: bytes(mem), processes: 1, cpuSource: 'processes', memorySource: 'processes', rssBytes: bytes(mem) }]));
  return {
    timeMs: t0 + i * 1000, elapsed: seconds(i === 0 ? 0 : 1), cpuTotalPercent: i === 0 ? undefined : 50,
    memUsedBytes: bytes(1000 * i), memTotalBytes: bytes(8000), containers: map, vanished: 0, newProcesses: 0,
    processes: processes.map((p) => ({ pid: 1, startTicks: 1, comm: 'x', cmdline: 'x', containerKey: '/a', cpuCores: cores(0), rssBytes: bytes(0), ...p })),
  };
}

test('Accumulator: the first sample is a baseline; statistics come from the intervals after it', () => {
  const acc = new Accumulator(options());
  acc.addContainer('/a', '/kubepods/pod1/' + 'a'.repeat(64));
  acc.add(sample(0, [['/a', 0, 100]]));
  for (let i = 1; i <= 4; i++) acc.add(sample(i, [['/a', i, 100 * i]]));
  const s = acc.summarize();
  assert.equal(s.sample_count, 4);
  assert.equal(s.duration_seconds, 4);
  assert.equal(s.start_time, '2026-12-02T10:00:00.000Z');
  assert.deepEqual(s.containers[0]!.cpu_cores, { peak: 4, p99: 3.97, p95: 3.85, p75: 3.25, p50: 2.5, avg: 2.5 });
  assert.equal(s.containers[0]!.name, 'aaaaaaaaaaaa'); // unnamed: the short container id
  assert.equal(s.containers[0]!.cpu_seconds, 1 + 2 + 3 + 4); // cores x 1 s intervals
  assert.equal(s.mem_total_bytes, 8000);
  assert.equal(s.mem_used_bytes.peak, 4000);
});

test('Accumulator: a container that appears mid-run used nothing before it appeared', () => {
  const acc = new Accumulator(options());
  acc.add(sample(0, []));
  acc.add(sample(1, [['/a', 1, 10]]));
  acc.add(sample(2, [['/a', 1, 10], ['/b', 2, 20]]));
  const b = acc.summarize().containers.find((c) => c.cgroup === '/b')!;
  assert.deepEqual([b.cpu_cores.peak, b.cpu_cores.avg], [2, 1]);
});

test('Accumulator: cgroups mapped to one name are summed per interval; limits give fractions', () => {
  const acc = new Accumulator(options({
    mappedName: (key) => (key === '/x' || key === '/y' ? 'runner' : undefined),
    limits: new Map([['runner', { cpu: cores(2), memory: bytes(1000) }]]),
  }));
  acc.add(sample(0, []));
  acc.add(sample(1, [['/x', 0.5, 200], ['/y', 0.5, 300], ['/z', 1, 1]]));
  acc.add(sample(2, [['/x', 1, 400], ['/y', 0.5, 400], ['/z', 1, 1]]));
  const s = acc.summarize();
  assert.equal(s.containers[0]!.name, 'runner'); // named containers first
  assert.deepEqual([s.containers[0]!.cpu_cores.peak, s.containers[0]!.memory_bytes.peak], [1.5, 800]);
  assert.deepEqual(s.containers[0]!.limits, { cpu_cores: 2, memory_bytes: 1000 });
  assert.deepEqual(s.containers[0]!.fraction_of_limit, { cpu_peak: 0.75, cpu_p95: 0.7375, memory_peak: 0.8, memory_p95: 0.785 });
  assert.equal(s.containers[1]!.fraction_of_limit, undefined);
});

test('Accumulator: top lists rank by peak CPU and by peak memory, with exited processes kept', () => {
  const acc = new Accumulator(options());
  acc.add(sample(0, [], [{ pid: 1, comm: 'a' }, { pid: 2, comm: 'b' }]));
  acc.add(sample(1, [], [{ pid: 1, comm: 'a', cpuCores: cores(0.5), rssBytes: bytes(10) }, { pid: 2, comm: 'b', cpuCores: cores(2), rssBytes: bytes(5) }]));
  acc.add(sample(2, [], [{ pid: 1, comm: 'a', cpuCores: cores(1.5), rssBytes: bytes(50) }, { pid: 3, comm: 'c', cpuCores: cores(0.1), rssBytes: bytes(99) }]));
  const s = acc.summarize();
  assert.deepEqual(s.top_cpu_processes.map((p) => [p.name, p.peak_cpu_percent, p.avg_cpu_percent]), [['b', 200, 200], ['a', 150, 100]]);
  assert.deepEqual(s.top_mem_processes.map((p) => [p.name, p.peak_mem_bytes]), [['c', 99], ['a', 50]]);
});

test('Accumulator: thousands of short-lived processes do not grow the process table without bound', () => {
  const acc = new Accumulator(options({ top: 3 }));
  for (let i = 0; i < 2000; i++) acc.add(sample(i, [], [{ pid: 10_000 + i, startTicks: i, comm: `p${i}`, cpuCores: cores(i % 7), rssBytes: bytes(i) }]));
  const s = acc.summarize();
  assert.deepEqual(s.top_mem_processes.map((p) => p.peak_mem_bytes), [1999, 1998, 1997]);
  assert.equal(s.top_cpu_processes[0]!.peak_cpu_percent, 600);
});


test('Accumulator: "/" is the collector\'s own container under a cgroup namespace, else the root cgroup', () => {
  for (const [ownKey, want] of [['/', 'self'], ['/kubepods/pod1/abc', 'root'], [undefined, 'self']] as const) {
    const acc = new Accumulator(options({ ...(ownKey === undefined ? {} : { ownKey }) }));
    acc.add(sample(0, []));
    acc.add(sample(1, [['/', 1, 1]]));
    assert.equal(acc.summarize().containers[0]!.name, want, `own key ${String(ownKey)}`);
  }
});

/** A run of `intervals` at 2 s with 6 containers, realistic values, and one spike on /c at interval 4321 % intervals. */
function longRun(intervals: number) {
  const acc = new Accumulator(options({ seriesPoints: 300, collection: { collector_version: 't', interval_seconds: 2, clock_ticks_per_second: 100, short_lived_accounting: true } }));
  const keys = ['/a', '/b', '/c', '/d', '/e', '/f'];
  for (let i = 0; i <= intervals; i++) {
    const spike = i === 4321 % intervals ? 3.75 : 0;
    acc.add(sample(i, keys.map((k, j) => [k, 0.25 * j + 0.1 * Math.sin(i / 50) + (k === '/c' ? spike : 0), (200 + 30 * j) * 1048576 + (i % 97) * 4096] as [string, number, number])));
  }
  return acc.summarize();
}

// docs/collector.md quotes these sizes: the series cost at most what a run of 300 intervals (10 min at 2 s) costs,
// and a longer run keeps more than 2/3 of the points (downsample.ts merges buckets pairwise as the run grows).
test('Accumulator: a 6-hour run at 2 s with 6 containers: 225 series points that keep the true peak; 51 KB', () => {
  const intervals = 6 * 3600 / 2;
  const s = longRun(intervals);
  assert.equal(s.sample_count, intervals);
  assert.deepEqual([s.series!.per_point, s.series!.points, s.series!.point_seconds], [48, 225, 96]); // 3 buckets of 16 intervals
  const c = s.containers.find((x) => x.cgroup === '/c')!;
  assert.equal(c.series!.cpu_cores.max.length, 225);
  assert.equal(Math.max(...c.series!.cpu_cores.max), Math.round(c.cpu_cores.peak * 1000) / 1000); // the spike is there
  assert.ok(c.cpu_cores.peak > 4);
  const bytes = Buffer.byteLength(JSON.stringify(s));
  assert.ok(bytes > 45_000 && bytes < 55_000, `${bytes} bytes`);
  const tenMinutes = Buffer.byteLength(JSON.stringify(longRun(300)));
  assert.ok(bytes <= tenMinutes && bytes > (tenMinutes * 2) / 3, `10 min: ${tenMinutes} bytes, 6 h: ${bytes} bytes`);
  const noSeries = Buffer.byteLength(JSON.stringify({ ...s, series: undefined, containers: s.containers.map((c) => ({ ...c, series: undefined })) }));
  assert.ok(noSeries < 8_000, `without series: ${noSeries} bytes`);
});

test('Accumulator: a run shorter than the series keeps one point per interval; 0 points means no series', () => {
  const acc = new Accumulator(options({ seriesPoints: 300 }));
  for (let i = 0; i <= 5; i++) acc.add(sample(i, [['/a', i, i]]));
  const s = acc.summarize();
  assert.deepEqual(s.containers[0]!.series!.cpu_cores, { max: [1, 2, 3, 4, 5], avg: [1, 2, 3, 4, 5] });
  const none = new Accumulator(options({ seriesPoints: 0 }));
  for (let i = 0; i <= 5; i++) none.add(sample(i, [['/a', i, i]]));
  assert.equal(none.summarize().series, undefined);
  assert.equal(none.summarize().containers[0]!.series, undefined);
});

test('Accumulator: cgroup counters give the sources, OOM kills, throttling, the kernel\'s peak and limits where none is configured', () => {
  const acc = new Accumulator(options({ limits: new Map([['/b', { memory: bytes(999) }]]), mappedName: (k) => k }));
  const counters = (oomKills: number, throttledPeriods: number) => ({
    cpuSource: 'cgroup-v2' as const, memorySource: 'cgroup-v2' as const, periods: 10, throttledPeriods, throttledSeconds: 0.05 * throttledPeriods,
    oomKills, memoryPeakBytes: bytes(5000), cpuLimitCores: cores(0.5), memoryLimitBytes: bytes(4096),
  });
  acc.add(sample(0, []));
  for (let i = 1; i <= 3; i++) {
    const s = sample(i, [['/a', 0.4, 1000], ['/b', 0.1, 10]]);
    const a = s.containers.get('/a')!;
    (s.containers as Map<string, typeof a>).set('/a', { ...a, ...counters(i === 2 ? 1 : 0, 4), rssBytes: bytes(1500) });
    acc.add(s);
  }
  const [a, b] = acc.summarize().containers;
  assert.deepEqual([a!.cpu_source, a!.memory_source, a!.oom_kills, a!.memory_peak_bytes], ['cgroup-v2', 'cgroup-v2', 1, 5000]);
  assert.deepEqual(a!.cpu_throttling, { periods: 30, throttled_periods: 12, throttled_seconds: 0.6 });
  assert.deepEqual(a!.limits, { cpu_cores: 0.5, memory_bytes: 4096 }); // from the cgroup: CGROUP_LIMITS names none
  assert.equal(a!.rss_bytes!.peak, 1500); // the processes' sum beside the cgroup's figure
  assert.deepEqual([b!.cpu_source, b!.oom_kills, b!.cpu_throttling, b!.rss_bytes], ['processes', undefined, undefined, undefined]);
  assert.deepEqual(b!.limits, { memory_bytes: 999 });
});

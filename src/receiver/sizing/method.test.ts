// The recommendation method on synthetic histories (issue 9): steady, spiky, OOM-killed, one run, no run, limits
// four times the use, an old outlier, checkpoint-only runs. Figures are exact where the arithmetic is simple.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ciSizerContainer } from './ci-sizer.ts';
import { DEFAULT_METHOD, DEFAULT_SIZING_OPTIONS, recommendContainer, type RunPoint, type SizingOptions } from './method.ts';
import { sizeJob } from './recommend.ts';
import { history } from './synthetic.ts';

const MI = 2 ** 20;
const GI = 2 ** 30;
const newestFirst = (h: RunPoint[]) => [...h].reverse();
const size = (h: RunPoint[], options: Partial<SizingOptions> = {}) => {
  const job = sizeJob(newestFirst(h), { ...DEFAULT_SIZING_OPTIONS, ...options });
  const c = job.containers[0];
  if (c === undefined) throw new Error('no container');
  return { meta: job.meta, c };
};

describe('sizing method', () => {
  const cases: { name: string; runs: RunPoint[]; options?: Partial<SizingOptions>; phase: string;
    cpu: [request: string, limit: string] | null; memory: [request: string, limit: string]; reason: RegExp }[] = [
    { name: 'steady: 30 identical runs at 1 GiB and 1.5 cores', runs: history(30, { mem: GI, cpu: 1.5, memLimit: 1.5 * GI, cpuLimit: 2 }),
      // memory: max(1 GiB x 1.1, 1 GiB + 256Mi, the median 1 GiB x 1.35) x (1 + 0.5/22.45) = 1413 Mi → 1536Mi;
      // request 1 GiB x 1.1 → 1152Mi.
      // cpu: 1.5 x 1.2 = 1.8 → 2 (250m steps above 1 core); limit 1.8 x 1.022 → 2.
      phase: 'confident', cpu: ['2', '2'], memory: ['1152Mi', '1536Mi'], reason: /^limits sized on memory at the weighted p98 of 30 peaks/ },
    { name: 'one run: learning, limits 1.5x wider', runs: history(1, { mem: GI, cpu: 1.5 }),
      // 1.35 GiB x 1.5 = 2074 Mi → 2304Mi (256Mi steps from 2 GiB).
      phase: 'learning', cpu: ['2', '2750m'], memory: ['1152Mi', '2304Mi'], reason: /^only 1 run so far/ },
    { name: 'two runs: still learning', runs: history(2, { mem: GI, cpu: 1.5 }),
      // Two runs are worth 2.0 effective runs: 1.8 x 1.25 = 2.2507 cores → 2500m; 1.35 GiB x 1.25 = 1728 Mi → 1792Mi.
      phase: 'learning', cpu: ['2', '2500m'], memory: ['1152Mi', '1792Mi'], reason: /^only 2 runs so far/ },
    { name: 'OOM-killed: the newest run was killed at its 1Gi limit', runs: history(10, { mem: 900 * MI, cpu: 1, memLimit: GI, cpuLimit: 2 },
      { 9: { mem: 1000 * MI, oom: true } }),
      // The kill counts as needing 1.2 x 1Gi; + half the use's spread (1Gi - 900Mi) + 256Mi, x 1.052 → 1664Mi.
      phase: 'confident', cpu: ['1250m', '1500m'], memory: ['1Gi', '1664Mi'], reason: /^memory raised above 1Gi: run 1009 was OOM-killed at its limit$/ },
    { name: 'OOM-killed three times in a row: each kill bumps 1.2x more', runs: history(10, { mem: 900 * MI, cpu: 1, memLimit: GI, cpuLimit: 2 },
      { 7: { mem: 1010 * MI, oom: true }, 8: { mem: 1010 * MI, oom: true }, 9: { mem: 1010 * MI, oom: true } }),
      // The newest kill counts as needing 1.2^3 x 1Gi = 1769Mi.
      phase: 'confident', cpu: ['1250m', '1500m'], memory: ['1Gi', '2304Mi'], reason: /^memory raised above 1Gi: run 1009 was OOM-killed/ },
    { name: 'a peak at 97% of the limit counts as touching it', runs: history(10, { mem: 700 * MI, cpu: 1, memLimit: GI },
      { 9: { mem: 0.97 * GI } }),
      // The touch counts as 1.2 x 1Gi = 1229 Mi; + 5% of the use's spread (993 - 700 Mi) + 256Mi, x 1.052 → 1664Mi.
      phase: 'confident', cpu: ['1250m', '1500m'], memory: ['832Mi', '1664Mi'], reason: /^memory raised above 1Gi: run 1009 reached 95% of its limit$/ },
    { name: 'limits four times the use: the difference can be freed', runs: history(20, { mem: 512 * MI, cpu: 0.5, memLimit: 2 * GI, cpuLimit: 2 }),
      phase: 'confident', cpu: ['600m', '650m'], memory: ['576Mi', '832Mi'], reason: /^memory limit 2Gi is 2\.5x the recommended 832Mi: 1\.19 GiB could be freed$/ },
    { name: 'a throttled run raises CPU above its limit', runs: history(10, { mem: 512 * MI, cpu: 0.9, cpuLimit: 1 },
      { 9: { cpu: 0.98, throttled: 0.3 } }),
      phase: 'confident', cpu: ['1250m', '1500m'], memory: ['576Mi', '832Mi'], reason: /^CPU raised above 1: run 1009 was throttled/ },
  ];
  for (const c of cases) {
    test(`sizeJob: ${c.name}`, () => {
      const { meta, c: s } = size(c.runs, c.options);
      assert.equal(meta.confidence_phase, c.phase);
      assert.deepEqual(s.cpu === null ? null : [s.cpu.request.quantity, s.cpu.limit.quantity], c.cpu);
      assert.deepEqual([s.memory?.request.quantity, s.memory?.limit.quantity], c.memory);
      assert.match(s.reason, c.reason);
      for (const r of [s.cpu?.request, s.cpu?.limit, s.memory?.request, s.memory?.limit]) {
        if (r === undefined) continue;
        const v = 'cores' in r ? r.cores : r.bytes;
        const [lo, hi] = 'cores' in r ? [r.lower.cores, r.upper.cores] : [r.lower.bytes, r.upper.bytes];
        assert.ok(lo <= v && v <= hi, `${lo} <= ${v} <= ${hi}`);
      }
    });
  }

  test('sizeJob: no runs is the unknown phase with no containers', () => {
    assert.deepEqual(sizeJob([], DEFAULT_SIZING_OPTIONS), { meta: { confidence_phase: 'unknown', method: 'weighted-percentile-v2',
      runs_requested: 30, runs_used: 0, latest_run_id: null, latest_received_at: null }, containers: [] });
  });

  test('bounds: one run allows half to twice the figure; thirty identical runs narrow them', () => {
    const one = size(history(1, { mem: GI, cpu: 1 })).c.memory?.limit;
    const many = size(history(30, { mem: GI, cpu: 1 })).c.memory?.limit;
    assert.ok(one !== undefined && many !== undefined);
    assert.ok(one.upper.bytes / one.lower.bytes > 3, 'one run: wide');
    assert.ok(many.upper.bytes / many.lower.bytes < 1.6, 'thirty runs: narrow');
  });

  test('spiky: a level that 5 of 30 runs reach is covered, whatever their age', () => {
    const spikes = Object.fromEntries([2, 8, 14, 20, 26].map((i) => [i, { mem: 1.8 * GI }]));
    const r = recommendContainer(newestFirst(history(30, { mem: GI, cpu: 1 }, spikes)), 'build', DEFAULT_SIZING_OPTIONS);
    assert.ok((r.memory?.limit.value ?? 0) >= 1.8 * GI * 1.1, `${(r.memory?.limit.value ?? 0) / GI} GiB`);
  });

  test('spiky: spikes of varying height keep the highest of them for the whole window, not the second-highest', () => {
    const spikes = { 4: { mem: 1.9 * GI }, 15: { mem: 1.5 * GI }, 25: { mem: 1.4 * GI } };
    const h = newestFirst(history(30, { mem: GI, cpu: 1 }, spikes));
    const ours = recommendContainer(h, 'build', DEFAULT_SIZING_OPTIONS).memory?.limit.value ?? 0;
    const secondOnly = recommendContainer(h, 'build', DEFAULT_SIZING_OPTIONS, { ...DEFAULT_METHOD, memorySpikyBand: Infinity }).memory?.limit.value ?? 0;
    assert.ok(ours >= 1.9 * GI * 1.1, `${ours / GI} GiB`);
    assert.ok(secondOnly < 1.9 * GI, `without the rule: ${secondOnly / GI} GiB`);
  });

  test('a change to the job: the memory limit leaves 35% above the typical run, where no run has shown more yet', () => {
    const limit = size(history(30, { mem: 4 * GI, cpu: 1 })).c.memory?.limit.bytes ?? 0;
    // 4 GiB x 1.35 x (1 + 0.5/22.45) = 5.52 GiB → 6Gi (512Mi steps from 4 GiB); 10% alone would give 4.5 GiB → 4608Mi.
    assert.equal(limit, 6 * GI);
  });

  test('outlier: one 3x run 20 runs ago is forgotten by us, kept by CI Sizer', () => {
    const h = newestFirst(history(30, { mem: GI, cpu: 1 }, { 9: { mem: 3 * GI, cpu: 3 } }));
    const ours = recommendContainer(h, 'build', DEFAULT_SIZING_OPTIONS);
    const without = recommendContainer(newestFirst(history(30, { mem: GI, cpu: 1 })), 'build', DEFAULT_SIZING_OPTIONS);
    const ci = ciSizerContainer(h, 'build', DEFAULT_SIZING_OPTIONS);
    assert.equal(ours.memory?.limit.value, without.memory?.limit.value, 'as if it never ran');
    assert.ok((ours.memory?.limit.value ?? Infinity) < 1.6 * GI, `ours ${(ours.memory?.limit.value ?? 0) / GI} GiB`);
    assert.ok((ci.memoryBytes ?? 0) >= 3 * GI, `CI Sizer ${(ci.memoryBytes ?? 0) / GI} GiB`);
  });

  test('checkpoint-only runs count for memory, not for CPU', () => {
    const h = history(10, { mem: GI, cpu: 1 }, { 9: { mem: 2 * GI, cpu: 8, complete: false }, 8: { mem: 2 * GI, cpu: 8, complete: false } });
    const r = recommendContainer(newestFirst(h), 'build', DEFAULT_SIZING_OPTIONS);
    assert.equal(r.inputs.memoryRuns, 10);
    assert.equal(r.inputs.cpuRuns, 8);
    assert.ok((r.memory?.limit.value ?? 0) >= 2 * GI, 'the checkpoints\' memory counts');
    assert.ok((r.cpu?.limit.value ?? Infinity) <= 1.5, 'their CPU does not');
  });

  test('half-life in days: a run a month old weighs 1/16 with a 7-day half-life', () => {
    const h = history(2, { mem: GI, cpu: 1 });
    const old = { ...h[0], receivedAt: '2025-12-02T00:00:00.000Z' } as RunPoint;
    const r = recommendContainer([h[1] as RunPoint, old], 'build', { ...DEFAULT_SIZING_OPTIONS, halfLife: { unit: 'days', value: 7 } });
    assert.ok(r.inputs.effectiveRuns > 1 && r.inputs.effectiveRuns < 1.2, String(r.inputs.effectiveRuns));
  });

  test('options: runs limits the window; cpu_percentile picks the statistic; buffer sets the CPU margin', () => {
    const h = history(40, { mem: GI, cpu: 1 });
    assert.equal(size(h, { runs: 5 }).meta.runs_used, 5);
    assert.equal(size(h, { cpuPercentile: 'p50' }).c.inputs.cpu_cores?.p50, 0.6);
    const lean = size(h, { cpuBuffer: 0 }).c.cpu?.limit.cores ?? 0;
    const wide = size(h, { cpuBuffer: 1 }).c.cpu?.limit.cores ?? 0;
    assert.ok(wide >= 2 * lean - 0.25, `${lean} → ${wide}`);
  });

  test('resources_yaml: requests and limits in quantity notation, ready to paste', () => {
    assert.equal(size(history(30, { mem: GI, cpu: 1.5 })).c.resources_yaml,
      'resources:\n  requests:\n    cpu: "2"\n    memory: "1152Mi"\n  limits:\n    cpu: "2"\n    memory: "1536Mi"\n');
  });
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Distribution } from './distribution.ts';
import { computeStats, roundTo } from './stats.ts';
import type { Stats } from './types.ts';

const id = (n: number) => n;
const FIELDS = ['peak', 'p99', 'p95', 'p75', 'p50', 'avg'] as const;
const PERCENTILES = ['p99', 'p95', 'p75', 'p50'] as const;
const CORES = { scale: 1e4, exactLimit: 16_384, relativeError: 0.001 };
const BYTES = { scale: 1, exactLimit: 4_096, relativeError: 0.001 };

const counted = (values: readonly number[], o = CORES) => {
  const d = new Distribution(o);
  for (const v of values) d.add(v);
  return d;
};
/** Ground truth: stats.ts over every value, as the accumulator computed them when it kept them all. */
const truth = (values: readonly number[], round: (n: number) => number = id) => computeStats(Float64Array.from(values), round);

const cores = fc.array(fc.double({ min: 0, max: 8, noNaN: true }), { maxLength: 2_000 });
const bytes = fc.array(fc.integer({ min: 0, max: 2 ** 40 }).map((n) => n * 4096), { minLength: 1, maxLength: 2_000 });

test('Distribution: exact at the printed precision: type 7 over the values rounded to 1e-4 cores', () => {
  fc.assert(fc.property(cores, fc.integer({ min: 0, max: 50 }), (values, absent) => {
    const got = counted(values).stats(values.length + absent, roundTo(4));
    const all = [...values, ...new Array<number>(absent).fill(0)];
    // Percentiles: the exact type 7 of the keys; peak and avg: of the values themselves.
    const keys = truth(all.map((v) => Math.round(v * 1e4) / 1e4), roundTo(4)), raw = truth(all, roundTo(4));
    assert.deepEqual(got, { ...keys, peak: raw.peak, avg: raw.avg });
    // Counting at 1e-4 moves a percentile by less than 0.5e-4 before rounding: one unit of the last digit at most.
    for (const f of PERCENTILES) assert.ok(Math.abs(got[f] - raw[f]) <= 1e-4 + 1e-12, `${f}: ${got[f]} vs ${raw[f]}`);
    assert.equal(got.percentile_relative_error, undefined);
  }));
});

test('Distribution: whole bytes under the limit are exact, figure for figure', () => {
  fc.assert(fc.property(bytes, (values) => {
    assert.deepEqual(counted(values, BYTES).stats(values.length, Math.round), truth(values, Math.round));
  }));
});

test('Distribution: past the exact limit every percentile is within the stated relative error; peak and avg stay exact', () => {
  const small = { ...BYTES, exactLimit: 16 };
  fc.assert(fc.property(bytes, fc.integer({ min: 0, max: 20 }), (values, absent) => {
    const d = counted(values, small);
    const got = d.stats(values.length + absent, id), want = truth([...values, ...new Array<number>(absent).fill(0)]);
    assert.equal(got.percentile_relative_error, new Set(values).size > 16 ? 0.001 : undefined);
    assert.deepEqual([got.peak, got.avg], [want.peak, want.avg]);
    for (const f of PERCENTILES) {
      assert.ok(Math.abs(got[f] - want[f]) <= 0.001 * want[f] * (1 + 1e-9), `${f}: ${got[f]} vs exact ${want[f]}`);
      assert.ok(got[f] <= got.peak, `${f} ${got[f]} above the peak ${got.peak}`);
    }
  }));
});

test('Distribution: bucketed CPU is within the relative error plus one unit of the printed 1e-4', () => {
  fc.assert(fc.property(cores, (values) => {
    const got = counted(values, { ...CORES, exactLimit: 16 }).stats(values.length, roundTo(4)), want = truth(values);
    for (const f of PERCENTILES) assert.ok(Math.abs(got[f] - want[f]) <= 0.001 * want[f] + 1e-4 + 1e-12, `${f}: ${got[f]} vs exact ${want[f]}`);
  }));
});

test('Distribution: a bucketed series of 100,000 page-sized values holds a few thousand buckets and keeps its bound', () => {
  let x = 0x9e3779b9;
  const next = () => ((x = (Math.imul(x, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const values = Array.from({ length: 100_000 }, () => Math.floor(200_000 + next() * 50_000) * 4096);
  const got = counted(values, BYTES).stats(values.length, Math.round), want = truth(values, Math.round);
  assert.equal(got.percentile_relative_error, 0.001);
  for (const f of FIELDS) assert.ok(Math.abs(got[f] - want[f]) <= 0.001 * want[f], `${f}: ${got[f]} vs ${want[f]}`);
});

test('Distribution: merging two equals counting both, exact or bucketed', () => {
  for (const o of [BYTES, { ...BYTES, exactLimit: 8 }]) {
    fc.assert(fc.property(bytes, bytes, (a, b) => {
      const m = counted(a, o);
      m.merge(counted(b, o));
      const n = a.length + b.length + 3;
      assert.deepEqual(m.stats(n, Math.round), counted([...a, ...b], o).stats(n, Math.round));
    }));
  }
});

test('Distribution: statistics mid-run and a clone leave the distribution as it was', () => {
  fc.assert(fc.property(cores, cores, (first, then) => {
    const d = counted(first), before: Stats = d.stats(first.length, roundTo(4));
    const c = d.clone();
    c.add(100);
    assert.deepEqual(d.stats(first.length, roundTo(4)), before);
    for (const v of then) d.add(v);
    assert.deepEqual(d.stats(first.length + then.length, roundTo(4)), counted([...first, ...then]).stats(first.length + then.length, roundTo(4)));
  }));
});

test('Distribution: no values is all zeros; a negative value counts as 0', () => {
  assert.deepEqual(new Distribution(CORES).stats(0, id), { peak: 0, p99: 0, p95: 0, p75: 0, p50: 0, avg: 0 });
  assert.deepEqual(counted([-1, 2]).stats(2, id), truth([0, 2]));
});

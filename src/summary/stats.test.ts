import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeStats, percentile, roundTo } from './stats.ts';

const range = (from: number, to: number) => Float64Array.from({ length: to - from + 1 }, (_, i) => from + i);

// Known answers: numpy.percentile(x, q) with its default (linear) method.
const cases = [
  { name: 'one value', values: [7], p: 0.95, want: 7 },
  { name: 'median of an even count interpolates', values: [1, 2, 3, 4], p: 0.5, want: 2.5 },
  { name: 'p95 of 1..100', values: [...range(1, 100)], p: 0.95, want: 95.05 },
  { name: 'p99 of 1..100', values: [...range(1, 100)], p: 0.99, want: 99.01 },
  { name: 'p75 of 1..10', values: [...range(1, 10)], p: 0.75, want: 7.75 },
  { name: 'p0 is the minimum', values: [3, 9, 1], p: 0, want: 1 },
  { name: 'p100 is the maximum', values: [3, 9, 1], p: 1, want: 9 },
];
for (const c of cases) {
  test(`percentile: ${c.name}`, () => {
    const sorted = Float64Array.from(c.values).sort();
    assert.ok(Math.abs(percentile(sorted, c.p) - c.want) < 1e-9, `${percentile(sorted, c.p)} != ${c.want}`);
  });
}

test('computeStats: unsorted input gives peak, avg and percentiles', () => {
  // numpy: percentile([4, 1, 3, 2], [99, 95, 75, 50]) = 3.97, 3.85, 3.25, 2.5 (to float64 rounding)
  const s = computeStats(Float64Array.from([4, 1, 3, 2]), roundTo(12));
  assert.deepEqual(s, { peak: 4, p99: 3.97, p95: 3.85, p75: 3.25, p50: 2.5, avg: 2.5 });
});

test('computeStats: does not reorder the caller\'s values', () => {
  const v = Float64Array.from([3, 1, 2]);
  computeStats(v);
  assert.deepEqual([...v], [3, 1, 2]);
});

test('computeStats: an empty series is all zeros', () =>
  assert.deepEqual(computeStats(new Float64Array(0)), { peak: 0, p99: 0, p95: 0, p75: 0, p50: 0, avg: 0 }));

test('computeStats: rounding applies to every field', () =>
  assert.deepEqual(computeStats(Float64Array.from([1 / 3, 2 / 3]), roundTo(2)),
    { peak: 0.67, p99: 0.66, p95: 0.65, p75: 0.58, p50: 0.5, avg: 0.5 }));

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { downsample, perPoint } from './downsample.ts';

const id = (n: number) => n;

test('perPoint: a run shorter than the limit keeps every interval', () => assert.equal(perPoint(120, 300), 1));
test('perPoint: a 6-hour run at 2 s (10,800 intervals) in 300 points is 36 intervals a point', () => assert.equal(perPoint(10_800, 300), 36));
test('perPoint: never more points than asked', () => {
  for (const n of [1, 299, 300, 301, 599, 600, 601, 10_799, 100_000]) assert.ok(Math.ceil(n / perPoint(n, 300)) <= 300, String(n));
});

test('downsample: each point keeps the max and the average of the intervals it covers', () =>
  assert.deepEqual(downsample(Float64Array.from([1, 3, 2, 8, 0]), 2, id), { max: [3, 8, 0], avg: [2, 5, 0] }));

test('downsample: a one-interval spike survives in max however coarse the points', () => {
  const v = new Float64Array(10_800).fill(0.5);
  v[7_777] = 4;
  const s = downsample(v, perPoint(v.length, 300), id);
  assert.equal(s.max.length, 300);
  assert.equal(Math.max(...s.max), 4);
  assert.ok(Math.abs(s.avg[Math.floor(7_777 / 36)]! - (0.5 * 35 + 4) / 36) < 1e-12);
});

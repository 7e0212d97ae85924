import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Downsampler } from './downsample.ts';

const id = (n: number) => n;

/** The chart as every value gives it: point p covers intervals [p x per, (p + 1) x per), max and mean. */
function fromAllValues(values: readonly number[], per: number) {
  const max: number[] = [], avg: number[] = [];
  for (let from = 0; from < values.length; from += per) {
    const part = values.slice(from, from + per);
    max.push(Math.max(...part));
    avg.push(part.reduce((a, b) => a + b, 0) / part.length);
  }
  return { max, avg };
}

const fed = (values: readonly number[], points: number) => {
  const d = new Downsampler(points);
  for (const v of values) d.add(v);
  return d;
};

test('Downsampler: a run shorter than the points keeps every interval', () => {
  const d = fed([1, 3, 2, 8, 0], 300);
  assert.equal(d.perPoint(300), 1);
  assert.deepEqual(d.points(300, id), { max: [1, 3, 2, 8, 0], avg: [1, 3, 2, 8, 0] });
});

test('Downsampler: each point keeps the max and the average of the intervals it covers', () =>
  assert.deepEqual(fed([1, 3, 2, 8, 0], 2).points(2, id), { max: [3, 8], avg: [2, 4] })); // 3 intervals a point

test('Downsampler: a 6-hour run at 2 s (10,800 intervals) in 300 points: buckets of 16 intervals, 3 a point, 225 points', () => {
  const d = fed(new Array<number>(10_800).fill(1), 300);
  assert.equal(d.perPoint(300), 48);
  assert.equal(d.points(300, id).max.length, 225);
});

test('Downsampler: a one-interval spike survives in max however coarse the points', () => {
  const v = new Array<number>(10_800).fill(0.5);
  v[7_777] = 4;
  const s = fed(v, 300).points(300, id);
  assert.equal(Math.max(...s.max), 4);
  assert.ok(Math.abs(s.avg[Math.floor(7_777 / 48)]! - (0.5 * 47 + 4) / 48) < 1e-12);
});

test('Downsampler: points equal the max and mean of every value; ceil(n / points) a point up to 4 x points values, then > 2/3 x points points', () => {
  fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 1_000 }), { maxLength: 3_000 }), fc.integer({ min: 1, max: 40 }), (values, points) => {
    const d = fed(values, points), per = d.perPoint(points), got = d.points(points, id);
    const want = fromAllValues(values, per);
    assert.deepEqual(got.max, want.max);
    got.avg.forEach((a, i) => assert.ok(Math.abs(a - want.avg[i]!) <= 1e-9 * Math.max(1, want.avg[i]!), `point ${i}: ${a} != ${want.avg[i]}`));
    assert.ok(got.max.length <= points, `${got.max.length} points > ${points}`);
    if (values.length <= 4 * points) assert.equal(per, Math.max(1, Math.ceil(values.length / points)));
    else assert.ok(got.max.length > (2 * points) / 3, `${got.max.length} points <= 2/3 x ${points}`);
  }));
});

test('Downsampler: adding two series of disjoint non-zero intervals equals downsampling their sum', () => {
  fc.assert(fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 100 })), { maxLength: 2_000 }), (pairs) => {
    const a = pairs.map(([left, v]) => (left ? v : 0)), b = pairs.map(([left, v]) => (left ? 0 : v));
    const da = fed(a, 16);
    da.addElementwise(fed(b, 16));
    assert.deepEqual(da.points(16, id), fed(a.map((v, i) => v + b[i]!), 16).points(16, id));
  }));
});

test('Downsampler: clone is independent of the original', () => {
  const d = fed([1, 2, 3], 4), c = d.clone();
  c.add(10);
  assert.deepEqual([d.length, c.length], [3, 4]);
  assert.deepEqual(d.points(4, id).max, [1, 2, 3]);
});

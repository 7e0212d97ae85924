import assert from 'node:assert/strict';
import { test } from 'node:test';
import { effectiveCount, runWeight, weightedPercentile } from './weighted.ts';

const even = (values: number[]) => values.map((value) => ({ value, weight: 1 }));

test('weightedPercentile: equal weights give the nearest-rank quantile; q = 1 is the maximum', () => {
  const s = even([5, 1, 4, 2, 3]);
  assert.deepEqual([0, 0.2, 0.5, 0.9, 1].map((q) => weightedPercentile(s, q)), [1, 1, 3, 5, 5]);
  assert.equal(weightedPercentile([], 0.5), undefined);
});

test('weightedPercentile: a value with less than 1 - q of the weight cannot be the q-quantile', () => {
  const s = [{ value: 100, weight: 0.01 }, ...even([1, 2, 3])];
  assert.equal(weightedPercentile(s, 0.98), 3);
  assert.equal(weightedPercentile(s, 1), 100);
});

test('runWeight: halves every half-life, in runs or in days', () => {
  assert.equal(runWeight({ unit: 'runs', value: 10 }, 0, 0, 0), 1);
  assert.equal(runWeight({ unit: 'runs', value: 10 }, 20, 0, 0), 0.25);
  assert.equal(runWeight({ unit: 'days', value: 7 }, 3, 0, 14 * 86_400_000), 0.25);
});

test('effectiveCount: n equal weights are worth n; one dominant weight about 1', () => {
  assert.equal(effectiveCount(even([1, 2, 3, 4])), 4);
  assert.ok(effectiveCount([{ value: 1, weight: 1 }, { value: 2, weight: 0.001 }]) < 1.01);
});

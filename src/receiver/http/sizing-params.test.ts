import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseSizingQuery } from './sizing-params.ts';

const ok = [
  { q: {}, want: { runs: 30, cpuBuffer: 0.2, cpuPercentile: 'p95', halfLife: { unit: 'runs', value: 10 } } },
  { q: { runs: '1000', buffer: '0', cpu_percentile: 'max', half_life: '7d' }, want: { runs: 1000, cpuBuffer: 0, cpuPercentile: 'peak', halfLife: { unit: 'days', value: 7 } } },
  { q: { buffer: '0.25', cpu_percentile: '99' }, want: { runs: 30, cpuBuffer: 0.25, cpuPercentile: 'p99', halfLife: { unit: 'runs', value: 10 } } },
  { q: { buffer: '1', cpu_percentile: 'AVG', half_life: '2.5' }, want: { runs: 30, cpuBuffer: 0.01, cpuPercentile: 'avg', halfLife: { unit: 'runs', value: 2.5 } } },
] as const;
for (const c of ok) test(`parseSizingQuery: ${JSON.stringify(c.q)}`, () => assert.deepEqual(parseSizingQuery(c.q).options, c.want));

const bad = [
  [{ runs: '0' }, /^querystring\.runs: must be an integer from 1 to 1000$/], [{ runs: '1e3' }, /runs/], [{ runs: ' 5' }, /runs/],
  [{ buffer: '1001' }, /^querystring\.buffer: /], [{ buffer: '20%' }, /buffer/], [{ cpu_percentile: 'p90' }, /cpu_percentile/],
  [{ cpu_percentile: 'constructor' }, /cpu_percentile/], [{ half_life: '0' }, /half_life/], [{ half_life: '7w' }, /half_life/],
  [{ history: '1' }, /^querystring\.history: must be an integer from 2 to 10000$/],
] as const;
for (const [q, error] of bad) test(`parseSizingQuery: ${JSON.stringify(q)} is a 400`, () =>
  assert.throws(() => parseSizingQuery(q), (e: Error & { statusCode?: number }) => e.statusCode === 400 && error.test(e.message)));

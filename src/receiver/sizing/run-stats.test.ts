import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { decodeRunStats, encodeRunStats, runStats } from './run-stats.ts';

const known = JSON.parse(readFileSync(new URL('../../../test/fixtures/summary/known-run.json', import.meta.url), 'utf8')) as unknown;

test('runStats: a real summary keeps what sizing needs, in a few hundred bytes a container', () => {
  const s = runStats(known);
  const build = s.containers.find((c) => c.name === 'build');
  assert.deepEqual(build, {
    name: 'build', cpu: { peak: 1.9488, p99: 1.9422, p95: 1.9105, p75: 1.714, p50: 1.4209, avg: 1.1824 }, cpu_seconds: 1418.835,
    memory: { peak: 3006411489, p95: 2268683921, avg: 1382451805 },
    memory_peak_bytes: 3031433216, cpu_limit_cores: 2, memory_limit_bytes: 3221225472, oom_kills: 0,
    throttled_fraction: 0.0793,
  });
  assert.equal(s.complete, true);
  assert.equal(s.duration_seconds, 1200);
  assert.ok(encodeRunStats(s).length < 400 * s.containers.length + 100, `${encodeRunStats(s).length} bytes`);
});

const odd = [
  { name: 'not an object', summary: 'x', want: { complete: true, containers: [] } },
  { name: 'a checkpoint', summary: { complete: false, containers: [] }, want: { complete: false, containers: [] } },
  { name: 'nameless container and bad numbers dropped', summary: { containers: [{ cpu_cores: { p95: 1 } },
    { name: 'a', cpu_cores: { p95: 'fast', peak: -1, avg: 0.5 }, memory_bytes: null, oom_kills: Number.POSITIVE_INFINITY }] },
  want: { complete: true, containers: [{ name: 'a', cpu: { avg: 0.5 } }] } },
];
for (const c of odd) test(`runStats: ${c.name}`, () => assert.deepEqual(runStats(c.summary), c.want));

test('decodeRunStats: round trip; another version or broken text is undefined (derived again)', () => {
  const s = runStats(known);
  assert.deepEqual(decodeRunStats(encodeRunStats(s)), { v: 1, ...s });
  assert.equal(decodeRunStats('{"v":0,"containers":[]}'), undefined);
  assert.equal(decodeRunStats('{'), undefined);
  assert.equal(decodeRunStats(null), undefined);
});

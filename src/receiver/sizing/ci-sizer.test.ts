// CI Sizer's method as issue 9 describes it, the baseline of the backtest.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ciSizerContainer, ciSizerHeadroom } from './ci-sizer.ts';
import { DEFAULT_SIZING_OPTIONS } from './method.ts';
import { history } from './synthetic.ts';

const MI = 2 ** 20;
const GI = 2 ** 30;
const ci = (runs: ReturnType<typeof history>) => ciSizerContainer([...runs].reverse(), 'build', DEFAULT_SIZING_OPTIONS);

const cases = [
  { name: 'max p95 + 20%, to 0.5 core; max peak + 20% below 1 GiB, to a power of two', runs: history(5, { mem: 600 * MI, cpu: 1.3 }, { 2: { mem: 700 * MI, cpu: 1.6 } }),
    cpu: 2, memory: 1024 * MI, clean: 5 },
  { name: 'the staircase: 10% from 1 GiB, 5% from 4 GiB', runs: history(3, { mem: 5 * GI, cpu: 1 }), cpu: 1.5, memory: 8 * GI, clean: 3 },
  { name: 'doubled per consecutive OOM kill at the newest end', runs: history(6, { mem: 700 * MI, cpu: 1, memLimit: GI }, { 4: { oom: true, mem: GI }, 5: { oom: true, mem: GI } }),
    cpu: 1.5, memory: 4 * GI, clean: 4 },
  { name: 'an OOM kill followed by a clean run is forgotten', runs: history(6, { mem: 700 * MI, cpu: 1, memLimit: GI }, { 4: { oom: true, mem: GI } }),
    cpu: 1.5, memory: 1024 * MI, clean: 5 },
  { name: 'checkpoint-only runs are not clean', runs: history(3, { mem: 700 * MI, cpu: 1 }, { 2: { complete: false, mem: 3 * GI, cpu: 9 } }),
    cpu: 1.5, memory: 1024 * MI, clean: 2 },
];
for (const c of cases) {
  test(`ciSizerContainer: ${c.name}`, () => {
    const r = ci(c.runs);
    assert.deepEqual([r.cpuCores, r.memoryBytes, r.cleanRuns], [c.cpu, c.memory, c.clean]);
  });
}

test('ciSizerHeadroom: 20% / 10% / 5%', () => assert.deepEqual([GI - 1, GI, 4 * GI].map(ciSizerHeadroom), [0.2, 0.1, 0.05]));

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cpuQuantity, memoryQuantity, roundCpuHalfCore, roundCpuUp, roundMemoryPow2, roundMemoryUp } from './rounding.ts';

const MI = 2 ** 20;
const cpu = [
  { cores: 0, want: '50m' }, { cores: 0.2, want: '200m' }, { cores: 0.201, want: '250m' }, { cores: 0.35, want: '350m' },
  { cores: 0.999, want: '1' }, { cores: 1.01, want: '1250m' }, { cores: 3.9, want: '4' }, { cores: 4.1, want: '4500m' },
  { cores: 8.2, want: '9' },
];
for (const c of cpu) test(`roundCpuUp: ${c.cores} cores → ${c.want}`, () => assert.equal(cpuQuantity(roundCpuUp(c.cores)), c.want));

const memory = [
  { mib: 1, want: '16Mi' }, { mib: 100, want: '112Mi' }, { mib: 700, want: '704Mi' }, { mib: 768, want: '768Mi' },
  { mib: 1024, want: '1Gi' }, { mib: 1025, want: '1152Mi' }, { mib: 1500, want: '1536Mi' }, { mib: 3000, want: '3Gi' },
  { mib: 5000, want: '5Gi' }, { mib: 9000, want: '9Gi' },
];
for (const c of memory) {
  test(`roundMemoryUp: ${c.mib} MiB → ${c.want}, at most 12.5% up`, () => {
    const b = roundMemoryUp(c.mib * MI);
    assert.equal(memoryQuantity(b), c.want);
    assert.ok(b >= c.mib * MI && (c.mib < 16 || b <= c.mib * MI * 1.125));
  });
}

test('CI Sizer rounding: 0.5 core steps and powers of two in MiB', () => {
  assert.deepEqual([0.1, 0.5, 0.51, 1.7].map(roundCpuHalfCore), [0.5, 0.5, 1, 2]);
  assert.deepEqual([300, 512, 513, 1500].map((m) => roundMemoryPow2(m * MI) / MI), [512, 512, 1024, 2048]);
});

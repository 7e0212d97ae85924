import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lastPidOfLoadavg } from './loadavg.ts';

test('lastPidOfLoadavg: the last field, with or without its newline; -1 for anything else', () => {
  const last = (text: string) => lastPidOfLoadavg(Buffer.from(text), Buffer.byteLength(text));
  assert.equal(last('0.52 0.58 0.59 2/415 96511\n'), 96511);
  assert.equal(last('0.00 0.00 0.00 1/80 1'), 1);
  assert.equal(last('0.00 0.00 0.00 1/80 4194304 \n'), 4194304);
  for (const bad of ['', '\n', '96511', '0.52 0.58 0.59 2/415 x\n', '0.52 0.58 0.59 2/415 12345678901\n', '0.5 1/2 -3\n']) {
    assert.equal(last(bad), -1, JSON.stringify(bad));
  }
});

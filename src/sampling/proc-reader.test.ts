import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync } from 'node:fs';
import { keptBudgetFor, ProcReader } from './proc-reader.ts';
import { parseStat } from '../proc/stat.ts';

const openFds = () => readdirSync('/proc/self/fd').length;

test('ProcReader: a kept descriptor reads the live process again and again, and says gone once it was reaped', async () => {
  const reader = new ProcReader('/proc');
  const child = spawn('sleep', ['30'], { stdio: 'ignore' });
  const pid = child.pid!;
  reader.beginPass();
  const n = reader.readKept(pid, 'stat');
  assert.equal(parseStat(reader.buffer, n).pid, pid);
  const fds = openFds();
  reader.beginPass();
  assert.ok(reader.readKept(pid, 'stat') > 0);
  assert.equal(openFds(), fds, 'the second read opened a file');
  child.kill('SIGKILL');
  await once(child, 'exit'); // reaped: its /proc entry is gone
  reader.beginPass();
  assert.equal(reader.readKept(pid, 'stat'), -1);
  reader.endPass();
  reader.close();
});

test('ProcReader: descriptors of processes not read in a pass are closed at its end', () => {
  const reader = new ProcReader('/proc');
  const before = openFds();
  reader.beginPass();
  reader.readKept(process.pid, 'stat');
  reader.readKept(process.pid, 'statm');
  assert.equal(openFds(), before + 2);
  reader.endPass();
  reader.beginPass();
  reader.endPass(); // our pid was not read in this pass
  assert.equal(openFds(), before);
});

test('ProcReader: beyond its budget it reads by open/read/close, keeping nothing', () => {
  const reader = new ProcReader('/proc', 0);
  const before = openFds();
  reader.beginPass();
  assert.ok(reader.readKept(process.pid, 'stat') > 0);
  assert.equal(openFds(), before);
});

test('keptBudgetFor: all but 1,024 descriptors, two a process, and never less than an eighth of the limit', () => {
  assert.equal(keptBudgetFor(1024), 128); // the common default: 256 descriptors, a quarter
  assert.equal(keptBudgetFor(4096), 1536);
  assert.equal(keptBudgetFor(20_000), 9488); // this VM: 5,000 processes now all keep theirs
  assert.equal(keptBudgetFor(1_048_576), 523_776); // containerd's default
  assert.equal(keptBudgetFor(64), 8);
  assert.equal(keptBudgetFor(0), 0);
  for (const soft of [16, 256, 1024, 2048, 65_536, 1_048_576]) {
    assert.ok(2 * keptBudgetFor(soft) <= Math.max(soft - 1024, soft / 4), `${soft}: leaves room for the rest`);
  }
});

test('ProcReader on the real /proc: a process started after a listing is in the next one', async () => {
  const reader = new ProcReader('/proc');
  reader.beginPass();
  const before = reader.listPids();
  assert.ok(reader.listedFresh, 'the first pass lists');
  reader.endPass(before);
  const child = spawn('sleep', ['30'], { stdio: 'ignore' });
  try {
    reader.beginPass();
    const after = reader.listPids();
    assert.ok(reader.listedFresh && after.includes(child.pid!), `pid ${child.pid} not listed`);
    reader.endPass(after);
    // With nothing started in between (retried: other tests start processes too), the last pass's pids are reused.
    let reused = false;
    let alive = after;
    for (let i = 0; i < 50 && !reused; i++) {
      reader.beginPass();
      const pids = reader.listPids();
      reused = !reader.listedFresh;
      if (reused) assert.deepEqual(pids, alive, 'a pass without a listing reads what the last one found alive');
      alive = pids.filter((pid) => pid !== before[0]); // what a sampler reports alive need not be all it was given
      reader.endPass(alive);
    }
    assert.ok(reused, 'every pass listed /proc although pids were allocated only sometimes');
  } finally {
    child.kill('SIGKILL');
    await once(child, 'exit');
    reader.close();
  }
});

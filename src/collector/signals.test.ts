import { test } from 'node:test';
import assert from 'node:assert/strict';
import { latchSignals, type StopSignal } from './signals.ts';

/** Sends `signal` to this process and resolves once Node has dispatched it (delivery is asynchronous). */
function raise(signal: StopSignal): Promise<void> {
  const dispatched = new Promise<void>((resolve) => process.once(signal, () => resolve()));
  process.kill(process.pid, signal);
  return dispatched;
}

test('latchSignals: signals caught before a handler are replayed to it in order; later ones go straight to it', async () => {
  const listenersBefore = process.listenerCount('SIGHUP');
  const latch = latchSignals(['SIGHUP', 'SIGQUIT']);
  await raise('SIGHUP');
  await raise('SIGQUIT');
  const seen: StopSignal[] = [];
  latch.handTo((signal) => seen.push(signal));
  assert.deepEqual(seen, ['SIGHUP', 'SIGQUIT']);
  await raise('SIGHUP');
  assert.deepEqual(seen, ['SIGHUP', 'SIGQUIT', 'SIGHUP']);
  latch.release();
  assert.equal(process.listenerCount('SIGHUP'), listenersBefore, 'release removes the latch\'s listeners');
  assert.equal(process.listenerCount('SIGQUIT'), 0);
});

test('latchSignals: a new handler replaces the old one and nothing is replayed twice', async () => {
  const latch = latchSignals(['SIGHUP']);
  await raise('SIGHUP');
  const first: StopSignal[] = [];
  const second: StopSignal[] = [];
  latch.handTo((s) => first.push(s));
  latch.handTo((s) => second.push(s));
  await raise('SIGHUP');
  latch.release();
  assert.deepEqual([first, second], [['SIGHUP'], ['SIGHUP']]);
});

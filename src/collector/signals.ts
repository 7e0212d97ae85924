// A stop signal can arrive at any moment after start, before the program has a handler ready (the sidecar loads its
// metrics modules first; the wrap mode spawns the command first). Node's default action for SIGTERM is to die at
// once: no summary, and in the wrap mode an orphaned command. The latch listens from the first line on and hands
// what it caught to the real handler once there is one.

export type StopSignal = 'SIGTERM' | 'SIGINT' | 'SIGHUP' | 'SIGQUIT';

export type SignalLatch = {
  /** From now on `handler` gets every signal; those caught before are replayed to it first, in order. */
  handTo(handler: (signal: StopSignal) => void): void;
  /** Stops listening: the signals' default actions apply again. */
  release(): void;
};

export function latchSignals(signals: readonly StopSignal[]): SignalLatch {
  const caught: StopSignal[] = [];
  let handler: ((signal: StopSignal) => void) | undefined;
  const receive = (signal: StopSignal) => { if (handler === undefined) caught.push(signal); else handler(signal); };
  for (const signal of signals) process.on(signal, receive);
  return {
    handTo(next) {
      handler = next;
      for (const signal of caught.splice(0)) next(signal);
    },
    release() {
      for (const signal of signals) process.off(signal, receive);
      handler = undefined;
    },
  };
}

// A TCP proxy on 127.0.0.1 in front of one upstream (PostgreSQL, in the store outage tests), that a test
// can cut (connections reset, new ones refused), stall (bytes held in both directions, as a network that
// drops packets) and restore, optionally delivering what it held late, as TCP retransmission does.
import { connect, createServer, type Server, type Socket } from 'node:net';

export type TcpProxy = {
  readonly port: number;
  /** Resets every connection and stops listening: clients see ECONNRESET, then ECONNREFUSED. */
  cut(): Promise<void>;
  /** Forwards nothing, in either direction, and connects no new client upstream, until restore(). */
  stall(): void;
  /**
   * Listens again (after cut) and forwards again (after stall): new connections at once, the connections held
   * by the stall after `lateMs` (a held segment is retransmitted with backoff, so it can arrive after newer ones).
   */
  restore(lateMs?: number): Promise<void>;
  /** Connections held by a stall that are still open: 0 once what they carried has been delivered and closed. */
  held(): number;
  /** What the held connections sent upstream once released (latin1), to show that the late bytes did arrive. */
  deliveredLate(): string;
  /** cut(), for t.after. */
  stop(): Promise<void>;
};

type Pair = { readonly client: Socket; upstream: Socket | undefined; held: boolean };

export async function startTcpProxy(upstreamHost: string, upstreamPort: number): Promise<TcpProxy> {
  const pairs = new Set<Pair>();
  const timers = new Set<NodeJS.Timeout>();
  let server: Server | undefined;
  let port = 0;
  let stalled = false;
  const late: Buffer[] = [];

  // Half-closes are passed on (end, not destroy), so that bytes written just before a close still arrive.
  const link = (pair: Pair) => {
    const upstream = connect(upstreamPort, upstreamHost);
    pair.upstream = upstream;
    upstream.on('error', () => pair.client.destroy());
    upstream.on('end', () => pair.client.end());
    upstream.on('data', (d: Buffer) => pair.client.write(d));
    pair.client.on('data', (d: Buffer) => { if (pair.held) late.push(d); upstream.write(d); });
    pair.client.on('end', () => upstream.end());
    pair.client.resume();
  };
  const release = (pair: Pair) => {
    if (pair.upstream === undefined) link(pair);
    else { pair.client.resume(); pair.upstream.resume(); }
  };
  const listen = () => new Promise<void>((resolve, reject) => {
    const s = createServer({ pauseOnConnect: true }, (client) => {
      const pair: Pair = { client, upstream: undefined, held: stalled };
      pairs.add(pair);
      client.on('error', () => pair.upstream?.destroy());
      client.on('close', () => { pairs.delete(pair); if (client.errored) pair.upstream?.destroy(); });
      if (!stalled) link(pair);
    });
    s.once('error', reject);
    s.listen(port, '127.0.0.1', () => { port = (s.address() as { port: number }).port; server = s; resolve(); });
  });
  const cut = () => new Promise<void>((resolve) => {
    for (const t of timers) clearTimeout(t);
    for (const { client, upstream } of pairs) { client.resetAndDestroy(); upstream?.destroy(); }
    if (server === undefined) return resolve();
    server.close(() => resolve());
    server = undefined;
  });

  await listen();
  return {
    get port() { return port; },
    cut,
    stall() {
      stalled = true;
      for (const pair of pairs) { pair.held = true; pair.client.pause(); pair.upstream?.pause(); }
    },
    async restore(lateMs = 0) {
      stalled = false;
      const heldPairs = [...pairs].filter((p) => p.held);
      if (lateMs === 0) heldPairs.forEach(release);
      else {
        const timer = setTimeout(() => { timers.delete(timer); heldPairs.forEach(release); }, lateMs);
        timers.add(timer);
      }
      if (server === undefined) await listen();
    },
    held: () => [...pairs].filter((p) => p.held).length,
    deliveredLate: () => Buffer.concat(late).toString('latin1'),
    stop: cut,
  };
}

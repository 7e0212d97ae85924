// autocannon through its API against one loopback endpoint, bounded in time, with exact float-millisecond
// p50/p99 of the 2xx responses (autocannon's own histogram keeps whole milliseconds), and the server's CPU per
// request from its /proc/<pid>/stat. Same method as the anchors' ingest-bench.mjs.
import { createRequire } from 'node:module';
import { cpuTicks, HZ } from './procs.ts';
import { percentileSorted } from './stats.ts';

type Instance = PromiseLike<AutocannonResult> & {
  on(event: 'response', fn: (client: unknown, status: number, bytes: number, ms: number) => void): void;
};
type AutocannonResult = { duration: number; '2xx': number; non2xx: number; errors: number; timeouts: number };
type Autocannon = (o: {
  url: string; method?: string; headers?: Record<string, string>; body?: string; connections: number; duration?: number;
  amount?: number; idReplacement?: boolean; requests?: { method: string; path: string }[];
}) => Instance;

const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

export type LoadResult = {
  readonly connections: number;
  readonly reqPerSec: number;
  readonly p50: number;
  readonly p99: number;
  readonly failed: number;
  /** Server CPU (user+sys) per 2xx response, µs. */
  readonly serverCpuUs: number;
  readonly ok: number;
};

export async function load(o: { url: string; serverPid: number; connections: number; durationS?: number; amount?: number;
  method?: 'GET' | 'POST'; body?: string; headers?: Record<string, string>; uniqueIds?: boolean }): Promise<LoadResult> {
  const host = new URL(o.url).hostname;
  if (host !== '127.0.0.1' && host !== 'localhost') throw new Error('load goes to loopback only');
  const latencies: number[] = [];
  const t0 = cpuTicks(o.serverPid);
  const instance = autocannon({
    url: o.url, method: o.method ?? 'POST', headers: { 'content-type': 'application/json', ...o.headers },
    ...(o.body === undefined ? {} : { body: o.body }), connections: o.connections,
    ...(o.amount === undefined ? { duration: o.durationS ?? 10 } : { amount: o.amount }),
    idReplacement: o.uniqueIds ?? false,
  });
  instance.on('response', (_c, status, _b, ms) => { if (status >= 200 && status < 300) latencies.push(ms); });
  const r = await instance;
  const t1 = cpuTicks(o.serverPid);
  latencies.sort((a, b) => a - b);
  const ok = r['2xx'];
  return { connections: o.connections, reqPerSec: ok / r.duration, p50: percentileSorted(latencies, 50), p99: percentileSorted(latencies, 99),
    failed: r.non2xx + r.errors + r.timeouts, serverCpuUs: ok === 0 ? NaN : (((t1 - t0) / HZ) * 1e6) / ok, ok };
}

// Receiver query: p50/p99 of GET /api/v1/metrics/repo/{org}/{repo}/{workflow}/{job} for a job with 10,000 runs in a
// store holding 1,000,000 runs, first page and a deep page (cursor at run 9,000), on SQLite and PostgreSQL. The
// database is built with bulk SQL through the stores' schema (lib/bulk.ts), then served by dist/receiver.js.
// Run alone: node bench/receiver-query.ts [--quick]
import { statSync, writeFileSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { encodeCursor } from '../src/receiver/http/query-options.ts';
import { benchArgs, machineLine, NODE, requireBuild, scratchDir } from './lib/env.ts';
import { Child, runCleanups } from './lib/children.ts';
import { freePort } from './lib/baselines.ts';
import { bulkPostgres, bulkSqlite } from './lib/bulk.ts';
import { load, type LoadResult } from './lib/load.ts';
import { adminQuery, postgresAvailable, READ_TOKEN, startReceiver, tempDatabase } from './lib/receiver.ts';
import { spread } from './lib/stats.ts';
import { pushBody, SCOPE } from './lib/summary.ts';
import { printTable, verdict, type Table } from './lib/table.ts';

const JOB_RUNS = 10_000;
const WARMUP = 50;
const FILLER = JSON.stringify({ complete: true, start_time: '2026-01-01T00:00:00.000Z', end_time: '2026-01-01T00:10:00.000Z',
  duration_seconds: 600, sample_count: 300, cpu_total_percent: { peak: 90, p99: 88, p95: 80, p75: 60, p50: 40, avg: 42 },
  mem_used_bytes: { peak: 9e9, p99: 8.9e9, p95: 8.5e9, p75: 8e9, p50: 7e9, avg: 7.1e9 }, containers: [], top_cpu_processes: [] });

/** The (received_at, id) of the job's `n`-th newest run (0-based), to build the deep page's cursor. */
type Nth = (n: number) => Promise<{ receivedAt: string; id: number }>;

export async function receiverQuery(quick: boolean): Promise<Table[]> {
  requireBuild();
  const scratch = scratchDir('query');
  const total = quick ? 100_000 : 1_000_000;
  const requests = quick ? 60 : 200;
  const payload = JSON.stringify(pushBody({ seriesPoints: 0 }).summary);
  const spec = { rows: total, every: total / JOB_RUNS, payload, filler: FILLER };
  const pg = await postgresAvailable();
  const stores: { name: string; db: string; build: () => Promise<void>; nth: Nth; size: () => Promise<number> }[] = [];
  const sqlitePath = `${scratch}/query.db`;
  stores.push({ name: 'SQLite', db: sqlitePath, build: () => bulkSqlite(sqlitePath, spec), size: async () => statSync(sqlitePath).size,
    nth: async (n) => {
      const db = new DatabaseSync(sqlitePath, { readOnly: true });
      try {
        const r = db.prepare(`SELECT received_at, id FROM runs WHERE organization = ? AND repository = ? AND workflow = ? AND job = ?
          ORDER BY received_at DESC, id DESC LIMIT 1 OFFSET ?`).get(SCOPE.organization, SCOPE.repository, SCOPE.workflow, SCOPE.job, n) as
          { received_at: string; id: number };
        return { receivedAt: r.received_at, id: r.id };
      } finally {
        db.close();
      }
    } });
  if (pg === true) {
    const url = await tempDatabase('query');
    const name = new URL(url).pathname.slice(1);
    stores.push({ name: 'PostgreSQL 15', db: url, build: () => bulkPostgres(url, spec),
      size: async () => Number(((await adminQuery(`SELECT pg_database_size('${name}') AS n`)).rows[0] as { n: string }).n),
      nth: async (n) => {
        const { default: pgm } = await import('pg');
        const c = new pgm.Client({ connectionString: url });
        await c.connect();
        try {
          const r = (await c.query(`SELECT received_at, id FROM runs WHERE organization = $1 AND repository = $2 AND workflow = $3 AND job = $4
            ORDER BY received_at DESC, id DESC LIMIT 1 OFFSET $5`, [SCOPE.organization, SCOPE.repository, SCOPE.workflow, SCOPE.job, n]))
            .rows[0] as { received_at: Date; id: string };
          return { receivedAt: r.received_at.toISOString(), id: Number(r.id) };
        } finally {
          await c.end();
        }
      } });
  }

  const rows: string[][] = [];
  const p99s: number[] = [];
  const p50s: number[] = [];
  let firstPage = Buffer.alloc(0);
  for (const s of stores) {
    const t0 = performance.now();
    await s.build();
    const buildS = (performance.now() - t0) / 1000;
    const size = await s.size();
    process.stderr.write(`receiver-query: ${s.name}: ${total} runs built in ${buildS.toFixed(0)} s, ${(size / 2 ** 20).toFixed(0)} MiB\n`);
    const server = await startReceiver(s.db, `${scratch}/receiver.log`);
    try {
      const base = `${server.url}/api/v1/metrics/repo/${SCOPE.organization}/${encodeURIComponent(SCOPE.repository)}/${SCOPE.workflow}/${SCOPE.job}`;
      const bare = `${server.url}/api/v1/metrics/repo/${SCOPE.organization}/${SCOPE.repository.split('/')[1]}/${SCOPE.workflow}/${SCOPE.job}`;
      const deep = encodeCursor(await s.nth(9_000 - 1));
      // [label, url, requests, whether the target is about it (the first and the deep page at the default limit)]
      const cases: [string, string, number, boolean][] = [
        ['first page, limit 100 (default)', base, requests, true],
        [`deep page (runs 9,001-9,100), limit 100`, `${base}?cursor=${deep}`, requests, true],
      ];
      if (!quick) {
        cases.push(['first page, limit 1000', `${base}?limit=1000`, 25, false], ['first page, bare repository name (2 names)', bare, requests, false]);
      }
      // A receiver that has served queries for a while: every kind of page WARMUP times first (JIT tiers, the heap
      // grown to hold 600 KiB answers), then each measured after its own 10 more.
      for (const [, url] of cases) {
        await load({ url, serverPid: server.child.pid, method: 'GET', connections: 1, amount: WARMUP, headers: { authorization: `Bearer ${READ_TOKEN}` } });
      }
      for (const [label, url, amount, targeted] of cases) {
        const check = await fetch(url, { headers: { authorization: `Bearer ${READ_TOKEN}` } });
        const body = await check.text();
        if (!check.ok) throw new Error(`${label}: HTTP ${check.status} ${body.slice(0, 200)}`);
        const n = (JSON.parse(body) as unknown[]).length;
        if (firstPage.length === 0) firstPage = Buffer.from(body);
        await load({ url, serverPid: server.child.pid, method: 'GET', connections: 1, amount: 10, headers: { authorization: `Bearer ${READ_TOKEN}` } });
        const r: LoadResult = await load({ url, serverPid: server.child.pid, method: 'GET', connections: 1, amount,
          headers: { authorization: `Bearer ${READ_TOKEN}` } });
        if (targeted) { p99s.push(r.p99); p50s.push(r.p50); }
        rows.push([s.name, label, `${n}`, String(amount), `${(body.length / 1024).toFixed(0)} KiB`, spread([r.p50], 2), spread([r.p99], 2),
          r.reqPerSec.toFixed(0), r.serverCpuUs.toFixed(0), String(r.failed)]);
      }
    } finally {
      await server.stop();
    }
  }
  // The floor: a bare node:http server answering every request with the first page's bytes from memory, measured
  // the same way: what moving that many bytes costs server, loopback and client on this machine, with no work at all.
  const floor = await bareServerFloor(scratch, firstPage, requests);
  rows.push(['baseline: bare node:http', 'the first page\'s bytes from memory', '-', String(requests), `${(firstPage.length / 1024).toFixed(0)} KiB`,
    spread([floor.p50], 2), spread([floor.p99], 2), floor.reqPerSec.toFixed(0), floor.serverCpuUs.toFixed(0), String(floor.failed)]);
  const ok = p99s.every((p) => p < 10);
  return [{
    title: `Receiver query: a job with ${JOB_RUNS.toLocaleString('en')} runs in a store of ${total.toLocaleString('en')} runs`,
    columns: ['store', 'request', 'runs returned', 'requests', 'response', 'p50 ms', 'p99 ms', 'requests/s', 'server CPU µs/request', 'errors'],
    rows,
    notes: [
      `${machineLine()}; sequential requests (1 connection; the receiver first served ${WARMUP} of every kind of page, then 10 more before each measurement), autocannon, exact float latencies; server CPU from its /proc/<pid>/stat.`,
      `Database: ${total.toLocaleString('en')} runs built with bulk SQL through the stores' schema (bench/lib/bulk.ts), one every 30 s; every ` +
        `${spec.every}th is the queried job's with the full ${(payload.length / 1024).toFixed(1)} KiB summary, the rest are spread over ` +
        `15,000 other jobs with a ${FILLER.length}-byte payload. PostgreSQL: VACUUM ANALYZE and CHECKPOINT after the load; SQLite: wal_checkpoint(TRUNCATE).`,
      `Baseline: a bare node:http server (no framework, no store) sending the first page's ${(firstPage.length / 1024).toFixed(0)} KiB from ` +
        `memory to the same client: the floor of moving that answer on this machine. p99 against it: ${p99s.map((p) => `${(p / floor.p99).toFixed(2)}x`).join(', ')} ` +
        `(first and deep page, per store); p50 against it: ${p50s.map((p) => `${(p / floor.p50).toFixed(2)}x`).join(', ')}.`,
      `Target p99 < 10 ms for the first and the deep page (limit 100) on both stores: ${verdict(ok)}${quick ? ' (quick mode: 100,000 runs, not 1,000,000)' : ''}.`,
      ...(pg === true ? [] : [`PostgreSQL rows skipped: ${pg}`]),
    ],
  }];
}

async function bareServerFloor(scratch: string, body: Buffer, requests: number): Promise<LoadResult> {
  const file = `${scratch}/first-page.json`;
  writeFileSync(file, body);
  const port = await freePort();
  const server = new Child(NODE, ['-e', `const body = require('fs').readFileSync(${JSON.stringify(file)});
    require('http').createServer((req, res) => { res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }); res.end(body); })
      .listen(${port}, '127.0.0.1', () => console.log('listening'));`]);
  try {
    await server.waitFor((line) => line === 'listening', 10_000, 'the bare server to listen');
    const url = `http://127.0.0.1:${port}/`;
    await load({ url, serverPid: server.pid, method: 'GET', connections: 1, amount: WARMUP + 10 });
    return await load({ url, serverPid: server.pid, method: 'GET', connections: 1, amount: requests });
  } finally {
    await server.stop();
  }
}

if (import.meta.main) {
  try {
    for (const t of await receiverQuery(benchArgs().quick)) printTable(t);
  } finally {
    await runCleanups();
  }
}

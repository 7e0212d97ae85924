// Receiver ingest: pushes per second and p50/p99 latency with autocannon at 1, 16 and 64 connections, on SQLite
// and on PostgreSQL, with the project's own summary (about 5.6 KB, a fresh execution_id per push, so each push is
// a new run), against the anchors' ceiling (bare node:http + one node:sqlite insert) at the receiver's durability
// setting (WAL, synchronous=FULL), in the same run. Run alone: node bench/receiver-ingest.ts [--quick]
// [--baseline-receiver OTHER/dist/receiver.js]: adds that build's receiver on SQLite (and PostgreSQL) as more targets, taking turns
// with the others, for a before/after in one run (the machine's load moves too much between runs).
import { anchorsDir, benchArgs, machineLine, requireBuild, scratchDir } from './lib/env.ts';
import { runCleanups } from './lib/children.ts';
import { load, type LoadResult } from './lib/load.ts';
import { postgresAvailable, pushToken, startCeiling, startReceiver, tempDatabase, type Server } from './lib/receiver.ts';
import { median, spread } from './lib/stats.ts';
import { templatedBody } from './lib/summary.ts';
import { printTable, verdict, type Table } from './lib/table.ts';

type Target = { readonly name: string; readonly start: () => Promise<{ server: Server; headers: Record<string, string> }> };

export async function receiverIngest(quick: boolean, baseline?: string): Promise<Table[]> {
  requireBuild();
  const anchors = anchorsDir();
  const scratch = scratchDir('ingest');
  const reps = quick ? 1 : 3, durationS = quick ? 2 : 6;
  const connections = [1, 16, 64];
  const pg = await postgresAvailable();
  let fresh = 0;
  const receiverTarget = (name: string, db: () => Promise<string>, bundle?: string): Target => ({
    name, start: async () => {
      const server = await startReceiver(await db(), `${scratch}/receiver.log`, [], bundle);
      return { server, headers: { authorization: `Bearer ${await pushToken(server.url)}` } };
    },
  });
  const targets: Target[] = [
    { name: 'ceiling: node:http + node:sqlite, WAL, synchronous=FULL', start: async () =>
      ({ server: await startCeiling(anchors, `${scratch}/ceiling.db`, 'FULL', `${scratch}/ceiling.log`), headers: {} }) },
    receiverTarget('receiver, SQLite (WAL, synchronous=FULL)', async () => `${scratch}/receiver-${++fresh}.db`),
    ...(pg === true ? [receiverTarget('receiver, PostgreSQL 15 (synchronous_commit=on)', () => tempDatabase('ingest'))] : []),
    ...(baseline === undefined ? [] : [receiverTarget(`baseline ${baseline}, SQLite`, async () => `${scratch}/baseline-${++fresh}.db`, baseline)]),
    ...(baseline === undefined || pg !== true ? [] : [receiverTarget(`baseline ${baseline}, PostgreSQL 15`, () => tempDatabase('ingest'), baseline)]),
  ];
  const bodies = [{ label: 'summary, series-points 0', body: templatedBody(0) }];
  if (!quick) bodies.push({ label: 'summary, series-points 300 (collector default)', body: templatedBody(300) });
  const results = new Map<string, LoadResult[]>();
  const key = (t: string, b: string, c: number) => `${t}|${b}|${c}`;

  for (let rep = 0; rep < reps; rep++) {
    // All targets run at once, fresh, and take turns at each connection count: drift on a shared machine hits
    // them alike. An idle server costs nothing measurable.
    const started: { t: Target; server: Server; headers: Record<string, string> }[] = [];
    try {
      for (const t of targets) started.push({ t, ...(await t.start()) });
      for (const { server, headers } of started) {
        await load({ url: `${server.url}/api/v1/metrics`, serverPid: server.child.pid, connections: 4, durationS: 1, body: bodies[0]!.body,
          headers, uniqueIds: true }); // warm-up
      }
      for (const [bi, b] of bodies.entries()) {
        for (const c of bi === 0 ? connections : [16]) {
          for (const { t, server, headers } of started) {
            process.stderr.write(`receiver-ingest: run ${rep + 1}/${reps}, ${t.name}, ${b.label}, ${c} connection(s)\n`);
            const r = await load({ url: `${server.url}/api/v1/metrics`, serverPid: server.child.pid, connections: c, durationS, body: b.body,
              headers, uniqueIds: true });
            results.set(key(t.name, b.label, c), [...(results.get(key(t.name, b.label, c)) ?? []), r]);
            await new Promise((res) => setTimeout(res, 300));
          }
        }
      }
    } finally {
      for (const { server } of started) await server.stop();
    }
  }

  const rows: string[][] = [];
  const verdicts: string[] = [];
  for (const [bi, b] of bodies.entries()) {
    for (const c of bi === 0 ? connections : [16]) {
      const ceiling = median((results.get(key(targets[0]!.name, b.label, c)) ?? []).map((r) => r.reqPerSec));
      for (const t of targets) {
        const rs = results.get(key(t.name, b.label, c)) ?? [];
        const rps = median(rs.map((r) => r.reqPerSec));
        rows.push([t.name, `${Buffer.byteLength(b.body)} B`, String(c), spread(rs.map((r) => r.reqPerSec), 0),
          `${((100 * rps) / ceiling).toFixed(0)}%`, spread(rs.map((r) => r.p50), 2), spread(rs.map((r) => r.p99), 2),
          spread(rs.map((r) => r.serverCpuUs), 0), String(rs.reduce((n, r) => n + r.failed, 0))]);
        if (t.name.startsWith('receiver, SQLite') && bi === 0) verdicts.push(`${c}: ${((100 * rps) / ceiling).toFixed(0)}%`);
      }
    }
  }
  const sqliteOk = verdicts.every((v) => Number(/(\d+)%/.exec(v)?.[1]) >= 50);
  return [{
    title: 'Receiver ingest: POST /api/v1/metrics',
    columns: ['server', 'body', 'connections', 'pushes/s', 'of ceiling', 'p50 ms', 'p99 ms', 'server CPU µs/push', 'non-2xx+errors'],
    rows,
    notes: [
      `${machineLine()}; median (min..max) of ${reps} run(s) of ${durationS} s per connection count; all targets started fresh ` +
        '(new database) per run, warmed up 1 s at 4 connections, then taking turns at each connection count; autocannon in the bench process on the same 2 vCPUs.',
      'Receiver: `node dist/receiver.js` with its defaults (log level info into a file, /metrics on), push token from POST /api/v1/token; ' +
        'every push has a new execution_id (a new row). Ceiling: anchors\' ingest-ceiling.mjs --synchronous FULL, the receiver\'s setting.',
      `Target SQLite >= 50% of the ceiling at the same durability (WAL, synchronous=FULL): ${verdict(sqliteOk)} (${verdicts.join(', ')} by connections).`,
      ...(pg === true ? [] : [`PostgreSQL rows skipped: ${pg}`]),
    ],
  }];
}

if (import.meta.main) {
  try {
    const at = process.argv.indexOf('--baseline-receiver');
    for (const t of await receiverIngest(benchArgs().quick, at < 0 ? undefined : process.argv[at + 1])) printTable(t);
  } finally {
    await runCleanups();
  }
}

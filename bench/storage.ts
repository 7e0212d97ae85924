// Storage per run: bytes on disk per stored run and how it grows with the number of runs, on SQLite (file size
// after a WAL checkpoint) and PostgreSQL (pg_total_relation_size of runs: table, TOAST and indexes). Rows go in
// through the stores' schema with the same INSERT as a push, in batches, with distinct realistic summaries.
// Run alone: node bench/storage.ts [--quick]
import { statSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import pg from 'pg';
import { PgStore } from '../src/receiver/store/postgres.ts';
import { SqliteStore } from '../src/receiver/store/sqlite.ts';
import { benchArgs, machineLine, scratchDir } from './lib/env.ts';
import { runCleanups } from './lib/children.ts';
import { postgresAvailable, tempDatabase } from './lib/receiver.ts';
import { pushBody } from './lib/summary.ts';
import { printTable, type Table } from './lib/table.ts';

const COLUMNS = 'organization, repository, workflow, job, run_id, execution_id, received_at, payload';
type Row = [string, string, string, string, string, string, string, string];

/** Run i: one of `distinct` summaries (different seeds), its own run and execution ids, 30 s after run i-1. */
function rowsFor(seriesPoints: number, distinct: number) {
  const bodies = Array.from({ length: distinct }, (_, k) => JSON.stringify(pushBody({ seriesPoints, seed: 100 + k }).summary));
  const t0 = Date.parse('2026-01-01T00:00:00Z');
  return { bodies, row: (i: number): Row => ['acme', `acme/repo-${i % 40}`, 'ci.yml', `job-${i % 7}`, String(9_000_000 + i),
    `exec-${i}-${(i * 2654435761) % 1e9}`, new Date(t0 + i * 30_000).toISOString(), bodies[i % distinct]!] };
}

type Store = { insert(rows: Row[]): Promise<void>; size(): Promise<{ total: number; detail: string }>; close(): Promise<void> };

async function sqliteStore(path: string): Promise<Store> {
  await new SqliteStore(path).close();
  const db = new DatabaseSync(path);
  db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF;'); // durability does not change the bytes stored
  const insert = db.prepare(`INSERT INTO runs (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
  return {
    insert: async (rows) => { db.exec('BEGIN'); for (const r of rows) insert.run(...r); db.exec('COMMIT'); },
    size: async () => {
      db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
      const pages = (db.prepare('PRAGMA page_count').get() as { page_count: number }).page_count;
      return { total: statSync(path).size, detail: `${pages} pages of 4 KiB` };
    },
    close: async () => db.close(),
  };
}

async function postgresStore(url: string): Promise<Store> {
  await (await PgStore.open({ url })).close();
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  return {
    insert: async (rows) => {
      const values = rows.map((_, r) => `(${Array.from({ length: 8 }, (_, k) => `$${r * 8 + k + 1}${k === 6 ? '::timestamptz' : k === 7 ? '::json' : ''}`).join(', ')})`);
      await c.query(`INSERT INTO runs (${COLUMNS}) VALUES ${values.join(', ')}`, rows.flat());
    },
    size: async () => {
      const r = (await c.query(`SELECT pg_total_relation_size('runs') AS total, pg_relation_size('runs') AS heap, pg_indexes_size('runs') AS idx,
        COALESCE((SELECT pg_total_relation_size(reltoastrelid) FROM pg_class WHERE relname = 'runs' AND reltoastrelid <> 0), 0) AS toast`)).rows[0] as
        Record<'total' | 'heap' | 'idx' | 'toast', string>;
      const mb = (s: string) => `${(Number(s) / 2 ** 20).toFixed(1)}`;
      return { total: Number(r.total), detail: `heap ${mb(r.heap)} + TOAST ${mb(r.toast)} + indexes ${mb(r.idx)} MiB` };
    },
    close: async () => { await c.end(); },
  };
}

export async function storage(quick: boolean): Promise<Table[]> {
  const scratch = scratchDir('storage');
  const pgOk = await postgresAvailable();
  const plans = [
    { label: 'series-points 0', seriesPoints: 0, checkpoints: quick ? [500, 2_000] : [1_000, 10_000, 40_000] },
    { label: 'series-points 300 (default)', seriesPoints: 300, checkpoints: quick ? [200] : [1_000, 5_000] },
  ];
  const rows: string[][] = [];
  for (const plan of plans) {
    const { bodies, row } = rowsFor(plan.seriesPoints, 16);
    const avgBody = bodies.reduce((n, b) => n + Buffer.byteLength(b), 0) / bodies.length;
    const kinds: [string, () => Promise<Store>][] = [['SQLite', () => sqliteStore(`${scratch}/storage-${plan.seriesPoints}.db`)]];
    if (pgOk === true) kinds.push(['PostgreSQL 15', async () => postgresStore(await tempDatabase('storage'))]);
    for (const [name, open] of kinds) {
      const store = await open();
      try {
        let done = 0, prev = { n: 0, bytes: 0 };
        for (const target of plan.checkpoints) {
          for (; done < target; done += 200) await store.insert(Array.from({ length: Math.min(200, target - done) }, (_, k) => row(done + k)));
          const size = await store.size();
          const marginal = (size.total - prev.bytes) / (target - prev.n);
          rows.push([name, plan.label, `${(avgBody / 1024).toFixed(1)} KiB`, target.toLocaleString('en'), (size.total / 2 ** 20).toFixed(1),
            (size.total / target).toFixed(0), prev.n === 0 ? '-' : marginal.toFixed(0), `${((size.total / target) / avgBody).toFixed(2)}x`, size.detail]);
          prev = { n: target, bytes: size.total };
        }
      } finally {
        await store.close();
      }
    }
  }
  return [{
    title: 'Storage per run',
    columns: ['store', 'summary', 'payload JSON', 'runs', 'MiB on disk', 'bytes/run', 'marginal bytes/run', 'of payload', 'detail'],
    rows,
    notes: [
      `${machineLine()}; one run. Rows inserted with the receiver's column set through the stores' schema, 200 a transaction, ` +
        '16 distinct summaries (different seeds) cycled, 40 repositories x 7 jobs, one run every 30 s.',
      'Marginal = bytes added per run since the previous row: growth is linear when it matches bytes/run. SQLite: the database file after ' +
        '`PRAGMA wal_checkpoint(TRUNCATE)`; PostgreSQL: pg_total_relation_size(\'runs\') (json since migration 4, TOAST compresses values over 2 KB).',
      ...(pgOk === true ? [] : [`PostgreSQL rows skipped: ${pgOk}`]),
    ],
  }];
}

if (import.meta.main) {
  try {
    for (const t of await storage(benchArgs().quick)) printTable(t);
  } finally {
    await runCleanups();
  }
}

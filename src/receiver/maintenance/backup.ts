// `receiver backup` (issue 12): a consistent copy of a live SQLite store. VACUUM INTO reads the database in one read
// transaction, so the copy is the database as of one instant, with every run committed (acknowledged) before it;
// in WAL mode a reader blocks no writer, so the receiver keeps taking pushes meanwhile. The page-by-page backup API
// restarts whenever another connection writes, which under steady pushes may never finish.
import { closeSync, existsSync, fsyncSync, openSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { UsageError } from '../../usage-error.ts';

export type BackupResult = { readonly runs: number; readonly bytes: number };

/** Copies `source` to `out` (which must not exist), checks the copy, and makes it durable before naming it `out`. */
export function backupSqlite(source: string, out: string): BackupResult {
  if (!existsSync(source)) throw new UsageError(`--db: ${JSON.stringify(source)} does not exist`);
  if (existsSync(out)) throw new UsageError(`--out: ${JSON.stringify(out)} exists; choose a new file`);
  const partial = `${out}.partial-${process.pid}`;
  rmSync(partial, { force: true });
  let runs: number;
  try {
    const db = new DatabaseSync(source); // read-write open: reading a WAL database needs its -shm; nothing is written
    try {
      db.exec('PRAGMA busy_timeout = 5000');
      db.prepare('VACUUM INTO ?').run(partial);
    } finally {
      db.close();
    }
    runs = checkCopy(partial);
    fsync(partial);
    renameSync(partial, out);
  } catch (err) {
    rmSync(partial, { force: true });
    throw err;
  }
  fsync(dirname(out)); // the new name survives a crash too
  return { runs, bytes: statSync(out).size };
}

/** PRAGMA integrity_check on the copy; its run count. */
function checkCopy(path: string): number {
  const copy = new DatabaseSync(path, { readOnly: true });
  try {
    const check = (copy.prepare('PRAGMA integrity_check').all() as { integrity_check: string }[]).map((r) => r.integrity_check);
    if (check.join() !== 'ok') throw new Error(`the copy failed its integrity check: ${check.slice(0, 5).join('; ')}`);
    return (copy.prepare('SELECT count(*) AS n FROM runs').get() as { n: number }).n;
  } finally {
    copy.close();
  }
}

function fsync(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

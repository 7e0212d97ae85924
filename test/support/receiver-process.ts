// bin/receiver as a child process, for tests that kill it, load it or feed it hostile bytes: a crash
// or a SIGKILL then shows as the process's exit, not as the test runner's. Also what such tests need
// around it: a --db for either store, and the stored rows read straight from the database.
import { spawn, type ChildProcess } from 'node:child_process';
import { DatabaseSync } from 'node:sqlite';
import type { TestContext } from 'node:test';
import type { StoreConfig } from '../../src/receiver/store/config.ts';
import { ROOT } from './programs.ts';
import { adminQuery, HMAC_KEY, READ_TOKEN } from './receiver.ts';

export type ReceiverProcess = {
  readonly child: ChildProcess;
  /** `http://127.0.0.1:<port>`, from the `receiver started` log line. */
  readonly url: string;
  readonly port: number;
  /** Resolves when the process has exited, with its exit code or the signal that ended it. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The last 64 KiB of its stderr (pino JSON lines), for assertion messages. */
  log(): string;
  /** SIGKILL, and wait until the process is gone. */
  kill(): Promise<void>;
};

const LOG_TAIL_CHARS = 64 * 1024;

/** The `--db` argument for a store config; a PostgreSQL schema travels as the URL's `options` (search_path). */
export function dbArgument(store: StoreConfig): string {
  if (store.kind === 'sqlite') return store.path;
  const url = new URL(store.url);
  if (store.schema !== undefined) url.searchParams.set('options', `-c search_path=${store.schema}`);
  return url.toString();
}

/**
 * Starts bin/receiver on 127.0.0.1, port 0, and resolves once it logs `receiver started`. The process is
 * SIGKILLed when the test ends if it is still running.
 */
export async function startReceiverProcess(t: TestContext, store: StoreConfig, logLevel = 'info'): Promise<ReceiverProcess> {
  const started = spawnReceiver(store, logLevel);
  t.after(() => started.kill());
  const port = await started.port;
  return { ...started, port, url: `http://127.0.0.1:${port}` };
}

/** The process without waiting for it to listen: for a kill during start. Callers must kill it. */
export function spawnReceiver(store: StoreConfig, logLevel = 'info') {
  const child = spawn(`${ROOT}bin/receiver`, ['--addr', '127.0.0.1:0', '--db', dbArgument(store), '--log-level', logLevel],
    { env: { ...process.env, RECEIVER_READ_TOKEN: READ_TOKEN, RECEIVER_HMAC_KEY: HMAC_KEY }, stdio: ['ignore', 'ignore', 'pipe'] });
  let tail = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })));
  const port = new Promise<number>((resolve, reject) => {
    let found = false;
    child.stderr?.on('data', (d: Buffer) => {
      tail = (tail + d.toString()).slice(-LOG_TAIL_CHARS);
      const m = found ? null : /"msg":"receiver started".*"port":(\d+)|"port":(\d+).*"msg":"receiver started"/.exec(tail);
      if (m) { found = true; resolve(Number(m[1] ?? m[2])); }
    });
    void exited.then(({ code, signal }) => reject(new Error(`receiver exited before listening (${code ?? signal}): ${tail}`)));
  });
  port.catch(() => {}); // a kill during start is what some tests want; awaiting callers still see the rejection
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  return { child, port, exited, log: () => tail, kill };
}

/** One stored row as the reliability tests check it. */
export type StoredRow = { readonly id: number; readonly executionId: string | null; readonly runId: string; readonly payload: string };

/** Every row of `runs`, read from the database itself (not through the receiver under test). */
export async function storedRows(store: StoreConfig): Promise<StoredRow[]> {
  if (store.kind === 'sqlite') {
    const db = new DatabaseSync(store.path, { readOnly: true });
    try {
      return (db.prepare('SELECT id, execution_id, run_id, payload FROM runs ORDER BY id').all() as
        { id: number; execution_id: string | null; run_id: string; payload: string }[])
        .map((r) => ({ id: r.id, executionId: r.execution_id, runId: r.run_id, payload: r.payload }));
    } finally {
      db.close();
    }
  }
  if (store.schema === undefined) throw new Error('storedRows: a PostgreSQL test store needs its own schema');
  const rows = await adminQuery<{ id: string; execution_id: string | null; run_id: string; payload: string }>(
    `SELECT id, execution_id, run_id, payload::text AS payload FROM ${store.schema}.runs ORDER BY id`);
  return rows.map((r) => ({ id: Number(r.id), executionId: r.execution_id, runId: r.run_id, payload: r.payload }));
}

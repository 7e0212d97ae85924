// Checkpoints the SQLite WAL from a worker thread with a connection of its own. SQLite's automatic checkpoint runs
// inside the commit that crosses its threshold, on the event loop: copying ~1,000 pages into the database file and
// fsyncing it cost every push ~150 µs on average (6 KB summaries, synchronous=FULL), and the push that triggered it
// milliseconds. Durability does not change: a commit is durable once its WAL frames are fsynced, checkpoint or not.
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';

/** Rows written between checkpoints: a 6 KB summary adds ~14 WAL pages, so about SQLite's default of 1,000 pages. */
const CHECKPOINT_EVERY_ROWS = 64;
/**
 * The writer's own automatic checkpoint, kept as the backstop (pages): under steady load a PASSIVE checkpoint never
 * sees the WAL quiet, so the writer's checkpoint (by then almost nothing left to copy) is what lets the WAL restart.
 */
export const BACKSTOP_AUTOCHECKPOINT_PAGES = 4_000;

// CommonJS, run by `eval`: the worker has no file of its own in the bundle.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { DatabaseSync } = require('node:sqlite');
const db = new DatabaseSync(workerData.path);
db.exec('PRAGMA busy_timeout = 0');
parentPort.on('message', (m) => {
  if (m === 'close') { db.close(); parentPort.close(); return; }
  try { db.exec('PRAGMA wal_checkpoint(PASSIVE)'); } catch { /* busy: the next one, or the writer's backstop, catches up */ }
  parentPort.postMessage('done');
});`;

/** One per SqliteStore on a file; started at the first checkpoint, so that short-lived stores never start a thread. */
export class Checkpointer {
  readonly #path: string;
  #worker: Worker | undefined;
  #failed = false;
  #running = false;
  #rows = 0;

  constructor(path: string) {
    this.#path = path;
  }

  /** After a commit of `rows` rows: asks for a checkpoint every CHECKPOINT_EVERY_ROWS, one at a time. */
  written(rows: number): void {
    this.#rows += rows;
    if (this.#rows < CHECKPOINT_EVERY_ROWS || this.#running || this.#failed) return;
    this.#rows = 0;
    this.#running = true;
    this.#start().postMessage('checkpoint');
  }

  async close(): Promise<void> {
    const worker = this.#worker;
    this.#worker = undefined;
    if (worker === undefined || this.#failed) return;
    const exited = once(worker, 'exit');
    worker.ref(); // else a process with nothing else to do would exit before this resolves
    worker.postMessage('close');
    await exited;
  }

  #start(): Worker {
    if (this.#worker !== undefined) return this.#worker;
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { path: this.#path } });
    worker.unref(); // a pending checkpoint must not keep the process alive
    worker.on('message', () => { this.#running = false; });
    // The writer's backstop checkpoint keeps the WAL bounded without the worker.
    worker.on('error', () => { this.#failed = true; });
    this.#worker = worker;
    return worker;
  }
}

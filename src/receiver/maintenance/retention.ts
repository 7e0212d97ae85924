// Retention (issue 12): with --retention, a timer deletes the runs received longer ago than that, in batches, off
// the request path. Between batches it yields to the event loop, so pushes and queries interleave with a long pass
// (node:sqlite blocks while a statement runs: a batch is one short statement, never the whole pass).
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Logger } from 'pino';
import { parseDurationMs } from '../../collector/duration.ts';
import type { Store } from '../store/types.ts';

/**
 * Runs deleted per statement. SQLite blocks the event loop for each (it frees the payloads' overflow pages and
 * fsyncs): on 20,000 runs of 45 KB, half of them old, a batch of 200 took 34-49 ms (median of a pass; single batches
 * up to 0.6 s while the disk was busy) on a 2-core machine at load 7, and the pass's last, short batch 1.3 ms.
 */
export const PRUNE_BATCH = 200;
/** Time between passes (ms); runs are kept at most this much longer than the retention. */
export const PRUNE_INTERVAL_MS = 10 * 60_000;
const DAY_MS = 86_400_000;

/**
 * `30d` (whole days) or a Go duration (`720h`, `90m`), as milliseconds; undefined when it is neither or not positive.
 * Days are the unit a retention is thought in; Go durations stop at hours, like the collector's flags.
 */
export function parseRetentionMs(text: string): number | undefined {
  const days = /^([1-9][0-9]{0,5})d$/.exec(text);
  const ms = days !== null ? Number(days[1]) * DAY_MS : parseDurationMs(text);
  return ms !== undefined && ms >= 1 ? ms : undefined;
}

export type PrunerOptions = {
  readonly retentionMs: number;
  /** The clock runs are aged by; the receiver's received_at clock. */
  readonly now: () => Date;
  readonly log: Logger;
  /** Called after each batch with the runs it deleted, and after each finished pass (for metrics). */
  readonly onBatch?: ((deleted: number) => void) | undefined;
  readonly onPass?: ((at: Date) => void) | undefined;
  /** @default PRUNE_INTERVAL_MS */
  readonly intervalMs?: number | undefined;
  /** @default PRUNE_BATCH */
  readonly batchSize?: number | undefined;
};

/** Owns the timer and the pass in progress; close() stops it and waits for the current batch. */
export class Pruner {
  readonly #store: Store;
  readonly #options: PrunerOptions;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<number> | undefined;
  #closed = false;

  constructor(store: Store, options: PrunerOptions) {
    this.#store = store;
    this.#options = options;
  }

  /** The first pass at once, then one every interval. */
  start(): void {
    this.#schedule(0);
  }

  /**
   * Deletes every run received before now − retention, batch by batch; resolves to how many. A pass already
   * running is joined, not doubled. Store failures are logged and end the pass; the next one retries.
   */
  pass(): Promise<number> {
    this.#running ??= this.#pass().finally(() => { this.#running = undefined; });
    return this.#running;
  }

  /** Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    await this.#running?.catch(() => undefined);
  }

  #schedule(delayMs: number): void {
    if (this.#closed) return;
    this.#timer = setTimeout(() => {
      void this.pass().then(() => this.#schedule(this.#options.intervalMs ?? PRUNE_INTERVAL_MS));
    }, delayMs);
    this.#timer.unref();
  }

  async #pass(): Promise<number> {
    const { retentionMs, now, log, batchSize = PRUNE_BATCH } = this.#options;
    const started = performance.now();
    const before = new Date(now().getTime() - retentionMs).toISOString();
    let pruned = 0;
    try {
      for (;;) {
        const deleted = await this.#store.pruneRuns(before, batchSize);
        pruned += deleted;
        if (deleted > 0) this.#options.onBatch?.(deleted);
        if (deleted < batchSize || this.#closed) break;
        await yieldToEventLoop(); // let requests queued behind this batch run before the next one
      }
    } catch (err) {
      log.warn({ err, pruned, before }, 'retention pass failed');
      return pruned;
    }
    this.#options.onPass?.(now());
    log.info({ pruned, before, durationMs: Math.round(performance.now() - started) }, 'retention pass');
    return pruned;
  }
}

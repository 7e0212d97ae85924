// Getting summaries to the receiver without losing one: the final push with retries, the spool when every
// attempt fails, checkpoints while the job runs, and delivery of what earlier runs spooled.
import { fs } from '../node-builtins.ts';
import { basename, join } from 'node:path';
import type { Log as Logger } from '../observability/light-log.ts';
import type { CollectorMetrics } from '../observability/collector-metrics.ts';
import type { PushBody } from '../summary/types.ts';
import { pushSummary, PushError } from './push.ts';
import { Spool } from './spool.ts';

export type DeliveryOptions = {
  readonly endpoint: URL;
  readonly token: string;
  readonly timeoutMs: number;
  readonly spoolDir: string;
  readonly log: Logger;
  readonly metrics?: CollectorMetrics | undefined;
  readonly fetch?: typeof fetch;
};

export type Outcome = 'pushed' | 'spooled' | 'rejected';

/** A status that will not change on a retry: spooling such a summary would only fail again later. */
const isFinalRejection = (err: PushError) => err.status !== undefined && err.status >= 400 && err.status < 500 && err.status !== 408 && err.status !== 429;

export class Delivery {
  readonly #o: DeliveryOptions;
  readonly #spool: Spool;
  readonly #log: Logger;
  #checkpoint: Promise<void> | undefined;

  constructor(options: DeliveryOptions) {
    this.#o = options;
    this.#spool = new Spool(options.spoolDir);
    this.#log = options.log.child({ component: 'push' });
  }

  /**
   * The final push: retried within the timeout; when it fails for good (or `signal` aborts it: a second
   * SIGTERM), the summary goes to the spool. A checkpoint still in flight is waited for first, so that it
   * cannot land after the final summary and replace it.
   */
  async deliverFinal(body: PushBody, timeoutMs: number = this.#o.timeoutMs, signal?: AbortSignal): Promise<Outcome> {
    const started = performance.now();
    if (this.#checkpoint !== undefined) await Promise.race([this.#checkpoint, aborted(signal)]);
    const left = Math.max(1, timeoutMs - (performance.now() - started));
    try {
      const r = await this.#push(body, left, signal);
      this.#o.metrics?.observePush('success', (performance.now() - started) / 1000);
      this.#log.info({ status: r.status, attempts: r.attempts, executionId: body.execution_id }, 'summary pushed');
      return 'pushed';
    } catch (err) {
      if (!(err instanceof PushError)) throw err;
      this.#o.metrics?.observePush('error', (performance.now() - started) / 1000);
      if (isFinalRejection(err)) {
        this.#log.error({ status: err.status, attempts: err.attempts, reason: err.message }, 'push rejected; the summary is not spooled');
        return 'rejected';
      }
      const path = this.#spool.write(this.#o.endpoint, this.#o.token, body);
      this.#log.error({ status: err.status, attempts: err.attempts, reason: err.message, spooled: path }, 'push failed; summary spooled');
      return 'spooled';
    }
  }

  /** Pushes the summary so far, once, within `timeoutMs`; skipped while the previous one is in flight. */
  checkpoint(body: PushBody, timeoutMs: number): void {
    if (this.#checkpoint !== undefined) return;
    this.#checkpoint = this.#push(body, timeoutMs).then(
      (r) => { this.#log.debug({ status: r.status, attempts: r.attempts }, 'checkpoint pushed'); },
      (err: unknown) => { this.#log.warn({ err }, 'checkpoint push failed'); },
    ).finally(() => { this.#checkpoint = undefined; });
  }

  /**
   * Sends what earlier runs spooled, oldest first, each to the endpoint and with the token it was spooled
   * with; deletes each only after a 2xx. A file the receiver refuses for good moves to `rejected/`.
   * Returns how many are left.
   */
  async flushSpool(timeoutMs: number): Promise<number> {
    const { entries, unreadable } = this.#spool.list();
    for (const path of unreadable) this.#log.warn({ path }, 'spooled file cannot be read; left in place');
    const deadline = performance.now() + timeoutMs;
    let left = entries.length + unreadable.length;
    for (const { path, spooled } of entries) {
      const budget = deadline - performance.now();
      if (budget <= 0) break;
      try {
        const r = await pushSummary(spooled.body, { endpoint: new URL(spooled.endpoint), token: spooled.token, timeoutMs: budget,
          log: this.#log, fetch: this.#o.fetch });
        this.#spool.remove(path);
        left--;
        this.#log.info({ path, status: r.status, executionId: spooled.body.execution_id }, 'spooled summary delivered');
      } catch (err) {
        if (!(err instanceof PushError)) throw err;
        if (isFinalRejection(err)) {
          const rejected = join(this.#spool.dir, 'rejected');
          fs.mkdirSync(rejected, { recursive: true });
          fs.renameSync(path, join(rejected, basename(path)));
          left--;
          this.#log.error({ path, status: err.status, reason: err.message }, 'spooled summary rejected; moved to rejected/');
        } else {
          this.#log.warn({ path, status: err.status, reason: err.message }, 'spooled summary not delivered; kept');
        }
      }
    }
    return left;
  }

  #push(body: PushBody, timeoutMs: number, signal?: AbortSignal) {
    return pushSummary(body, { endpoint: this.#o.endpoint, token: this.#o.token, timeoutMs, log: this.#log, signal,
      fetch: this.#o.fetch, onRetry: () => this.#o.metrics?.observePush('retry') });
  }
}

/** Settles when `signal` aborts; never, without one. */
const aborted = (signal: AbortSignal | undefined) =>
  new Promise<void>((resolve) => signal?.addEventListener('abort', () => resolve(), { once: true }));

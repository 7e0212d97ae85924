// Sends the summary to the receiver: POST with the push token, retried with exponential backoff and jitter on
// connection errors, timeouts, 429 and 5xx (honouring Retry-After), never on other 4xx. Every attempt carries
// the same body, so the same execution_id: the receiver keeps one row however many attempts land.
import type { Log as Logger } from '../observability/light-log.ts';
import type { PushBody } from '../summary/types.ts';
import { httpPost, type Post } from './http-post.ts';

export class PushError extends Error {
  override name = 'PushError';
  /** The last HTTP status, or undefined when no response came back. */
  readonly status: number | undefined;
  readonly attempts: number;
  constructor(message: string, status: number | undefined, attempts: number) {
    super(message);
    this.status = status;
    this.attempts = attempts;
  }
}

export type PushOptions = {
  readonly endpoint: URL;
  readonly token: string;
  /** All attempts together end within this time. */
  readonly timeoutMs: number;
  readonly log: Logger;
  /**
   * One attempt's limit: a connection that stalls must not eat the whole budget.
   * @default a quarter of timeoutMs (5 s of the default 20 s)
   */
  readonly attemptTimeoutMs?: number;
  /** Delay before the second attempt; doubles each time, with full jitter. */
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  /**
   * Makes one attempt, with fetch's contract (tests script one; a fetch works too).
   * @default httpPost: node:http or node:https, no redirects followed
   */
  readonly fetch?: Post;
  /** Called before each retry, for metrics. */
  readonly onRetry?: () => void;
  /** The jitter's source, 0..1; tests fix it. */
  readonly random?: () => number;
  /** Aborts waiting and in-flight attempts, e.g. on a second SIGTERM. */
  readonly signal?: AbortSignal;
};

export type PushResult = { readonly status: number; readonly attempts: number };

const RETRYABLE = (status: number) => status === 429 || status === 408 || status >= 500;

export async function pushSummary(body: PushBody, o: PushOptions): Promise<PushResult> {
  const post = o.fetch ?? httpPost;
  const deadline = performance.now() + o.timeoutMs;
  const base = o.baseDelayMs ?? 250, cap = o.maxDelayMs ?? 5_000;
  const payload = JSON.stringify(body);
  let lastStatus: number | undefined, lastReason = 'no attempt';
  let attempts = 0;
  for (let attempt = 1; ; attempt++) {
    const left = deadline - performance.now();
    if (left <= 0) break;
    attempts = attempt;
    let retryAfterMs: number | undefined;
    try {
      const attemptMs = Math.min(left, o.attemptTimeoutMs ?? Math.max(250, o.timeoutMs / 4));
      const signals = [AbortSignal.timeout(Math.ceil(attemptMs)), ...(o.signal ? [o.signal] : [])];
      const res = await post(o.endpoint, {
        method: 'POST', body: payload, signal: AbortSignal.any(signals),
        headers: { 'content-type': 'application/json', authorization: `Bearer ${o.token}` },
      });
      const text = await res.text().catch(() => '');
      if (res.ok) return { status: res.status, attempts: attempt };
      lastStatus = res.status;
      lastReason = reasonOf(text) ?? res.statusText;
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location !== null) lastReason += ` (redirected to ${location}; set --push-endpoint to it)`;
      if (!RETRYABLE(res.status)) throw new PushError(`push rejected: ${res.status} ${lastReason}`, res.status, attempt);
      retryAfterMs = parseRetryAfter(res.headers.get('retry-after'));
    } catch (err) {
      if (err instanceof PushError) throw err;
      if (!isTransportError(err)) throw err; // a bug, not the network: retrying would hide it
      if (o.signal?.aborted) throw new PushError('push aborted', lastStatus, attempt);
      lastStatus = undefined;
      lastReason = causeOf(err);
    }
    const delay = Math.min(cap, retryAfterMs ?? (o.random ?? Math.random)() * base * 2 ** (attempt - 1));
    if (performance.now() + delay >= deadline) {
      o.log.warn({ attempt, status: lastStatus, reason: lastReason }, 'push failed, no time left to retry');
      throw new PushError(`push failed after ${attempt} attempts: ${lastStatus ?? 'no response'} ${lastReason}`, lastStatus, attempt);
    }
    o.log.warn({ attempt, status: lastStatus, reason: lastReason, retryInMs: Math.round(delay) }, 'push failed, retrying');
    o.onRetry?.();
    await sleep(delay, o.signal);
  }
  throw new PushError(`push timed out: ${lastStatus ?? 'no response'} ${lastReason}`, lastStatus, attempts);
}

/** The receiver answers {"error": "..."}; anything else is cut short so a proxy's HTML page stays out of logs. */
function reasonOf(text: string): string | undefined {
  try {
    const json = JSON.parse(text) as { error?: unknown };
    if (typeof json.error === 'string') return json.error.slice(0, 200);
  } catch { /* not JSON */ }
  return text === '' ? undefined : text.slice(0, 120);
}

/** fetch and httpPost reject with TypeError("fetch failed", {cause}) for network errors, and with the signal's reason on abort. */
const isTransportError = (err: unknown) =>
  err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError' || (err instanceof TypeError && 'cause' in err));

function causeOf(err: unknown): string {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return 'timeout';
  return e.cause?.code ?? e.cause?.message ?? e.message;
}

/** Retry-After in seconds or as an HTTP date. */
export function parseRetryAfter(value: string | null): number | undefined {
  if (value === null) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
  });

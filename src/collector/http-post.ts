// One HTTP POST over node:http or node:https, with the part of fetch's contract that push.ts relies on. fetch
// would load undici, about 18 MiB of resident memory for a program whose budget is 50 MB (docs/benchmarks.md);
// the http modules are loaded only when a push is made, through require (src/node-builtins.ts says why).
import type { IncomingMessage } from 'node:http';
import { nodeHttp, nodeHttps } from '../node-builtins.ts';

export type PostInit = {
  readonly method: 'POST';
  readonly body: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly signal: AbortSignal;
};

export type PostResponse = {
  readonly ok: boolean;
  readonly status: number;
  readonly statusText: string;
  readonly headers: { get(name: string): string | null };
  text(): Promise<string>;
};

/** What push.ts calls: this module's httpPost, or a fetch (tests script one). */
export type Post = (url: URL, init: PostInit) => Promise<PostResponse>;

/** The body of an answer is read up to this much: push only logs its first 200 characters. */
const MAX_BODY = 64 * 1024;

/**
 * As fetch does: resolves with the status once the headers arrive, rejects with `signal.reason` when the signal
 * aborts (a TimeoutError from AbortSignal.timeout, an AbortError from abort()) and with a TypeError whose `cause`
 * is the socket's error when the connection fails. Unlike fetch it follows no redirect: a 3xx is the answer, so the
 * bearer token never goes to another address. One connection per call (no agent): a retry never reuses a socket
 * the previous attempt saw fail.
 */
export async function httpPost(url: URL, init: PostInit): Promise<PostResponse> {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError(`push endpoint: ${url.protocol} is not http: or https:`);
  const { request } = url.protocol === 'https:' ? nodeHttps() : nodeHttp();
  const signal = init.signal;
  signal.throwIfAborted();
  return new Promise<PostResponse>((resolve, reject) => {
    const body = Buffer.from(init.body);
    const req = request(url, { method: init.method, agent: false,
      headers: { ...init.headers, 'content-length': String(body.length) } });
    const onAbort = () => req.destroy(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    const fail = (err: Error) => {
      signal.removeEventListener('abort', onAbort);
      reject(signal.aborted ? (signal.reason as Error) : new TypeError('fetch failed', { cause: err }));
    };
    req.once('error', fail);
    req.once('response', (res: IncomingMessage) => {
      req.off('error', fail);
      resolve(responseOf(res, signal, () => signal.removeEventListener('abort', onAbort)));
    });
    req.end(body);
  });
}

function responseOf(res: IncomingMessage, signal: AbortSignal, done: () => void): PostResponse {
  const status = res.statusCode ?? 0;
  // The body is read at once (so the socket is released whether or not text() is called), up to MAX_BODY.
  const text = new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (chunk: Buffer) => {
      if (size < MAX_BODY) chunks.push(chunk);
      size += chunk.length;
    });
    res.once('end', () => { done(); resolve(Buffer.concat(chunks).toString('utf8', 0, Math.min(size, MAX_BODY))); });
    const cut = (err: Error) => { done(); reject(signal.aborted ? (signal.reason as Error) : new TypeError('fetch failed', { cause: err })); };
    res.once('error', cut);
    res.once('close', () => { if (!res.complete) cut(new Error('connection closed before the end of the answer')); });
  });
  text.catch(() => { /* read by text(), or not at all */ });
  return {
    ok: status >= 200 && status < 300,
    status,
    statusText: res.statusMessage ?? '',
    headers: { get: (name) => headerValue(res.headers[name.toLowerCase()]) },
    text: () => text,
  };
}

const headerValue = (v: string | string[] | undefined): string | null =>
  v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;

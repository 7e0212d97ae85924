import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { pushSummary, parseRetryAfter, PushError } from './push.ts';
import type { PushBody } from '../summary/types.ts';

const body = { organization: 'o', repository: 'o/r', workflow: 'w', job: 'j', run_id: '1', execution_id: 'e', summary: {} } as unknown as PushBody;
const log = pino({ level: 'silent' });
const endpoint = new URL('http://receiver.invalid/api/v1/metrics');

/** A fetch that answers from a script: a status, or an Error to throw (a refused connection). */
function scripted(...answers: (number | Error | [number, Record<string, string>])[]) {
  const calls: RequestInit[] = [];
  const f = (async (_url: URL, init: RequestInit) => {
    calls.push(init);
    const a = answers.shift() ?? 500;
    if (a instanceof Error) throw a;
    const [status, headers] = Array.isArray(a) ? a : [a, {}];
    return new Response(status === 401 ? '{"error":"invalid token"}' : '', { status, headers });
  }) as unknown as typeof fetch;
  return { f, calls };
}
const refused = () => Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } });

describe('pushSummary', () => {
  test('sends the body as JSON with the bearer token', async () => {
    const { f, calls } = scripted(201);
    const r = await pushSummary(body, { endpoint, token: 'tok', timeoutMs: 1000, log, fetch: f });
    assert.deepEqual(r, { status: 201, attempts: 1 });
    assert.equal((calls[0]!.headers as Record<string, string>).authorization, 'Bearer tok');
    assert.deepEqual(JSON.parse(calls[0]!.body as string), body);
  });

  test('retries connection errors, 429 and 5xx with the same body, then succeeds', async () => {
    const { f, calls } = scripted(refused(), 503, [429, { 'retry-after': '0' }], 201);
    const r = await pushSummary(body, { endpoint, token: 't', timeoutMs: 5000, log, fetch: f, baseDelayMs: 1 });
    assert.equal(r.attempts, 4);
    assert.equal(new Set(calls.map((c) => c.body)).size, 1);
  });

  test('does not retry a 4xx other than 408 and 429, and names the status and reason', async () => {
    const { f, calls } = scripted(401);
    await assert.rejects(pushSummary(body, { endpoint, token: 't', timeoutMs: 1000, log, fetch: f }),
      (err: PushError) => err instanceof PushError && err.status === 401 && /401 invalid token/.test(err.message));
    assert.equal(calls.length, 1);
  });

  test('gives up when the attempts no longer fit in the timeout', async () => {
    const { f, calls } = scripted(503, 503, 503, 503, 503, 503, 503, 503);
    const started = performance.now();
    // Jitter fixed at its top: attempts at 0, 100 and 200 ms; a fourth at 300 ms would end past the deadline.
    await assert.rejects(pushSummary(body, { endpoint, token: 't', timeoutMs: 300, log, fetch: f, baseDelayMs: 100, maxDelayMs: 100, random: () => 1 }),
      (err: PushError) => err.status === 503 && err.attempts === calls.length);
    // A loaded machine may delay timers and so fit fewer attempts, never more, and none after the deadline.
    assert.ok(calls.length >= 1 && calls.length <= 3, `${calls.length} attempts`);
    assert.ok(performance.now() - started < 300 + 100);
  });

  test('a bug is not retried as if it were the network', async () => {
    const f = (() => { throw new RangeError('bug'); }) as unknown as typeof fetch;
    await assert.rejects(pushSummary(body, { endpoint, token: 't', timeoutMs: 1000, log, fetch: f }), RangeError);
  });
});

test('parseRetryAfter: seconds and HTTP dates', () => {
  assert.equal(parseRetryAfter('3'), 3000);
  assert.equal(parseRetryAfter(null), undefined);
  assert.equal(parseRetryAfter('soon'), undefined);
  const inTwo = new Date(Date.now() + 2000).toUTCString();
  assert.ok(parseRetryAfter(inTwo)! <= 2000);
});

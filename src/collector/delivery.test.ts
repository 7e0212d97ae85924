import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { pino } from 'pino';
import { Delivery } from './delivery.ts';
import { Spool } from './spool.ts';
import type { PushBody } from '../summary/types.ts';

const log = pino({ level: 'silent' });
const endpoint = new URL('http://receiver.invalid/api/v1/metrics');
const body = (executionId: string) =>
  ({ organization: 'o', repository: 'o/r', workflow: 'w', job: 'j', run_id: '1', execution_id: executionId, summary: { complete: true } }) as unknown as PushBody;

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(`${tmpdir()}/rrc-spool-`);
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return `${dir}/spool`;
}

/** A fetch answering from a list of statuses (an Error = a refused connection); records what it was sent. */
function scripted(...answers: (number | Error)[]) {
  const sent: { url: string; auth: string; body: PushBody }[] = [];
  const f = (async (url: URL, init: RequestInit) => {
    sent.push({ url: url.href, auth: (init.headers as Record<string, string>).authorization!, body: JSON.parse(init.body as string) as PushBody });
    const a = answers.shift() ?? 500;
    if (a instanceof Error) throw a;
    return new Response('{}', { status: a });
  }) as unknown as typeof fetch;
  return { f, sent };
}
const refused = () => Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } });

describe('Spool', () => {
  test('writes atomically, readable only by its owner, one file per execution', (t) => {
    const spool = new Spool(tempDir(t));
    const path = spool.write(endpoint, 'tok', body('e-1'));
    spool.write(endpoint, 'tok', body('e-1'));
    assert.equal(statSync(path).mode & 0o777, 0o600);
    const { entries } = spool.list();
    assert.equal(entries.length, 1);
    assert.deepEqual([entries[0]!.spooled.endpoint, entries[0]!.spooled.token, entries[0]!.spooled.body.execution_id], [endpoint.href, 'tok', 'e-1']);
    assert.deepEqual(readdirSync(spool.dir).filter((n) => n.endsWith('.tmp')), []);
  });

  test('a half-written temp file or a corrupt file is never taken for a summary', (t) => {
    const spool = new Spool(tempDir(t));
    spool.write(endpoint, 'tok', body('ok'));
    writeFileSync(`${spool.dir}/.x.summary.json.123.tmp`, '{"trunc');
    writeFileSync(`${spool.dir}/bad.summary.json`, '{"trunc');
    const { entries, unreadable } = spool.list();
    assert.deepEqual(entries.map((e) => e.spooled.body.execution_id), ['ok']);
    assert.deepEqual(unreadable, [`${spool.dir}/bad.summary.json`]);
  });

  test('a missing directory is an empty spool', (t) => assert.deepEqual(new Spool(tempDir(t)).list(), { entries: [], unreadable: [] }));
});

describe('Delivery', () => {
  test('a final push that keeps failing is spooled with its endpoint and token', async (t) => {
    const dir = tempDir(t);
    const { f } = scripted(refused(), 503, 503, 503, 503, 503, 503);
    const d = new Delivery({ endpoint, token: 'tok', timeoutMs: 200, spoolDir: dir, log, fetch: f });
    assert.equal(await d.deliverFinal(body('e-1')), 'spooled');
    assert.deepEqual(new Spool(dir).list().entries.map((e) => e.spooled.body.execution_id), ['e-1']);
  });

  test('a summary the receiver refuses for good (401) is not spooled', async (t) => {
    const dir = tempDir(t);
    const d = new Delivery({ endpoint, token: 'tok', timeoutMs: 1000, spoolDir: dir, log, fetch: scripted(401).f });
    assert.equal(await d.deliverFinal(body('e-1')), 'rejected');
    assert.equal(existsSync(dir), false);
  });

  test('an aborted final push (a second SIGTERM) is spooled at once', async (t) => {
    const dir = tempDir(t);
    const stall = (async (_u: URL, init: RequestInit) => new Promise((_r, reject) =>
      init.signal!.addEventListener('abort', () => reject(init.signal!.reason as Error)))) as unknown as typeof fetch;
    const d = new Delivery({ endpoint, token: 'tok', timeoutMs: 10_000, spoolDir: dir, log, fetch: stall });
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 50);
    const started = performance.now();
    assert.equal(await d.deliverFinal(body('e-1'), 10_000, abort.signal), 'spooled');
    assert.ok(performance.now() - started < 2000);
  });

  test('flushSpool sends each spooled summary with its own endpoint and token, deleting it only after a 2xx', async (t) => {
    const dir = tempDir(t);
    const spool = new Spool(dir);
    spool.write(new URL('http://a.invalid/api/v1/metrics'), 'tok-a', body('old-a'));
    spool.write(new URL('http://b.invalid/api/v1/metrics'), 'tok-b', body('old-b'));
    spool.write(endpoint, 'tok-c', body('old-c'));
    const { f, sent } = scripted(201, 200, 400);
    const d = new Delivery({ endpoint, token: 'new', timeoutMs: 1000, spoolDir: dir, log, fetch: f });
    assert.equal(await d.flushSpool(1000), 0);
    assert.deepEqual(sent.map((s) => [s.url, s.auth, s.body.execution_id]), [
      ['http://a.invalid/api/v1/metrics', 'Bearer tok-a', 'old-a'], ['http://b.invalid/api/v1/metrics', 'Bearer tok-b', 'old-b'],
      [endpoint.href, 'Bearer tok-c', 'old-c']]);
    assert.deepEqual(spool.list().entries, []);
    assert.deepEqual(readdirSync(`${dir}/rejected`), ['old-c.summary.json']); // a 400 will never succeed: set aside
  });

  test('flushSpool keeps what it could not deliver', async (t) => {
    const dir = tempDir(t);
    new Spool(dir).write(endpoint, 'tok', body('kept'));
    const d = new Delivery({ endpoint, token: 'tok', timeoutMs: 100, spoolDir: dir, log, fetch: scripted(503, 503, 503, 503, 503).f });
    assert.equal(await d.flushSpool(100), 1);
    assert.equal(new Spool(dir).list().entries.length, 1);
  });

  test('the final push waits for a checkpoint in flight, so a checkpoint can never replace the final summary', async (t) => {
    const order: string[] = [];
    let release: () => void = () => {};
    const f = (async (_u: URL, init: RequestInit) => {
      const id = (JSON.parse(init.body as string) as { summary: { complete: boolean } }).summary.complete ? 'final' : 'checkpoint';
      order.push(`${id} sent`);
      if (id === 'checkpoint') await new Promise<void>((r) => { release = r; });
      order.push(`${id} answered`);
      return new Response('{}', { status: 201 });
    }) as unknown as typeof fetch;
    const d = new Delivery({ endpoint, token: 'tok', timeoutMs: 5000, spoolDir: tempDir(t), log, fetch: f });
    d.checkpoint({ ...body('e'), summary: { complete: false } } as unknown as PushBody, 5000);
    const final = d.deliverFinal(body('e'));
    while (!order.includes('checkpoint sent')) await new Promise((r) => setImmediate(r));
    assert.deepEqual(order, ['checkpoint sent']); // the final push has not gone out
    release();
    assert.equal(await final, 'pushed');
    assert.deepEqual(order, ['checkpoint sent', 'checkpoint answered', 'final sent', 'final answered']);
  });
});

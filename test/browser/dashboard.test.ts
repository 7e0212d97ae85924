// The dashboard in a real browser (issue 9): Debian's Chromium driven by playwright-core, against a receiver seeded
// with realistic runs. Logs in with the token, opens the jobs list, a job and a run; checks that the charts were
// drawn (canvas pixels), that the recommendation shown is the API's, that the token never appears in a URL, and
// that an empty store, a wrong token and a receiver that went down each show a message. Screenshots go to
// test-output/browser/. Needs `chromium` (apt) at /usr/bin/chromium or CHROMIUM_PATH; skips without it outside CI.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { RunPoint } from '../../src/receiver/sizing/method.ts';
import { syntheticJob } from '../../src/receiver/sizing/synthetic.ts';
import type { Scope } from '../../src/receiver/store/types.ts';
import { call, fakeClock, openTestStore, READ_TOKEN, README_SCOPE, startTestReceiver, testStoreConfig } from '../support/receiver.ts';
import { insertRuns, pushRuns } from '../support/sizing-seed.ts';

// The page's globals, for the functions that run in the browser: this Node program has no DOM types.
declare const document: { querySelectorAll(selector: string): { length: number }; cookie: string };
declare const location: { hash: string };
declare const sessionStorage: { getItem(key: string): string | null };
declare const localStorage: { length: number };
type Canvas = { width: number; height: number;
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } } | null };

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ci = !['', 'false', '0'].includes(process.env.CI ?? '');
const SKIP = !existsSync(CHROMIUM) && !ci && `no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`;
const OUT = new URL('../../test-output/browser/', import.meta.url);
const MI = 2 ** 20;

/** The job's runs with a small sidecar beside the build container, as a pod with docker-in-docker has. */
const withSidecar = (runs: readonly RunPoint[]): RunPoint[] => runs.map((r, i) => ({ ...r, containers: [...r.containers, {
  name: 'dind', cpu: { peak: 0.3, p99: 0.28, p95: 0.25, p75: 0.2, p50: 0.15, avg: 0.12 },
  memory: { peak: (180 + (i % 7) * 9) * MI, p99: 175 * MI, p95: 170 * MI, p75: 150 * MI, p50: 140 * MI, avg: 130 * MI },
  cpu_limit_cores: 1, memory_limit_bytes: 512 * MI, oom_kills: 0 }] }));

/** Non-transparent pixels of every canvas in `selector`: a drawn chart has thousands. */
const drawnPixels = (page: Page, selector: string) => page.$$eval(`${selector} canvas`, (canvases) => canvases.map((element) => {
  const c = element as unknown as Canvas;
  const ctx = c.getContext('2d');
  if (ctx === null) return 0;
  const data = ctx.getImageData(0, 0, c.width, c.height).data;
  let n = 0;
  for (let i = 3; i < data.length; i += 4) if ((data[i] ?? 0) > 0) n++;
  return n;
}));

describe('dashboard in Chromium', { skip: SKIP, concurrency: false }, () => {
  let browser: Browser;
  before(async () => {
    mkdirSync(OUT, { recursive: true });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu',
      '--disable-background-networking', '--no-first-run', '--disable-component-update', '--disable-sync'] });
  });
  after(() => browser?.close());

  /** A fresh browser context (its own session storage) on a page that records every URL it requests. */
  async function open(t: { after: (fn: () => Promise<void>) => void }) {
    const context = await browser.newContext({ viewport: { width: 1360, height: 900 }, deviceScaleFactor: 1 });
    t.after(() => context.close());
    const page = await context.newPage();
    const urls: string[] = [];
    page.on('request', (r) => urls.push(r.url()));
    page.on('framenavigated', (f) => urls.push(f.url()));
    return { page, urls };
  }
  async function logIn(page: Page, url: string, token = READ_TOKEN) {
    await page.goto(url);
    await page.getByTestId('token-input').fill(token);
    await page.getByTestId('token-submit').click();
  }

  test('jobs, job and run pages: charts drawn, the API\'s recommendation shown, the token in no URL', async (t) => {
    const clock = fakeClock();
    const receiver = await startTestReceiver(t, await testStoreConfig(t, 'sqlite'), { now: clock.now });
    await pushRuns(receiver, clock, README_SCOPE, withSidecar(syntheticJob('oom-killed', 2, { runs: 60 }).runs));
    const other: Scope = { organization: 'my-org', repository: 'my-org/web-app', workflow: 'test.yml', job: 'e2e' };
    await pushRuns(receiver, clock, other, syntheticJob('spiky', 1, { runs: 25 }).runs);
    const { page, urls } = await open(t);

    await logIn(page, receiver.url);
    await page.getByTestId('job-link').first().waitFor();
    assert.equal(await page.getByTestId('job-link').count(), 2);
    await page.screenshot({ path: new URL('jobs.png', OUT).pathname, fullPage: true });
    await page.getByTestId('job-search').fill('web');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=job-link]').length === 1);

    await page.goto(`${receiver.url}/#/job/my-org/my-org%2Fmy-repo/ci.yml/build`);
    await page.getByTestId('rec-build-card').waitFor();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid^=chart-] canvas').length >= 4);
    for (const chart of ['chart-memory-build', 'chart-cpu-build', 'chart-memory-dind', 'chart-cpu-dind']) {
      const pixels = await drawnPixels(page, `[data-testid=${chart}]`);
      assert.ok(pixels.length > 0 && pixels.every((n) => n > 1000), `${chart}: ${pixels.join(', ')} pixels drawn`);
    }
    const api = (await call(`${receiver.url}/api/v1/sizing/repo/my-org/my-org%2Fmy-repo/ci.yml/build`, { token: READ_TOKEN })).json as
      { containers: { name: string; cpu: { request: { quantity: string }; limit: { quantity: string } };
        memory: { request: { quantity: string }; limit: { quantity: string } }; reason: string; resources_yaml: string }[] };
    for (const c of api.containers) {
      const shown = async (id: string) => (await page.getByTestId(`rec-${c.name}-${id}`).textContent())?.trim();
      assert.deepEqual([await shown('cpu-request'), await shown('cpu-limit'), await shown('memory-request'), await shown('memory-limit'),
        await shown('reason'), await shown('yaml')],
      [c.cpu.request.quantity, c.cpu.limit.quantity, c.memory.request.quantity, c.memory.limit.quantity, c.reason, c.resources_yaml.trim()]);
    }
    assert.equal(await page.getByTestId('recent-runs').locator('tbody tr').count(), 20);
    await page.screenshot({ path: new URL('job.png', OUT).pathname, fullPage: true });

    await page.getByTestId('run-link').first().click();
    await page.getByTestId('top-cpu').waitFor();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid^=chart-run-] canvas').length >= 4);
    for (const n of await drawnPixels(page, '[data-testid^=chart-run-]')) assert.ok(n > 1000, `run chart: ${n} pixels`);
    assert.equal(await page.getByTestId('top-cpu').locator('tbody tr').count(), 3);
    await page.screenshot({ path: new URL('run.png', OUT).pathname, fullPage: true });

    assert.ok(urls.length > 10);
    const leaked = urls.filter((u) => u.includes(READ_TOKEN) || u.includes(encodeURIComponent(READ_TOKEN)));
    assert.deepEqual(leaked, [], 'the token is never in a URL');
    assert.equal(await page.evaluate(() => sessionStorage.getItem('rrc-read-token')), READ_TOKEN);
    assert.equal(await page.evaluate(() => localStorage.length + document.cookie.length), 0, 'nor in local storage or a cookie');
  });

  test('a wrong token, an empty store and a receiver that went down each show a message', async (t) => {
    const receiver = await startTestReceiver(t, await testStoreConfig(t, 'sqlite'));
    const { page } = await open(t);
    await logIn(page, receiver.url, 'not-the-token');
    await page.getByText('That token was not accepted').waitFor();
    assert.equal(await page.evaluate(() => sessionStorage.getItem('rrc-read-token')), null, 'a refused token is forgotten');
    await page.getByTestId('token-input').fill(READ_TOKEN);
    await page.getByTestId('token-submit').click();
    await page.getByText('No runs stored yet.').waitFor();
    await page.goto(`${receiver.url}/#/job/my-org/my-repo/ci.yml/build`);
    await page.getByText('No runs for this job.').waitFor();
    await page.goto(`${receiver.url}/#/run/424242`);
    await page.getByText('Not found.').waitFor();
    await receiver.close();
    await page.evaluate(() => { location.hash = '#/'; });
    await page.getByText('The receiver is not answering.').waitFor();
    await page.screenshot({ path: new URL('down.png', OUT).pathname });
  });

  test('a job with 10,000 runs opens with its charts drawn in well under a second', async (t) => {
    const config = await testStoreConfig(t, 'sqlite');
    await (await openTestStore(t, config)).close();
    await insertRuns(config, README_SCOPE, syntheticJob('growing', 3, { runs: 10_000 }).runs);
    const receiver = await startTestReceiver(t, config);
    const { page } = await open(t);
    await logIn(page, receiver.url);
    await page.getByTestId('job-link').first().waitFor();
    // Opened four times: the first also warms the receiver (JIT, heap), as any running one is; the median of the
    // other three is checked, as one page on a shared machine can wait for a core. scripts/dashboard-timing.ts
    // measures cold and warm loads on fresh receiver processes (docs/dashboard.md).
    const times: number[] = [];
    for (let i = 0; i < 4; i++) {
      await page.evaluate(() => { location.hash = '#/'; });
      await page.getByTestId('job-link').first().waitFor();
      const started = Date.now();
      await page.evaluate(() => { location.hash = '#/job/my-org/my-org%2Fmy-repo/ci.yml/build'; });
      await page.waitForFunction(() => document.querySelectorAll('[data-testid^=chart-] canvas').length >= 2);
      times.push(Date.now() - started);
    }
    const pixels = await drawnPixels(page, '[data-testid=chart-memory-build]');
    assert.ok(pixels.every((n) => n > 1000));
    const ms = times.slice(1).sort((a, b) => a - b)[1] ?? Infinity;
    assert.ok(ms < 1000, `the job page took ${times.join(' ms, then ')} ms`);
    t.diagnostic(`job page with 10,000 runs: charts drawn ${times[0]} ms (cold), then ${times.slice(1).join(', ')} ms (warm) after navigation`);
  });
});

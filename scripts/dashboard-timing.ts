// How long the dashboard's job page takes with 10,000 runs, cold (the first page a freshly started receiver serves)
// and warm (the same page again), in Chromium: the measurement in docs/dashboard.md. Each repetition starts a new
// bin/receiver process on the same SQLite store and a new browser context; the medians are printed.
//   node scripts/build-web.ts && node scripts/dashboard-timing.ts [--runs 10000] [--repeat 7]
// Needs Chromium (/usr/bin/chromium or CHROMIUM_PATH). Times: from the navigation to the job page until its charts
// have drawn; `history` and `sizing` are those requests as the page's Resource Timing saw them (server + transfer),
// with the receiver's own time from its log in brackets; receiver CPU is what its process used for the page.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium, type Page } from 'playwright-core';
import { syntheticJob } from '../src/receiver/sizing/synthetic.ts';
import { SqliteStore } from '../src/receiver/store/sqlite.ts';
import { insertRuns } from '../test/support/sizing-seed.ts';

declare const document: { querySelectorAll(selector: string): { length: number } };
declare const location: { hash: string };
declare const performance: { getEntriesByType(kind: 'resource'): { name: string; startTime: number; responseEnd: number; encodedBodySize: number }[] };

const { values: v } = parseArgs({ options: { runs: { type: 'string', default: '10000' }, repeat: { type: 'string', default: '7' } } });
const runs = Number(v.runs);
const repeat = Number(v.repeat);
if (!Number.isInteger(runs) || runs < 2 || !Number.isInteger(repeat) || repeat < 1) {
  process.stderr.write(`dashboard-timing: --runs ${JSON.stringify(v.runs)} and --repeat ${JSON.stringify(v.repeat)} must be integers\n`);
  process.exit(2);
}

const ROOT = new URL('..', import.meta.url).pathname;
const TOKEN = 'dashboard-timing-token';
const SCOPE = { organization: 'my-org', repository: 'my-org/my-repo', workflow: 'ci.yml', job: 'build' };
const JOB_HASH = '#/job/my-org/my-org%2Fmy-repo/ci.yml/build';

/** CPU time the process has used, ms (utime + stime of /proc/<pid>/stat, in USER_HZ = 100 ticks a second). */
function cpuMs(pid: number | undefined): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

type Receiver = { url: string; stop: () => void; serverMs: (route: string) => number; cpuMs: () => number };
function startReceiver(db: string): Promise<Receiver> {
  const child = spawn(`${ROOT}bin/receiver`, ['--addr', '127.0.0.1:0', '--db', db, '--log-level', 'info'],
    { env: { ...process.env, RECEIVER_READ_TOKEN: TOKEN, RECEIVER_HMAC_KEY: 'dashboard-timing-hmac' }, stdio: ['ignore', 'ignore', 'pipe'] });
  return new Promise((resolve, reject) => {
    let log = '';
    child.stderr.on('data', (d: Buffer) => {
      log += d.toString();
      const m = /"port":(\d+)/.exec(log);
      // The receiver's completion line of the newest request to `route`: its time from request to response.
      const serverMs = (route: string) => Number([...log.matchAll(/\{[^\n]*"durationMs":(\d+)[^\n]*\n/g)]
        .filter((x) => x[0].includes(`"route":"${route}`)).at(-1)?.[1] ?? NaN);
      if (m) resolve({ url: `http://127.0.0.1:${m[1]}`, stop: () => child.kill('SIGKILL'), serverMs, cpuMs: () => cpuMs(child.pid) });
    });
    child.on('exit', (code) => reject(new Error(`receiver exited (${code}): ${log}`)));
  });
}

/** Opens the job page from the jobs list; ms until its charts are drawn, and the two API requests' timings. */
async function openJob(page: Page, receiver: Receiver) {
  await page.evaluate(() => { location.hash = '#/'; });
  await page.getByTestId('job-link').first().waitFor();
  const started = Date.now();
  const cpuBefore = receiver.cpuMs();
  await page.evaluate((hash) => { location.hash = hash; }, JOB_HASH);
  await page.waitForFunction(() => document.querySelectorAll('[data-testid^=chart-] canvas').length >= 2);
  const total = Date.now() - started;
  const cpu = receiver.cpuMs() - cpuBefore;
  const entries = await page.evaluate(() => performance.getEntriesByType('resource')
    .map((e) => ({ name: e.name, ms: e.responseEnd - e.startTime, bytes: e.encodedBodySize })));
  const last = (part: string) => entries.filter((e) => e.name.includes(part)).at(-1);
  await new Promise((resolve) => setTimeout(resolve, 100)); // the receiver's log lines, through a pipe
  return { total, history: last('/api/v1/history/')?.ms ?? NaN, sizing: last('/api/v1/sizing/')?.ms ?? NaN,
    historyBytes: last('/api/v1/history/')?.bytes ?? NaN,
    historyServer: receiver.serverMs('/api/v1/history/repo'), sizingServer: receiver.serverMs('/api/v1/sizing/repo'), cpu };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2] ?? NaN : ((s[s.length / 2 - 1] ?? NaN) + (s[s.length / 2] ?? NaN)) / 2;
};

const dir = mkdtempSync(join(tmpdir(), 'rrc-dashboard-timing-'));
const db = join(dir, 'metrics.db');
await new SqliteStore(db).close(); // creates and migrates the store
await insertRuns({ kind: 'sqlite', path: db }, SCOPE, syntheticJob('growing', 3, { runs }).runs);
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run', '--disable-component-update', '--disable-sync'] });
const cold: Awaited<ReturnType<typeof openJob>>[] = [];
const warm: Awaited<ReturnType<typeof openJob>>[] = [];
try {
  for (let i = 0; i < repeat; i++) {
    const receiver = await startReceiver(db);
    const context = await browser.newContext({ viewport: { width: 1360, height: 900 }, deviceScaleFactor: 1 });
    try {
      const page = await context.newPage();
      await page.goto(receiver.url);
      await page.getByTestId('token-input').fill(TOKEN);
      await page.getByTestId('token-submit').click();
      await page.getByTestId('job-link').first().waitFor();
      cold.push(await openJob(page, receiver));
      for (let k = 0; k < 3; k++) warm.push(await openJob(page, receiver));
    } finally {
      await context.close();
      receiver.stop();
    }
  }
} finally {
  await browser.close();
  rmSync(dir, { recursive: true, force: true });
}
const row = (label: string, xs: Awaited<ReturnType<typeof openJob>>[]) =>
  `| ${label} | ${xs.length} | ${median(xs.map((x) => x.total)).toFixed(0)} | ${median(xs.map((x) => x.history)).toFixed(0)} ` +
  `(${median(xs.map((x) => x.historyServer)).toFixed(0)}) | ${median(xs.map((x) => x.sizing)).toFixed(0)} ` +
  `(${median(xs.map((x) => x.sizingServer)).toFixed(0)}) | ${median(xs.map((x) => x.total - x.history)).toFixed(0)} | ` +
  `${median(xs.map((x) => x.cpu)).toFixed(0)} | ${(median(xs.map((x) => x.historyBytes)) / 1024).toFixed(1)} |`;
process.stdout.write(`Job page with ${runs.toLocaleString('en-US')} runs, medians over ${repeat} receiver starts:\n\n` +
  '| load | pages | charts drawn, ms | history request (in the receiver), ms | sizing request (in the receiver), ms | drawing after the history, ms | receiver CPU, ms | history body, KiB |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n' +
  `${row('cold (first page after a receiver start)', cold)}\n${row('warm (the same page again)', warm)}\n`);

// statm, cmdline, meminfo, /proc/stat, uptime and auxv parsers against the fixture tree.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseStatm } from './statm.ts';
import { parseCmdline, executableName, displayCmdline } from './cmdline.ts';
import { parseMeminfo } from './meminfo.ts';
import { parseSystemStat, cpuBusyPercent } from './system-stat.ts';
import { parseUptime } from './uptime.ts';
import { parseAuxv } from './auxv.ts';
import { fixtureBytes, fixtureText } from '../../test/support/fixtures.ts';

const tree = 'proc/host-hybrid';

test('parseStatm: resident and shared pages of a live process (exact, unlike stat rss 3350)', () => {
  assert.deepEqual(parseStatm(fixtureBytes(`${tree}/7618/statm`)), { residentPages: 3381, sharedPages: 1664 });
});
test('parseStatm: a zombie and a kernel thread hold no memory', () => {
  assert.deepEqual(parseStatm(fixtureBytes(`${tree}/7338/statm`)), { residentPages: 0, sharedPages: 0 });
  assert.deepEqual(parseStatm(fixtureBytes(`${tree}/2/statm`)), { residentPages: 0, sharedPages: 0 });
});
test('parseStatm: a short file throws', () =>
  assert.throws(() => parseStatm(Buffer.from('12 ')), { name: 'ProcParseError', message: /^statm: / }));

test('parseCmdline: NUL-separated argv with its trailing NUL', () =>
  assert.deepEqual(parseCmdline(fixtureBytes(`${tree}/7295/cmdline`)), ['/tmp/long-running-build-tool', '300']));
test('parseCmdline: a renamed process (process.title) pads its old argv area with NULs', () =>
  assert.deepEqual(parseCmdline(Buffer.from(`demo-workload${'\0'.repeat(40)}`)), ['demo-workload']));
test('parseCmdline: kernel threads and zombies have none', () => {
  assert.deepEqual(parseCmdline(fixtureBytes(`${tree}/2/cmdline`)), []);
  assert.deepEqual(parseCmdline(fixtureBytes(`${tree}/7338/cmdline`)), []);
});

const names = [
  { argv: ['/tmp/long-running-build-tool', '300'], want: 'long-running-build-tool' },
  { argv: ['node', 'server.js'], want: 'node' },
  { argv: ['/usr/local/bin/node'], want: 'node' },
  { argv: ['nginx: worker process'], want: 'nginx' },
  { argv: ['/opt/my app/bin/runner', 'x'], want: 'runner' },
  { argv: [], want: undefined },
];
for (const c of names) {
  test(`executableName: ${JSON.stringify(c.argv)} -> ${String(c.want)}`, () => assert.equal(executableName(c.argv), c.want));
}

test('displayCmdline: masks secret-looking flag values and cuts long lines', () => {
  assert.equal(displayCmdline(['collector', '--push-token=abc', '--interval', '2s']), 'collector --push-token=*** --interval 2s');
  assert.equal(displayCmdline(['mysql', '--password', 'hunter2', '-h', 'db']), 'mysql --password *** -h db');
  assert.equal(displayCmdline(['x', 'a'.repeat(300)]).length, 256);
});

test('parseMeminfo: total and available in bytes', () => {
  const m = parseMeminfo(fixtureText(`${tree}/meminfo`));
  const kib = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(fixtureText(`${tree}/meminfo`))![1]) * 1024;
  assert.deepEqual(m, { totalBytes: kib('MemTotal'), availableBytes: kib('MemAvailable') });
  assert.ok(m.availableBytes < m.totalBytes);
});
test('parseMeminfo: kernels before 3.14 have no MemAvailable', () => {
  const m = parseMeminfo('MemTotal: 1000 kB\nMemFree: 100 kB\nBuffers: 10 kB\nCached: 200 kB\nSReclaimable: 5 kB\n');
  assert.equal(m.availableBytes, 315 * 1024);
});

test('parseSystemStat: totals, idle and CPU count of the fixture', () => {
  const s = parseSystemStat(fixtureText(`${tree}/stat`));
  const cpu = /^cpu (.*)$/m.exec(fixtureText(`${tree}/stat`))![1]!.trim().split(/\s+/).map(Number);
  assert.equal(s.totalTicks, cpu.slice(0, 8).reduce((a, b) => a + b, 0));
  assert.equal(s.idleTicks, cpu[3]! + cpu[4]!);
  assert.equal(s.cpuCount, 2);
  assert.ok(s.bootTimeSeconds > 1_700_000_000);
});
test('cpuBusyPercent: busy share of the delta, clamped to 0-100', () => {
  const a = { totalTicks: 1000, idleTicks: 800, cpuCount: 2, bootTimeSeconds: 0 } as const;
  const b = { ...a, totalTicks: 1200, idleTicks: 850 } as never;
  assert.equal(cpuBusyPercent(a as never, b), 75);
  assert.equal(cpuBusyPercent(a as never, a as never), undefined);
});

test('parseUptime: seconds since boot', () => assert.equal(parseUptime('350.52 690.11\n'), 350.52));

test('parseAuxv: clock ticks and page size from a real auxv', () =>
  assert.deepEqual(parseAuxv(fixtureBytes(`${tree}/auxv-self`)), { clockTicks: 100, pageSize: 4096 }));
test('parseAuxv: an empty vector throws', () =>
  assert.throws(() => parseAuxv(new Uint8Array(16)), { name: 'ProcParseError' }));

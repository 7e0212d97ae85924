import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newStatFields, parseStat, parseStatFields, sameComm } from './stat.ts';
import { fixtureBytes } from '../../test/support/fixtures.ts';

const tree = 'proc/host-hybrid';
const cases = [
  { name: 'kernel thread', pid: 2, comm: 'kthreadd', state: 'S', ppid: 0, utime: 0, cutime: 0, startTicks: 20, rssPages: 0 },
  { name: 'name with ") " inside is cut at the last ")"', pid: 7294, comm: 'a) b', state: 'S', ppid: 7283, utime: 0, cutime: 0, startTicks: 33780, rssPages: 420 },
  { name: 'long name cut to 15 bytes by the kernel', pid: 7295, comm: 'long-running-bu', state: 'S', ppid: 7283, utime: 0, cutime: 0, startTicks: 33781, rssPages: 405 },
  { name: 'zombie keeps its identity', pid: 7338, comm: 'python3', state: 'Z', ppid: 7296, utime: 0, cutime: 0, startTicks: 33826, rssPages: 0 },
  { name: 'parent that reaped children has cutime', pid: 7415, comm: 'sleep', state: 'S', ppid: 7411, utime: 4, cutime: 32, startTicks: 34276, rssPages: 416 },
  { name: 'busy process', pid: 7618, comm: 'python3', state: 'R', ppid: 7415, utime: 12, cutime: 13, startTicks: 34358, rssPages: 3350 },
] as const;

for (const c of cases) {
  test(`parseStat: ${c.name}`, () => {
    const s = parseStat(fixtureBytes(`${tree}/${c.pid}/stat`));
    assert.deepEqual(
      [s.pid, s.comm, s.state, s.ppid, s.utime, s.cutime, s.startTicks, s.rssPages],
      [c.pid, c.comm, c.state, c.ppid, c.utime, c.cutime, c.startTicks, c.rssPages],
    );
  });
}

test('parseStat: reads stime and cstime from fields 15 and 17', () => {
  const s = parseStat(fixtureBytes(`${tree}/7618/stat`));
  assert.deepEqual([s.utime, s.stime, s.cutime, s.cstime, s.numThreads], [12, 6, 13, 15, 1]);
});

test('parseStat: reads minflt, majflt (fields 10, 12) and vsize (23), not their children\'s (11, 13)', () => {
  const s = parseStat(fixtureBytes(`${tree}/7618/stat`));
  assert.deepEqual([s.minflt, s.majflt, s.vsize], [2855, 1, 16961536]);
});

test('parseStatFields: fills a reused record and leaves comm as a byte range', () => {
  const out = newStatFields();
  const first = Buffer.from('7 (sh) S 1 7 7 0 -1 0 11 0 2 0 1 2 3 4 20 0 1 0 99 4096 5 0 0\n');
  const again = Buffer.from('8 (a) b) R 7 8 8 0 -1 0 12 0 3 0 5 6 7 8 20 0 3 0 100 8192 6 0 0\n');
  assert.equal(parseStatFields(first, first.length, out), out);
  parseStatFields(again, again.length, out);
  assert.deepEqual({ ...out }, { pid: 8, ppid: 7, minflt: 12, majflt: 3, utime: 5, stime: 6, cutime: 7, cstime: 8, numThreads: 3,
    startTicks: 100, vsize: 8192, rssPages: 6, commStart: 3, commEnd: 7, state: 'R'.charCodeAt(0) });
  assert.ok(sameComm(again, out.commStart, out.commEnd, Buffer.from('a) b')));
  assert.ok(!sameComm(again, out.commStart, out.commEnd, Buffer.from('a) c')));
  assert.ok(!sameComm(again, out.commStart, out.commEnd, Buffer.from('a)')));
});

test('parseStat: a negative rss (counters settling) reads 0; a negative utime is an error', () => {
  assert.equal(parseStat(Buffer.from('7 (sh) S 1 7 7 0 -1 0 0 0 0 0 1 2 3 4 20 0 1 0 99 0 -1 0 0\n')).rssPages, 0);
  assert.throws(() => parseStat(Buffer.from('7 (sh) S 1 7 7 0 -1 0 0 0 0 0 -1 2 3 4 20 0 1 0 99 0 5 0 0\n')),
    { name: 'ProcParseError', message: /^stat: field 14 is not a number/ });
});

test('parseStat: a name built to spoof fields cannot shift them', () => {
  const line = '4242 (x) R 1 1 1 0 -1 0 0 0 0 0 999 999 0 0 20 0 1 0 5 0 0) S 7 7 7 0 -1 4194304 1 0 0 0 3 4 5 6 20 0 2 0 1234 100 77 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0';
  const s = parseStat(Buffer.from(line));
  assert.equal(s.comm, 'x) R 1 1 1 0 -1 0 0 0 0 0 999 999 0 0 20 0 1 0 5 0 0');
  assert.deepEqual([s.state, s.ppid, s.utime, s.stime, s.cutime, s.cstime, s.numThreads, s.startTicks, s.rssPages], ['S', 7, 3, 4, 5, 6, 2, 1234, 77]);
});

test('parseStat: reads only up to the given end of a reused buffer', () => {
  const text = Buffer.from(`7 (sh) S 1 7 7 0 -1 0 0 0 0 0 1 2 3 4 20 0 1 0 99 0 5 0 0\nGARBAGE (old) 99 99`);
  const end = text.indexOf('\n');
  assert.equal(parseStat(text, end).rssPages, 5);
  assert.equal(parseStat(text, end).comm, 'sh');
});

const invalid = [
  { name: 'truncated line', text: '42 (x) R 1 42', message: /^stat: / },
  { name: 'no parentheses', text: '42 x R 1 2 3', message: /^stat: no "\(comm\)"/ },
  { name: 'empty file (vanished mid-read)', text: '', message: /^stat: no "\(comm\)"/ },
  { name: 'non-numeric utime', text: '7 (sh) S 1 7 7 0 -1 0 0 0 0 0 x 2 3 4 20 0 1 0 99 0 5 0 0', message: /^stat: field 14 is not a number/ },
];
for (const c of invalid) {
  test(`parseStat: throws ProcParseError on ${c.name}`, () =>
    assert.throws(() => parseStat(Buffer.from(c.text)), { name: 'ProcParseError', message: c.message }));
}

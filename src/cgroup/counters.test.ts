import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixtureText } from '../../test/support/fixtures.ts';
import { bytes } from '../units.ts';
import {
  parseCfsLimitV1, parseCpuacctUsage, parseCpuMax, parseCpuStatV1, parseCpuStatV2, parseMemoryBytes, parseMemoryEvents,
  parseMemoryLimitV1, parseMemoryMax, parseMemoryStatV1, parseMemoryStatV2, parseOomControl, workingSet,
} from './counters.ts';

const v1 = (dir: string, file: string) => fixtureText(`cgroup-counters/v1/${dir}/${file}`);
const v2 = (dir: string, file: string) => fixtureText(`cgroup-counters/v2/${dir}/${file}`);

test('cgroup v1 (real, limited): a 0.5-core, 128 MiB cgroup that throttled and OOM-killed once', () => {
  assert.equal(parseCpuacctUsage(v1('limited', 'cpuacct.usage')), 2.428490311);
  const cpu = parseCpuStatV1(v1('limited', 'cpu.stat'));
  assert.deepEqual([cpu.periods, cpu.throttledPeriods, cpu.usage], [52, 8, undefined]);
  assert.equal(cpu.throttled, 0.177487831); // ns on v1; one division, so exactly the decimal
  assert.equal(parseCfsLimitV1(v1('limited', 'cpu.cfs_quota_us'), v1('limited', 'cpu.cfs_period_us')), 0.5);
  assert.equal(parseMemoryBytes('memory.usage_in_bytes', v1('limited', 'memory.usage_in_bytes')), 62193664);
  assert.equal(parseMemoryBytes('memory.max_usage_in_bytes', v1('limited', 'memory.max_usage_in_bytes')), 134217728);
  assert.equal(parseMemoryLimitV1(v1('limited', 'memory.limit_in_bytes')), 134217728);
  assert.deepEqual(parseOomControl(v1('limited', 'memory.oom_control')),
    { oomKillDisable: false, underOom: false, oomKill: 1 });
});

test('cgroup v1 (real, unlimited): the sentinels mean no limit, and memory.stat uses the hierarchical total_* keys', () => {
  assert.equal(parseMemoryLimitV1(v1('unlimited', 'memory.limit_in_bytes')), null); // 9223372036854771712
  assert.equal(parseCfsLimitV1(v1('unlimited', 'cpu.cfs_quota_us'), v1('unlimited', 'cpu.cfs_period_us')), null);
  assert.deepEqual(parseMemoryStatV1(v1('unlimited', 'memory.stat')),
    { inactiveFile: 122880, activeFile: 25309184, anon: 61009920, file: 25432064 });
  const cpu = parseCpuStatV1(v1('unlimited', 'cpu.stat'));
  assert.deepEqual([cpu.periods, cpu.throttledPeriods, cpu.throttled], [0, 0, 0]);
});

test('cgroup v2 (real, no controllers enabled): usage is there, throttling is not, and reads as undefined', () => {
  const cpu = parseCpuStatV2(v2('hybrid-no-controllers', 'cpu.stat'));
  assert.equal(cpu.usage, 5.848202);
  assert.equal(cpu.user, 5.423435);
  assert.equal(cpu.system, 0.424767);
  assert.deepEqual([cpu.periods, cpu.throttledPeriods, cpu.throttled], [undefined, undefined, undefined]);
});

test('cgroup v2 (kernel-doc format, 6.x): a 0.5-core, 256 MiB container at its limit', () => {
  const cpu = parseCpuStatV2(v2('limited', 'cpu.stat'));
  assert.equal(cpu.usage, 18.466019);
  assert.deepEqual([cpu.periods, cpu.throttledPeriods], [212, 97]);
  assert.equal(cpu.throttled, 9.817305);
  assert.equal(parseCpuMax(v2('limited', 'cpu.max')), 0.5);
  assert.equal(parseMemoryBytes('memory.current', v2('limited', 'memory.current')), 262230016);
  assert.equal(parseMemoryBytes('memory.peak', v2('limited', 'memory.peak')), 268435456);
  assert.equal(parseMemoryMax(v2('limited', 'memory.max')), 268435456);
  assert.deepEqual(parseMemoryEvents(v2('limited', 'memory.events')), { max: 1486, oom: 1, oomKill: 1, oomGroupKill: 0 });
  assert.deepEqual(parseMemoryStatV2(v2('limited', 'memory.stat')),
    { inactiveFile: 13221888, activeFile: 7335936, anon: 239112192, file: 20557824 });
});

test('cgroup v2 (kernel-doc format, 5.15): no limits, and keys a newer kernel adds read as undefined', () => {
  assert.equal(parseCpuMax(v2('unlimited-5.15', 'cpu.max')), null);
  assert.equal(parseMemoryMax(v2('unlimited-5.15', 'memory.max')), null);
  assert.deepEqual(parseMemoryEvents(v2('unlimited-5.15', 'memory.events')),
    { max: 0, oom: 0, oomKill: 0, oomGroupKill: undefined }); // oom_group_kill: 5.17
});

const limits = [
  { name: 'memory.max: a number', parse: parseMemoryMax, text: '1073741824\n', want: 1073741824 },
  { name: 'memory.max: "max"', parse: parseMemoryMax, text: 'max\n', want: null },
  { name: 'memory.max: above 2^53 is a sentinel', parse: parseMemoryMax, text: '9223372036854771712\n', want: null },
  { name: 'limit_in_bytes: a 64 KiB-page host sentinel', parse: parseMemoryLimitV1, text: '9223372036854710272\n', want: null },
  { name: 'limit_in_bytes: 2^53 itself is still a number', parse: parseMemoryLimitV1, text: '9007199254740991', want: 9007199254740991 },
  { name: 'cpu.max: 2 cores', parse: parseCpuMax, text: '200000 100000\n', want: 2 },
  { name: 'cpu.max: 250m over a 10 ms period', parse: parseCpuMax, text: '2500 10000\n', want: 0.25 },
  { name: 'cpu.max: no limit keeps its period', parse: parseCpuMax, text: 'max 100000\n', want: null },
] as const;
for (const c of limits) test(`limits: ${c.name}`, () => assert.equal(c.parse(c.text), c.want));

test('parseCfsLimitV1: a quota of 150000 µs per 100000 µs is 1.5 cores', () =>
  assert.equal(parseCfsLimitV1('150000\n', '100000\n'), 1.5));

const malformed = [
  { name: 'cpu.stat: a value that is not a number', run: () => parseCpuStatV2('usage_usec 12x\n'), message: /^cpu\.stat: "12x"/ },
  { name: 'cpu.stat: a line without a value', run: () => parseCpuStatV1('nr_periods\n'), message: /^cpu\.stat: line is not/ },
  { name: 'memory.current: empty', run: () => parseMemoryBytes('memory.current', ''), message: /^memory\.current: "" is not/ },
  { name: 'memory.peak: negative', run: () => parseMemoryBytes('memory.peak', '-1\n'), message: /^memory\.peak: "-1"/ },
  { name: 'cpuacct.usage: two numbers', run: () => parseCpuacctUsage('1 2\n'), message: /^cpuacct\.usage: "1 2"/ },
  { name: 'cpu.max: one word', run: () => parseCpuMax('max\n'), message: /^cpu\.max: is not "\$MAX \$PERIOD"/ },
  { name: 'cpu.max: a period of 0', run: () => parseCpuMax('1000 0\n'), message: /^cpu\.max: period is 0/ },
  { name: 'cfs_quota_us: -2', run: () => parseCfsLimitV1('-2\n', '100000\n'), message: /^cpu\.cfs_quota_us: "-2"/ },
  { name: 'memory.max: "none"', run: () => parseMemoryMax('none\n'), message: /^memory\.max: "none"/ },
];
for (const c of malformed) {
  test(`parsers: ${c.name} throws ProcParseError naming the file`, () =>
    assert.throws(c.run, { name: 'ProcParseError', message: c.message }));
}

test('flat-keyed files: unknown and reordered keys are ignored, an absent key is undefined, never 0', () => {
  const stat = parseCpuStatV2('core_sched.force_idle_usec 0\nsystem_usec 5\nusage_usec 10\nnr_bursts 3\n');
  assert.deepEqual([stat.usage, stat.system, stat.user, stat.periods], [0.00001, 0.000005, undefined, undefined]);
  assert.deepEqual(parseOomControl('oom_kill_disable 1\nunder_oom 1\n'), // before Linux 4.13: no oom_kill line
    { oomKillDisable: true, underOom: true, oomKill: undefined });
  assert.deepEqual(parseMemoryStatV1('inactive_file 4096\n'), // this cgroup's own keys are not the totals
    { inactiveFile: undefined, activeFile: undefined, anon: undefined, file: undefined });
});

test('workingSet: usage − inactive_file, clamped at 0, unknown when either is', () => {
  assert.equal(workingSet(bytes(262230016), bytes(13221888)), 249008128);
  assert.equal(workingSet(bytes(4096), bytes(8192)), 0); // the two files are read moments apart
  assert.equal(workingSet(bytes(4096), undefined), undefined);
  assert.equal(workingSet(undefined, bytes(0)), undefined);
});

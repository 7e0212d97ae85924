// Property tests of the /proc parsers (issue 7). For any bytes, each parser returns a well-formed record (every
// number finite and non-negative) or throws ProcParseError, never another error; for generated well-formed
// files the fields round-trip exactly. Inputs: random bytes, and the fixture files with bytes changed, cut,
// inserted or long digit runs spliced in (a u64 printed by a buggy kernel or a hostile /proc mount).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { fixtureBytes } from '../../test/support/fixtures.ts';
import { displayCmdline, executableName, parseCmdline } from './cmdline.ts';
import { ProcParseError } from './errors.ts';
import { parseMeminfo } from './meminfo.ts';
import { parseStat } from './stat.ts';
import { parseStatm } from './statm.ts';
import { parseSystemStat } from './system-stat.ts';
import { parseUptime } from './uptime.ts';

const RUNS = { numRuns: 2_000 } as const;
const tree = 'proc/host-hybrid';
const PIDS = [1, 2, 7294, 7295, 7296, 7338, 7415, 7618] as const;

/** A fixture file with up to five edits: a byte set, inserted or deleted, the file cut, or a digit run spliced in. */
function mutated(samples: readonly Buffer[]): fc.Arbitrary<Buffer> {
  const edit = fc.tuple(fc.constantFrom('set', 'insert', 'delete', 'cut', 'digits'), fc.nat(), fc.integer({ min: 0, max: 255 }),
    fc.integer({ min: 1, max: 400 }));
  return fc.tuple(fc.constantFrom(...samples), fc.array(edit, { maxLength: 5 })).map(([base, edits]) => {
    let b = Buffer.from(base);
    for (const [op, at, byte, n] of edits) {
      const i = b.length === 0 ? 0 : at % b.length;
      if (op === 'set' && b.length > 0) b[i] = byte;
      else if (op === 'insert') b = Buffer.concat([b.subarray(0, i), Buffer.of(byte), b.subarray(i)]);
      else if (op === 'delete') b = Buffer.concat([b.subarray(0, i), b.subarray(i + 1)]);
      else if (op === 'cut') b = b.subarray(0, i);
      else if (op === 'digits') b = Buffer.concat([b.subarray(0, i), Buffer.from('9'.repeat(n)), b.subarray(i)]);
    }
    return b;
  });
}
const anyBytes = (samples: readonly Buffer[]) =>
  fc.oneof(fc.uint8Array({ maxLength: 600 }).map((a) => Buffer.from(a)), mutated(samples));
/** Text as ProcReader makes it from bytes: UTF-8, bad sequences as U+FFFD. */
const anyText = (samples: readonly Buffer[]) =>
  fc.oneof(anyBytes(samples).map((b) => b.toString('utf8')), fc.string({ unit: 'binary', maxLength: 300 }));

/** Runs a parser: a ProcParseError naming `file` is fine, any other throw fails; else `check` the record. */
function recordOrParseError<T>(file: string, parse: () => T, check: (record: T) => void): void {
  let record: T;
  try {
    record = parse();
  } catch (err) {
    assert.ok(err instanceof ProcParseError, `threw ${String(err)}, not a ProcParseError`);
    assert.equal(err.file, file);
    return;
  }
  check(record);
}
const count = (name: string, n: number) =>
  assert.ok(Number.isInteger(n) && Number.isFinite(n) && n >= 0, `${name} = ${n}: not a finite non-negative integer`);
const amount = (name: string, n: number) => assert.ok(Number.isFinite(n) && n >= 0, `${name} = ${n}: not finite and >= 0`);

describe('/proc/<pid>/stat', () => {
  const samples = PIDS.map((pid) => fixtureBytes(`${tree}/${pid}/stat`));
  const withEnd = anyBytes(samples).chain((b) => fc.tuple(fc.constant(b), fc.integer({ min: 0, max: b.length })));

  test('parseStat: any bytes and any end give a well-formed record or ProcParseError', () => {
    fc.assert(fc.property(withEnd, ([buf, end]) => recordOrParseError('stat', () => parseStat(buf, end), (s) => {
      for (const [name, n] of Object.entries(s)) if (typeof n === 'number') count(name, n);
      assert.equal(s.state.length, 1);
    })), RUNS);
  });

  // comm as the kernel prints it: any bytes but NUL, with the characters that break naive parsers made likely.
  const comm = fc.array(fc.oneof(fc.constantFrom('(', ')', ') ', ' (', ' ', ')(', ') R 1 ', '\n'), fc.string({ unit: 'binary', maxLength: 3 })),
    { maxLength: 8 }).map((parts) => parts.join('')).filter((s) => !s.includes('\0') && s.isWellFormed());
  const number = fc.oneof(fc.nat(), fc.maxSafeNat());
  const statLine = fc.record({ pid: fc.integer({ min: 1, max: 4_194_304 }), comm, state: fc.constantFrom(...'RSDZTtXxIKWP'),
    fields: fc.array(number, { minLength: 49, maxLength: 49 }) }); // fields 4..52 of proc_pid_stat(5)

  test('parseStat: a generated line round-trips, whatever comm holds, also read from a longer reused buffer', () => {
    fc.assert(fc.property(statLine, fc.uint8Array({ maxLength: 40 }), ({ pid, comm, state, fields }, garbage) => {
      const line = Buffer.from(`${pid} (${comm}) ${state} ${fields.join(' ')}\n`);
      const f = (n: number) => fields[n - 4];
      const want = { pid, comm, state, ppid: f(4), minflt: f(10), majflt: f(12), utime: f(14), stime: f(15), cutime: f(16),
        cstime: f(17), numThreads: f(20), startTicks: f(22), vsize: f(23), rssPages: f(24) };
      assert.deepEqual({ ...parseStat(line) }, want);
      assert.deepEqual({ ...parseStat(Buffer.concat([line, garbage]), line.length) }, want);
    }), RUNS);
  });
});

describe('/proc/<pid>/statm', () => {
  const samples = PIDS.map((pid) => fixtureBytes(`${tree}/${pid}/statm`));
  test('parseStatm: any bytes give a well-formed record or ProcParseError', () => {
    fc.assert(fc.property(anyBytes(samples), (buf) => recordOrParseError('statm', () => parseStatm(buf), (m) => {
      count('residentPages', m.residentPages);
      count('sharedPages', m.sharedPages);
    })), RUNS);
  });
  test('parseStatm: seven generated numbers round-trip as resident (2nd) and shared (3rd)', () => {
    fc.assert(fc.property(fc.array(fc.maxSafeNat(), { minLength: 7, maxLength: 7 }), (f) =>
      assert.deepEqual(parseStatm(Buffer.from(`${f.join(' ')}\n`)), { residentPages: f[1], sharedPages: f[2] })), RUNS);
  });
});

describe('/proc/<pid>/cmdline', () => {
  const samples = PIDS.map((pid) => fixtureBytes(`${tree}/${pid}/cmdline`));
  test('parseCmdline, executableName, displayCmdline: any bytes give argv, a name or none, and a bounded line', () => {
    fc.assert(fc.property(anyBytes(samples), fc.integer({ min: 1, max: 300 }), (buf, max) => {
      const argv = parseCmdline(buf);
      assert.ok(argv.every((a) => typeof a === 'string' && !a.includes('\0')));
      const name = executableName(argv);
      assert.ok(name === undefined || (name !== '' && !name.includes('/')), `executableName gave ${JSON.stringify(name)}`);
      assert.ok(displayCmdline(argv, max).length <= max);
    }), RUNS);
  });
  const arg = fc.string({ unit: 'binary', maxLength: 12 }).filter((s) => !s.includes('\0') && s.isWellFormed());
  test('parseCmdline: NUL-joined argv round-trips, with or without the renamed-process NUL padding', () => {
    const argv = fc.tuple(fc.array(arg, { maxLength: 6 }), arg.filter((s) => s !== '' && !s.endsWith(' ')))
      .map(([head, last]) => [...head, last]);
    fc.assert(fc.property(argv, fc.nat({ max: 64 }), (args, pad) =>
      assert.deepEqual(parseCmdline(Buffer.from(`${args.join('\0')}\0${'\0'.repeat(pad)}`)), args)), RUNS);
  });
});

describe('/proc/meminfo', () => {
  test('parseMeminfo: any text gives finite non-negative byte counts or ProcParseError', () => {
    fc.assert(fc.property(anyText([fixtureBytes(`${tree}/meminfo`)]), (text) =>
      recordOrParseError('meminfo', () => parseMeminfo(text), (m) => {
        amount('totalBytes', m.totalBytes);
        amount('availableBytes', m.availableBytes);
      })), RUNS);
  });
  const kib = fc.integer({ min: 0, max: 2 ** 43 }); // 8 PiB: kib * 1024 stays exact
  test('parseMeminfo: generated lines in any order round-trip; without MemAvailable, free + buffers + cached + reclaimable', () => {
    const lines = fc.record({ MemTotal: kib, MemFree: kib, MemAvailable: fc.option(kib, { nil: undefined }), Buffers: kib, Cached: kib,
      SReclaimable: kib, 'Active(file)': kib, HugePages_Total: kib });
    fc.assert(fc.property(lines, fc.nat(), fc.integer({ min: 1, max: 9 }), (m, seed, pad) => {
      const rows = Object.entries(m).filter(([, v]) => v !== undefined)
        .map(([k, v]) => `${k}:${' '.repeat(pad)}${v}${k.startsWith('HugePages') ? '' : ' kB'}`);
      const shuffled = rows.map((r, i) => [(i * 7919 + seed) % 101, r] as const).sort((a, b) => a[0] - b[0]).map(([, r]) => r);
      const available = m.MemAvailable ?? m.MemFree + m.Buffers + m.Cached + m.SReclaimable;
      assert.deepEqual(parseMeminfo(`${shuffled.join('\n')}\n`), { totalBytes: m.MemTotal * 1024, availableBytes: available * 1024 });
    }), RUNS);
  });
});

describe('/proc/stat', () => {
  test('parseSystemStat: any text gives finite non-negative figures (idle <= total) or ProcParseError', () => {
    fc.assert(fc.property(anyText([fixtureBytes(`${tree}/stat`)]), (text) =>
      recordOrParseError('stat', () => parseSystemStat(text), (s) => {
        count('totalTicks', s.totalTicks);
        count('idleTicks', s.idleTicks);
        count('cpuCount', s.cpuCount);
        count('bootTimeSeconds', s.bootTimeSeconds);
        assert.ok(s.idleTicks <= s.totalTicks, `idle ${s.idleTicks} > total ${s.totalTicks}`);
      })), RUNS);
  });
  const ticks = fc.integer({ min: 0, max: 2 ** 40 });
  test('parseSystemStat: a generated file round-trips: total = first 8 fields, idle = idle + iowait, one cpuN per CPU', () => {
    fc.assert(fc.property(fc.array(ticks, { minLength: 10, maxLength: 10 }), fc.integer({ min: 1, max: 64 }), fc.nat(), (cpu, n, btime) => {
      const text = [`cpu  ${cpu.join(' ')}`, ...Array.from({ length: n }, (_, i) => `cpu${i} ${cpu.join(' ')}`),
        'intr 478369 0 0 1', 'ctxt 1203958', `btime ${btime}`, 'processes 7383', ''].join('\n');
      assert.deepEqual({ ...parseSystemStat(text) }, { totalTicks: cpu.slice(0, 8).reduce((a, b) => a + b, 0),
        idleTicks: (cpu[3] ?? 0) + (cpu[4] ?? 0), cpuCount: n, bootTimeSeconds: btime });
    }), RUNS);
  });
});

describe('/proc/uptime', () => {
  test('parseUptime: any text gives finite non-negative seconds or ProcParseError', () => {
    fc.assert(fc.property(anyText([fixtureBytes(`${tree}/uptime`)]), (text) =>
      recordOrParseError('uptime', () => parseUptime(text), (up) => amount('uptime', up))), RUNS);
  });
  test('parseUptime: text whose first field is not seconds ("", " 5", "0x10", "1e3", "-0") throws, never reads as a number', () => {
    for (const text of ['', '\n', ' 338.59 514.89', '0x10 5', '1e3 5', '-0 5', 'Infinity 1', '.5 1']) {
      assert.throws(() => parseUptime(text), { name: 'ProcParseError' }, JSON.stringify(text));
    }
  });
  test('parseUptime: a generated "seconds.hundredths idle" line round-trips', () => {
    fc.assert(fc.property(fc.nat({ max: 10 ** 9 }), fc.nat({ max: 99 }), fc.nat(), (s, cs, idle) => {
      const up = `${s}.${String(cs).padStart(2, '0')}`;
      assert.equal(parseUptime(`${up} ${idle}.00\n`), Number(up));
    }), RUNS);
  });
});

import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { createHeldLightLogger, createLightLogger, type Log, type LogFormat, type LogLevel } from './light-log.ts';
import { createLogger } from './log.ts';

const dir = mkdtempSync(join(tmpdir(), 'light-log-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

/** The lines `use` makes a logger write to a file descriptor, as the collector writes to stderr. */
function linesOf(make: (fd: number) => Log, use: (log: Log) => void): string[] {
  const path = join(dir, `${files++}.log`);
  const fd = openSync(path, 'w');
  try {
    use(make(fd));
  } finally {
    closeSync(fd);
  }
  return readFileSync(path, 'utf8').split('\n').filter((l) => l !== '');
}

class SpoolError extends Error {
  override name = 'SpoolError';
  readonly code = 'ENOSPC';
}

// Made once, so both loggers see the same stack.
const errors = {
  plain: new Error('boom'),
  spool: new SpoolError('disk full'),
  system: (() => {
    try {
      readFileSync(join(dir, 'missing'));
    } catch (err) {
      return err;
    }
    throw new Error('the missing file was read');
  })(),
  caused: new Error('push failed', { cause: new Error('ECONNRESET') }),
  bare: new Error('bare'),
};

// The collector's calls (src/collector), and the shapes redaction and error serialisation must handle.
const calls: { name: string; use: (log: Log) => void }[] = [
  { name: 'fields and message', use: (l) => l.info({ version: '1.2.0', intervalMs: 2000, procPath: '/proc' }, 'starting') },
  { name: 'nested objects', use: (l) => l.info({ cgroup: '/a', counters: { version: 2, dir: '/sys/fs/cgroup/a' } }, 'x') },
  { name: 'message only', use: (l) => l.warn('second signal') },
  { name: 'fields only', use: (l) => l.warn({ signal: 'SIGTERM' }) },
  { name: 'undefined field dropped', use: (l) => l.info({ cgroup: undefined, method: 'process-tree' }, 'running') },
  { name: 'error', use: (l) => l.error({ err: errors.plain }, 'sample failed') },
  { name: 'error subclass with fields', use: (l) => l.warn({ err: errors.spool, path: '/s' }, 'spool') },
  { name: 'system error', use: (l) => l.warn({ err: errors.system }, 'cannot read') },
  { name: 'error with a cause', use: (l) => l.error({ err: errors.caused }, 'x') },
  { name: 'a bare error', use: (l) => l.error(errors.bare, 'bare error') },
  { name: 'a bare error, no message', use: (l) => l.error(errors.bare) },
  { name: 'not an error under err', use: (l) => l.error({ err: 'spawn ENOENT', command: 'make' }, 'not started') },
  { name: 'redacted top level', use: (l) => l.info({ token: 's3cret', pushToken: 'p', url: 'https://r' }, 'config') },
  { name: 'redacted one level down', use: (l) => l.info({ config: { pushToken: 'p', endpoint: 'e' } }, 'config') },
  { name: 'redacted headers', use: (l) => l.info({ req: { headers: { authorization: 'Bearer x', host: 'h' } } }, 'req') },
  { name: 'child bindings', use: (l) => l.child({ component: 'push' }).info({ status: 202, attempts: 1 }, 'summary pushed') },
  { name: 'grandchild bindings', use: (l) => l.child({ component: 'push' }).child({ run: 7 }).error({ status: 500 }, 'x') },
];

const withoutTime = (line: string) => {
  const { time, ...rest } = JSON.parse(line) as Record<string, unknown>;
  assert.match(String(time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  return rest;
};

describe('light logger, JSON lines', () => {
  for (const { name, use } of calls) {
    test(`${name}: the same record as pino with log.ts's options`, () => {
      const light = linesOf((fd) => createLightLogger('debug', 'json', 'collector', fd), use);
      const pino = linesOf((fd) => createLogger('debug', 'json', 'collector', fd), use);
      assert.equal(light.length, 1);
      assert.deepEqual(light.map(withoutTime), pino.map(withoutTime));
      // Key order too: shippers and people read the lines, not only parsers.
      assert.deepEqual(Object.keys(withoutTime(light[0] ?? '')), Object.keys(withoutTime(pino[0] ?? '')));
    });
  }

  test('an error carries type, message, stack and its own fields', () => {
    const [line] = linesOf((fd) => createLightLogger('info', 'json', 'collector', fd),
      (l) => l.warn({ err: errors.system }, 'cannot read'));
    const { err } = JSON.parse(line ?? '') as { err: Record<string, unknown> };
    assert.equal(err.type, 'Error');
    assert.match(String(err.message), /^ENOENT: no such file or directory/);
    assert.match(String(err.stack), /^Error: ENOENT[^\n]*\n\s+at /);
    assert.equal(err.code, 'ENOENT');
    assert.equal(err.syscall, 'open');
  });

  test('the caller\'s object keeps its secret', () => {
    const fields = { config: { pushToken: 'p' } };
    linesOf((fd) => createLightLogger('info', 'json', 'collector', fd), (l) => l.info(fields, 'x'));
    assert.equal(fields.config.pushToken, 'p');
  });
});

describe('light logger, levels', () => {
  const each = (l: Log) => { l.debug({ n: 1 }, 'd'); l.info({ n: 2 }, 'i'); l.warn({ n: 3 }, 'w'); l.error({ n: 4 }, 'e'); };
  const cases: { level: LogLevel; want: number[] }[] = [
    { level: 'debug', want: [20, 30, 40, 50] },
    { level: 'info', want: [30, 40, 50] },
    { level: 'warn', want: [40, 50] },
    { level: 'error', want: [50] },
  ];
  for (const { level, want } of cases) {
    test(`at ${level}: levels ${want.join(', ')}, as pino`, () => {
      const light = linesOf((fd) => createLightLogger(level, 'json', 'collector', fd), each);
      const pino = linesOf((fd) => createLogger(level, 'json', 'collector', fd), each);
      assert.deepEqual(light.map((l) => (JSON.parse(l) as { level: number }).level), want);
      assert.deepEqual(light.map(withoutTime), pino.map(withoutTime));
      assert.deepEqual(linesOf((fd) => createLightLogger(level, 'json', 'c', fd).child({ a: 1 }), each).length, want.length);
    });
  }
});

describe('light logger, text lines', () => {
  const cut = (line: string) => line.slice(line.indexOf(' ')); // the time
  for (const { name, use } of calls) {
    test(`${name}: the same line as log.ts's text format`, () => {
      const format: LogFormat = 'text';
      const light = linesOf((fd) => createLightLogger('debug', format, 'collector', fd), use);
      const pino = linesOf((fd) => createLogger('debug', format, 'collector', fd), use);
      assert.deepEqual(light.map(cut), pino.map(cut));
    });
  }

  test('an error reads as its message', () => {
    const [line] = linesOf((fd) => createLightLogger('info', 'text', 'collector', fd),
      (l) => l.error({ err: new Error('no space left') }, 'spool failed'));
    assert.match(line ?? '', / ERROR collector: spool failed err="no space left"$/);
  });
});

describe('held light logger', () => {
  test('holds lines until release, then writes them in order and later ones at once', () => {
    const path = join(dir, 'held.log');
    const fd = openSync(path, 'w');
    const { logger, release } = createHeldLightLogger('info', 'json', 'collector', fd);
    logger.info({ n: 1 }, 'one');
    logger.error({ n: 2 }, 'two');
    logger.debug({ n: 0 }, 'filtered');
    assert.equal(readFileSync(path, 'utf8'), '');
    release();
    logger.info({ n: 3 }, 'three');
    closeSync(fd);
    const lines = readFileSync(path, 'utf8').split('\n').filter((l) => l !== '');
    assert.deepEqual(lines.map((l) => (JSON.parse(l) as { msg: string }).msg), ['one', 'two', 'three']);
  });
});

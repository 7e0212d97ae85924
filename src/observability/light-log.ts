// The collector's logger: pino's JSON line shape (level number, ISO time, name, bindings, fields, msg; err as
// pino's serializer writes it; the same secrets redacted) without loading pino, which cost the collector 20 ms of CPU
// and 0.8 MiB before its first sample (docs/decisions.md, "Collector logs without pino").
import { fs } from '../node-builtins.ts';

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const LOG_FORMATS = ['json', 'text'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** Paths redacted in every record; `*` is any top-level key (pino's redact syntax, which log.ts passes on). */
export const REDACT = [
  'token', 'pushToken', 'readToken', 'hmacKey', 'authorization',
  '*.token', '*.pushToken', '*.readToken', '*.hmacKey', '*.authorization',
  'req.headers.authorization', 'headers.authorization',
] as const;
export const REDACTED = '[redacted]';

type LogFn = {
  (fields: object, msg?: string): void;
  (msg: string): void;
};
/** What the collector calls on a logger; a pino Logger is one too, so tests may pass `pino({ level: 'silent' })`. */
export type Log = {
  readonly debug: LogFn;
  readonly info: LogFn;
  readonly warn: LogFn;
  readonly error: LogFn;
  child(bindings: Record<string, unknown>): Log;
};

// pino's numbers, which log shippers map back to names.
const LEVEL_NUMBER = { debug: 20, info: 30, warn: 40, error: 50 } as const;
const LEVEL_NAME: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };

type Sink = (record: Record<string, unknown>) => void;

function makeLog(threshold: number, sink: Sink, bindings: Record<string, unknown>): Log {
  const at = (level: LogLevel): LogFn => {
    const n = LEVEL_NUMBER[level];
    if (n < threshold) return () => {};
    return (first: object | string, msg?: string) => {
      let fields: object = typeof first === 'string' ? {} : first;
      let text = typeof first === 'string' ? first : msg;
      if (fields instanceof Error) { // pino files a bare Error under `err`, its message the line's by default
        text ??= fields.message;
        fields = { err: fields };
      }
      const record: Record<string, unknown> = { level: n, time: new Date().toISOString(), ...bindings };
      for (const [k, v] of Object.entries(fields)) record[k] = k === 'err' ? serializeError(v) : v;
      redact(record);
      if (text !== undefined) record.msg = text;
      sink(record);
    };
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'),
    child: (more) => makeLog(threshold, sink, { ...bindings, ...more }) };
}

/** pino-std-serializers' err: type, message and stack (causes appended), then the error's enumerable fields. */
export function serializeError(err: unknown): unknown {
  if (typeof err !== 'object' || err === null || typeof (err as { message?: unknown }).message !== 'string') return err;
  const e = err as Error & Record<string, unknown>;
  const causes: Error[] = [];
  for (let c = e.cause; c instanceof Object && typeof (c as Error).message === 'string' && causes.length < 10;
    c = (c as Error).cause) causes.push(c as Error);
  const out: Record<string, unknown> = {
    type: typeof e.constructor === 'function' ? e.constructor.name : e.name,
    message: [e.message, ...causes.map((c) => c.message)].join(': '),
    stack: [e.stack ?? '', ...causes.map((c) => c.stack ?? '')].join('\ncaused by: '),
  };
  for (const key in e) if (out[key] === undefined && key !== 'cause') out[key] = e[key];
  return out;
}

function redact(record: Record<string, unknown>): void {
  for (const path of REDACT) {
    const [head = '', ...rest] = path.split('.');
    if (head !== '*') redactAt(record, [head, ...rest]);
    else for (const k of Object.keys(record)) if (isObject(record[k])) redactAt(record, [k, ...rest]);
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/** Sets the value at `path` to REDACTED where it exists, copying the objects on the way: the caller's keep theirs. */
function redactAt(record: Record<string, unknown>, path: readonly string[]): void {
  const last = path.at(-1) ?? '';
  let probe: unknown = record;
  for (const k of path.slice(0, -1)) probe = isObject(probe) ? probe[k] : undefined;
  if (!isObject(probe) || !Object.hasOwn(probe, last)) return;
  let at = record;
  for (const k of path.slice(0, -1)) {
    const copy = { ...(at[k] as Record<string, unknown>) };
    at[k] = copy;
    at = copy;
  }
  at[last] = REDACTED;
}

/** One human line: `time LEVEL name: msg key=value ...`; an error reads as its message (the stack is JSON's). */
export function textLine(record: Record<string, unknown>): string {
  const { time, level, msg, name, ...rest } = record;
  const fields = Object.entries(rest).filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${textValue(k, v)}`).join(' ');
  return `${String(time)} ${LEVEL_NAME[level as number] ?? String(level)} ${String(name)}: ${String(msg)}${fields ? ' ' + fields : ''}\n`;
}

function textValue(key: string, v: unknown): string {
  if (key === 'err' && typeof v === 'object' && v !== null && 'message' in v) v = String(v.message);
  return typeof v === 'string' && !/[\s"=]/.test(v) ? v : stringify(v);
}

/** JSON.stringify, with a repeated object written as "[Circular]" as pino's safe-stable-stringify does. */
function stringify(v: unknown): string {
  try {
    return JSON.stringify(v);
  } catch {
    const seen = new WeakSet<object>();
    return JSON.stringify(v, (_k, x: unknown) => {
      if (typeof x !== 'object' || x === null) return x;
      if (seen.has(x)) return '[Circular]';
      seen.add(x);
      return x;
    });
  }
}

const writeAll = (fd: number, line: string) => { fs.writeSync(fd, line); };

function sinkFor(format: LogFormat, write: (line: string) => void): Sink {
  return format === 'json' ? (r) => write(`${stringify(r)}\n`) : (r) => write(textLine(r));
}

/** A logger writing each record synchronously to `fd` (stderr by default), as log.ts's pino logger does. */
export function createLightLogger(level: LogLevel, format: LogFormat, name: string, fd = 2): Log {
  return makeLog(LEVEL_NUMBER[level], sinkFor(format, (line) => writeAll(fd, line)), { name });
}

/** As log.ts's createHeldLogger: lines wait in memory until release(), so a wrapped command's lines stay whole. */
export function createHeldLightLogger(level: LogLevel, format: LogFormat, name: string, fd = 2)
  : { logger: Log; release: () => void } {
  let held: string[] | undefined = [];
  const logger = makeLog(LEVEL_NUMBER[level], sinkFor(format, (line) => {
    if (held === undefined) writeAll(fd, line);
    else held.push(line);
  }), { name });
  const release = () => {
    const lines = held ?? [];
    held = undefined;
    for (const line of lines) writeAll(fd, line);
  };
  return { logger, release };
}

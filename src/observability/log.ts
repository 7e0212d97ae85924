// Structured logs for both programs: pino records, secrets redacted by path as a second defence
// (the first is never logging an object that holds a token).
import { pino, destination, type Logger, type LoggerOptions } from 'pino';

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const LOG_FORMATS = ['json', 'text'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

const REDACT = [
  'token', 'pushToken', 'readToken', 'hmacKey', 'authorization',
  '*.token', '*.pushToken', '*.readToken', '*.hmacKey', '*.authorization',
  'req.headers.authorization', 'headers.authorization',
];

export const logOptions = (level: LogLevel): LoggerOptions => ({
  level,
  base: undefined, // pid and hostname add nothing in a pod's log stream
  redact: { paths: REDACT, censor: '[redacted]' },
  timestamp: pino.stdTimeFunctions.isoTime,
});

/**
 * A logger writing to stderr (stdout carries the summary when no endpoint is set). Synchronous: the
 * collector writes a few lines per run and exits on a signal, so no line may be lost in a buffer.
 * `text` is one human line per record: `time level msg key=value ...`.
 */
export function createLogger(level: LogLevel, format: LogFormat, name: string, fd = 2): Logger {
  const options = { ...logOptions(level), name };
  if (format === 'json') return pino(options, destination({ fd, sync: true }));
  return pino(options, textDestination(fd));
}

/**
 * A logger whose lines wait in memory until release(): `collector run` shares stderr with the command it runs,
 * and a log line written while the command is half-way through a line of its own would split that line.
 * Errors still wait; the few lines a run logs cost nothing to keep.
 */
export function createHeldLogger(level: LogLevel, format: LogFormat, name: string, fd = 2): { logger: Logger; release: () => void } {
  const out = format === 'json' ? destination({ fd, sync: true }) : textDestination(fd);
  let held: string[] | undefined = [];
  const logger = pino({ ...logOptions(level), name }, {
    write(line: string) {
      if (held === undefined) out.write(line);
      else held.push(line);
    },
  });
  const release = () => {
    const lines = held ?? [];
    held = undefined;
    for (const line of lines) out.write(line);
  };
  return { logger, release };
}

function textDestination(fd: number): { write(line: string): void } {
  const out = destination({ fd, sync: true });
  const levels: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
  return {
    write(line: string) {
      const { time, level, msg, name, ...rest } = JSON.parse(line) as Record<string, unknown>;
      const fields = Object.entries(rest)
        .map(([k, v]) => `${k}=${textValue(k, v)}`)
        .join(' ');
      out.write(`${String(time)} ${levels[level as number] ?? String(level)} ${String(name)}: ${String(msg)}${fields ? ' ' + fields : ''}\n`);
    },
  };
}

function textValue(key: string, v: unknown): string {
  // An error reads as its message on a text line; the stack belongs in JSON logs.
  if (key === 'err' && typeof v === 'object' && v !== null && 'message' in v) v = String(v.message);
  return typeof v === 'string' && !/[\s"=]/.test(v) ? v : JSON.stringify(v);
}

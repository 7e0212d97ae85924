// Structured logs for the receiver: pino records, secrets redacted by path as a second defence
// (the first is never logging an object that holds a token). The collector logs through light-log.ts instead.
import { pino, destination, type Logger, type LoggerOptions } from 'pino';
import { REDACT, REDACTED, textLine, type LogFormat, type LogLevel } from './light-log.ts';

// The level and format lists live with the collector's pino-free logger (light-log.ts); the receiver takes them here.
export { LOG_FORMATS, LOG_LEVELS, type LogFormat, type LogLevel } from './light-log.ts';

export const logOptions = (level: LogLevel): LoggerOptions => ({
  level,
  base: undefined, // pid and hostname add nothing in a pod's log stream
  redact: { paths: [...REDACT], censor: REDACTED },
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
  return { write: (line: string) => out.write(textLine(JSON.parse(line) as Record<string, unknown>)) };
}

// The receiver's command line: flags and environment in, a validated ReceiverConfig out.
// Past this boundary nothing reads process.env or argv. A bad input is a UsageError (exit 2).
import { UsageError } from '../usage-error.ts';
import { parseArgs } from 'node:util';
import { parseListenAddress, type ListenAddress } from '../listen-address.ts';
import { LOG_FORMATS, LOG_LEVELS, type LogFormat, type LogLevel } from '../observability/log.ts';
import { storeConfigFromDb, type StoreConfig } from './store/config.ts';
import { parseRetentionMs } from './maintenance/retention.ts';

export { UsageError };

export type ReceiverConfig = {
  readonly listen: ListenAddress;
  readonly store: StoreConfig;
  /** Bearer token for POST /api/v1/token and GET queries. Secret: never logged. */
  readonly readToken: string;
  /** Key of the push tokens' HMAC-SHA256. Secret: never logged. */
  readonly hmacKey: string;
  readonly logLevel: LogLevel;
  readonly logFormat: LogFormat;
  /** Serve /metrics on the main port; with a token, scrapes need `Authorization: Bearer <token>`. */
  readonly metrics: { readonly enabled: boolean; readonly token?: string | undefined };
  /** Runs received longer ago than this (ms) are deleted by a background pass; undefined = keep everything. */
  readonly retentionMs: number | undefined;
};

export const HELP = `Usage: receiver [flags]
       receiver export|import|backup [flags]   (receiver COMMAND --help for each)

Stores run summaries pushed by collectors and answers queries (see docs/receiver.md).

Commands:
  export                write stored runs as NDJSON (all, or one organisation/repository/workflow/job, a time range)
  import                load such NDJSON into a store, idempotently, keeping each run's received_at
  backup                copy a live SQLite store to a new file, consistently

Flags:
  --addr HOST:PORT      listen address; ":PORT" = all interfaces, port 0 = any free port (default ":8080")
  --db PATH|URL         SQLite file, or a postgres:// / postgresql:// URL for PostgreSQL (default "metrics.db")
  --read-token TOKEN    bearer token for minting push tokens and querying (else RECEIVER_READ_TOKEN; required)
  --hmac-key KEY        key that push tokens are derived from (else RECEIVER_HMAC_KEY; required)
  --log-level LEVEL     debug, info, warn or error (default "info")
  --log-format FORMAT   json or text (default "json")
  --metrics-token TOKEN bearer token that GET /metrics requires (else RECEIVER_METRICS_TOKEN; default: none)
  --no-metrics          do not serve GET /metrics
  --retention DURATION  delete runs received longer ago than this: days ("30d") or a Go duration ("720h")
                        (default: keep everything)
  -h, --help            show this help

Environment:
  RECEIVER_READ_TOKEN, RECEIVER_HMAC_KEY   the secrets, when the flags are not given (preferred: flags show in ps)
  RECEIVER_METRICS_TOKEN                    the metrics token, when --metrics-token is not given
  PGPASSWORD and other PG* variables        fill what a PostgreSQL URL leaves out
`;

const bad = (flag: string, value: string, want: string) =>
  new UsageError(`${flag}: ${JSON.stringify(value)} is not ${want}`);

export function parseReceiverConfig(argv: readonly string[], env: NodeJS.ProcessEnv): ReceiverConfig | 'help' {
  const { values: v, positionals } = parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: true,
    allowNegative: true,
    options: {
      addr: { type: 'string', default: ':8080' },
      db: { type: 'string', default: 'metrics.db' },
      'read-token': { type: 'string' },
      'hmac-key': { type: 'string' },
      'log-level': { type: 'string', default: 'info' },
      'log-format': { type: 'string', default: 'json' },
      'metrics-token': { type: 'string' },
      metrics: { type: 'boolean', default: true },
      retention: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (v.help) return 'help';
  if (positionals.length > 0) throw new UsageError('unexpected argument (not echoed: it may be a secret)');
  const listen = parseListenAddress(v.addr);
  if (listen === undefined) throw bad('--addr', v.addr, 'HOST:PORT or :PORT');
  if (v.db === '') throw new UsageError('--db: empty');
  const logLevel = LOG_LEVELS.find((l) => l === v['log-level']);
  if (logLevel === undefined) throw bad('--log-level', v['log-level'], `one of ${LOG_LEVELS.join(', ')}`);
  const logFormat = LOG_FORMATS.find((f) => f === v['log-format']);
  if (logFormat === undefined) throw bad('--log-format', v['log-format'], `one of ${LOG_FORMATS.join(', ')}`);
  const retentionMs = v.retention === undefined ? undefined : parseRetentionMs(v.retention);
  if (v.retention !== undefined && retentionMs === undefined) throw bad('--retention', v.retention, 'a duration such as 30d or 720h');
  return {
    listen,
    store: storeConfigFromDb(v.db),
    readToken: secret(v['read-token'], env.RECEIVER_READ_TOKEN, '--read-token', 'RECEIVER_READ_TOKEN'),
    hmacKey: secret(v['hmac-key'], env.RECEIVER_HMAC_KEY, '--hmac-key', 'RECEIVER_HMAC_KEY'),
    logLevel,
    logFormat,
    metrics: { enabled: v.metrics, token: optionalSecret(v['metrics-token'], env.RECEIVER_METRICS_TOKEN, '--metrics-token', 'RECEIVER_METRICS_TOKEN') },
    retentionMs,
  };
}

function optionalSecret(flag: string | undefined, fromEnv: string | undefined, flagName: string, envName: string): string | undefined {
  return flag === undefined && fromEnv === undefined ? undefined : secret(flag, fromEnv, flagName, envName);
}

/** The flag wins over the variable. A message never contains the value: it is a secret. */
function secret(flag: string | undefined, fromEnv: string | undefined, flagName: string, envName: string): string {
  const value = flag ?? fromEnv;
  if (value === undefined) throw new UsageError(`${flagName} or ${envName} is required`);
  if (value.trim() === '') throw new UsageError(`${flag === undefined ? envName : flagName} is empty`);
  return value;
}

// The receiver's subcommands' command lines (issue 12): `receiver export|import|backup [flags]` → a validated
// command. Plain data and no driver imports, so that a usage error answers at once; running them is commands.ts's.
import { parseArgs } from 'node:util';
import { rfc3339ToStoredTime } from '../http/query-options.ts';
import type { ExportFilter } from '../maintenance/export.ts';
import { storeConfigFromDb, type StoreConfig } from '../store/config.ts';
import { UsageError } from '../../usage-error.ts';

export const SUBCOMMANDS = ['export', 'import', 'backup'] as const;
export type Subcommand = (typeof SUBCOMMANDS)[number];

export type Command =
  | { readonly kind: 'export'; readonly store: StoreConfig; readonly filter: ExportFilter; readonly out: string | undefined }
  | { readonly kind: 'import'; readonly store: StoreConfig; readonly input: string | undefined }
  | { readonly kind: 'backup'; readonly db: string; readonly out: string }
  | { readonly kind: 'help'; readonly text: string };

const DB_FLAG = '  --db PATH|URL         SQLite file, or a postgres:// / postgresql:// URL (default "metrics.db")\n';

export const SUBCOMMAND_HELP: Readonly<Record<Subcommand, string>> = {
  export: `Usage: receiver export [flags]

Writes stored runs as NDJSON, one run a line, in the order they were first stored (format: docs/receiver.md).

Flags:
${DB_FLAG}  --organization NAME   only this organisation's runs (exact stored value; likewise the next three)
  --repository NAME     only this repository's runs, e.g. my-org/my-repo
  --workflow NAME       only this workflow's runs
  --job NAME            only this job's runs
  --since TIME          only runs received at or after this RFC 3339 time
  --until TIME          only runs received before this RFC 3339 time
  --out FILE            write here (complete or not at all) instead of stdout
  -h, --help            show this help
`,
  import: `Usage: receiver import [flags] [FILE]

Loads NDJSON written by 'receiver export' from FILE (or stdin, also as "-") into the store, each run with its
own received_at. Loading the same runs again changes nothing. Prints the counts at the end.

Flags:
${DB_FLAG}  -h, --help            show this help
`,
  backup: `Usage: receiver backup --db FILE --out FILE

Writes a consistent copy of an SQLite store, live or not, to a new file. For PostgreSQL use pg_dump.

Flags:
  --db FILE             the SQLite store (default "metrics.db")
  --out FILE            the copy; must not exist (required)
  -h, --help            show this help
`,
};

const nonEmpty = (flag: string, value: string | undefined) => {
  if (value === '') throw new UsageError(`${flag}: empty`);
  return value;
};

/** A bound as the stores keep it; a UsageError naming the flag and value otherwise. */
function time(flag: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const stored = rfc3339ToStoredTime(value);
  if (stored === undefined) throw new UsageError(`${flag}: ${JSON.stringify(value)} is not an RFC 3339 time such as 2026-02-06T14:30:00Z`);
  return stored;
}

export function parseSubcommand(name: Subcommand, argv: readonly string[]): Command {
  const { values: v, positionals } = parseArgs({
    args: [...argv], strict: true, allowPositionals: name === 'import',
    options: {
      db: { type: 'string', default: 'metrics.db' }, help: { type: 'boolean', short: 'h', default: false },
      ...(name === 'export' ? { organization: { type: 'string' }, repository: { type: 'string' }, workflow: { type: 'string' },
        job: { type: 'string' }, since: { type: 'string' }, until: { type: 'string' } } : {}),
      ...(name === 'import' ? {} : { out: { type: 'string' } }),
    },
  });
  if (v.help === true) return { kind: 'help', text: SUBCOMMAND_HELP[name] };
  const db = nonEmpty('--db', v.db)!;
  const str = (flag: string) => nonEmpty(`--${flag}`, v[flag as keyof typeof v] as string | undefined);
  if (name === 'import') {
    if (positionals.length > 1) throw new UsageError(`${JSON.stringify(positionals[1])}: one input file at most`);
    const input = nonEmpty('FILE', positionals[0]);
    return { kind: 'import', store: storeConfigFromDb(db), input: input === '-' ? undefined : input };
  }
  if (name === 'backup') {
    const store = storeConfigFromDb(db);
    if (store.kind === 'postgres') throw new UsageError('--db: a PostgreSQL store is backed up with pg_dump, not receiver backup');
    const out = str('out');
    if (out === undefined) throw new UsageError('--out is required');
    return { kind: 'backup', db, out };
  }
  const since = time('--since', str('since')), until = time('--until', str('until'));
  if (since !== undefined && until !== undefined && since >= until) {
    throw new UsageError(`--until: ${JSON.stringify(v.until)} is not after --since ${JSON.stringify(v.since)}`);
  }
  const filter: ExportFilter = { organization: str('organization'), repository: str('repository'), workflow: str('workflow'),
    job: str('job'), since, until };
  return { kind: 'export', store: storeConfigFromDb(db), filter, out: str('out') };
}

/** A UsageError, or parseArgs's TypeError for an unknown or malformed flag. */
export const isUsageError = (err: unknown): boolean =>
  err instanceof UsageError || ((err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS_') ?? false);

/** The message to print for a usage error: Node's first sentence only, without its hint about positionals. */
export const usageMessage = (err: Error): string => err.message.replace(/\. To specify a positional argument.*$/s, '');

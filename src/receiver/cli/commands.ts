// Runs `receiver export|import|backup` (issue 12): parse, open the store, move the runs, report on stderr.
// Exit status: 0 done, 1 failed (a malformed line, a store error), 2 usage error.
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { exportLines } from '../maintenance/export.ts';
import { ImportLineError } from '../maintenance/import-line-error.ts';
import { importLines, type ImportCounts } from '../maintenance/import.ts';
import { backupSqlite } from '../maintenance/backup.ts';
import { openStore } from '../store/open.ts';
import type { StoreConfig } from '../store/config.ts';
import type { Store } from '../store/types.ts';
import { UsageError } from '../../usage-error.ts';
import { isUsageError, parseSubcommand, usageMessage, type Command, type Subcommand } from './args.ts';

export async function runSubcommand(name: Subcommand, argv: readonly string[]): Promise<number> {
  const say = (line: string) => process.stderr.write(`receiver ${name}: ${line}\n`);
  let command: Command;
  try {
    command = parseSubcommand(name, argv);
  } catch (err) {
    if (!isUsageError(err)) throw err;
    say(usageMessage(err as Error));
    process.stderr.write(`Try 'receiver ${name} --help'.\n`);
    return 2;
  }
  try {
    switch (command.kind) {
      case 'help': process.stdout.write(command.text); return 0;
      case 'backup': {
        const { runs, bytes } = backupSqlite(command.db, command.out);
        say(`${runs} runs, ${bytes} bytes, copied to ${command.out}`);
        return 0;
      }
      case 'export': {
        requireExisting(command.store);
        const { runs, cut } = await withStore(command.store, (store) => exportTo(store, command.filter, command.out));
        say(cut ? `stopped after ${runs} runs: the reader closed stdout` : `${runs} runs${command.out === undefined ? '' : ` written to ${command.out}`}`);
        return 0;
      }
      case 'import': {
        const input = command.input === undefined ? process.stdin : createReadStream(command.input);
        const counts = await withStore(command.store, (store) => importLines(store, input));
        say(describe(counts));
        return 0;
      }
    }
  } catch (err) {
    if (err instanceof UsageError) {
      say(err.message);
      return 2;
    }
    if (err instanceof ImportLineError) {
      const counts = (err as ImportLineError & { counts?: ImportCounts }).counts;
      say(`${err.message}; stopped there${counts === undefined ? '' : ` after ${describe(counts)}`}`);
      return 1;
    }
    say(`failed: ${(err as Error).message}`);
    return 1;
  }
}

const describe = (c: ImportCounts) =>
  `${c.lines} lines: ${c.imported} imported, ${c.replaced} replaced, ${c.unchanged} unchanged, ${c.skipped} skipped`;

/** Reading a store that is not there would create an empty one and export nothing, silently. */
function requireExisting(store: StoreConfig): void {
  if (store.kind === 'sqlite' && !existsSync(store.path)) throw new UsageError(`--db: ${JSON.stringify(store.path)} does not exist`);
}

async function withStore<T>(config: StoreConfig, body: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore(config);
  try {
    return await body(store);
  } finally {
    await store.close();
  }
}

/** Streams the lines to stdout, or to `out` through a temporary file renamed when complete and on disk. */
async function exportTo(store: Store, filter: Parameters<typeof exportLines>[1], out: string | undefined): Promise<{ runs: number; cut: boolean }> {
  let runs = 0;
  const counted = async function* () {
    for await (const line of exportLines(store, filter)) {
      runs += 1;
      yield line;
    }
  };
  if (out === undefined) {
    try {
      await pipeline(Readable.from(counted()), process.stdout as Writable, { end: false });
    } catch (err) {
      // `receiver export | head` closes the pipe early: what the reader wanted it has, as with any Unix filter.
      if ((err as NodeJS.ErrnoException).code !== 'EPIPE') throw err;
      return { runs, cut: true };
    }
    return { runs, cut: false };
  }
  const partial = `${out}.partial-${process.pid}`;
  try {
    // mode: runs hold organisation and repository names, not for every user; flush: fsync before close.
    await pipeline(Readable.from(counted()), createWriteStream(partial, { mode: 0o600, flush: true }));
  } catch (err) {
    await rm(partial, { force: true });
    throw err;
  }
  await rename(partial, out);
  return { runs, cut: false };
}

// Summaries that could not be pushed, kept on disk until a later start (or `collector flush`) delivers them.
// Writes are atomic (temp file, fsync, rename, fsync of the directory): a reader sees a whole file or none,
// also after a crash. A spooled file holds the push token (mode 0600): without it nobody could deliver it.
import { compareText } from '../compare.ts';
import { fs } from '../node-builtins.ts';
import { join } from 'node:path';
import type { PushBody } from '../summary/types.ts';

export type Spooled = { readonly endpoint: string; readonly token: string; readonly body: PushBody; readonly spooledAt: string };
export type SpoolEntry = { readonly path: string; readonly spooled: Spooled };

const SUFFIX = '.summary.json';

export class Spool {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  /** Writes one summary; the file is named after its execution_id, so spooling a run twice keeps one file. */
  write(endpoint: URL, token: string, body: PushBody): string {
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const name = `${body.execution_id.replace(/[^\w-]/g, '_')}${SUFFIX}`;
    const path = join(this.dir, name);
    const tmp = join(this.dir, `.${name}.${process.pid}.tmp`);
    const data: Spooled = { endpoint: endpoint.href, token, body, spooledAt: new Date().toISOString() };
    const fd = fs.openSync(tmp, 'w', 0o600);
    try {
      fs.writeSync(fd, JSON.stringify(data));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, path);
    const dirFd = fs.openSync(this.dir, 'r'); // the rename itself is durable only once the directory is synced
    try { fs.fsyncSync(dirFd); } finally { fs.closeSync(dirFd); }
    return path;
  }

  /** Spooled summaries, oldest first. A file that cannot be read or parsed is reported, not deleted. */
  list(): { entries: SpoolEntry[]; unreadable: string[] } {
    let names: string[];
    try {
      names = fs.readdirSync(this.dir).filter((n) => n.endsWith(SUFFIX) && !n.startsWith('.'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { entries: [], unreadable: [] };
      throw err;
    }
    const entries: SpoolEntry[] = [], unreadable: string[] = [];
    for (const name of names) {
      const path = join(this.dir, name);
      try {
        const spooled = JSON.parse(fs.readFileSync(path, 'utf8')) as Spooled;
        if (typeof spooled.endpoint !== 'string' || typeof spooled.token !== 'string' || typeof spooled.body?.execution_id !== 'string') {
          throw new Error('not a spooled summary');
        }
        entries.push({ path, spooled });
      } catch {
        unreadable.push(path);
      }
    }
    entries.sort((a, b) => compareText(a.spooled.spooledAt, b.spooled.spooledAt)); // ISO 8601 times in UTC sort as text
    return { entries, unreadable };
  }

  remove(path: string): void {
    fs.rmSync(path, { force: true });
  }
}

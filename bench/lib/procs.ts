// What the benchmarks read about processes: CPU time and memory of a PID from /proc, the number of
// processes in /proc, and sets of idle processes (idle-holder.c) started and stopped by their holder's PID.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseAuxv } from '../../src/proc/auxv.ts';
import { Child, onCleanup } from './children.ts';

export const { clockTicks: HZ, pageSize: PAGE_SIZE } = parseAuxv(readFileSync('/proc/self/auxv'));

/** utime+stime of a whole process (all its threads) in clock ticks: fields 14 and 15, counted after the last ')'. */
export function cpuTicks(pid: number): number {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]);
}

/** CPU seconds of a process so far. */
export const cpuSeconds = (pid: number): number => cpuTicks(pid) / HZ;

/**
 * VmRSS and VmHWM of a process, in MiB, and VmRSS split into RssAnon (its own memory: heap, stacks) and RssFile
 * (mapped files: for Node mostly the pages of the `node` binary it touched, shared with other Node processes).
 */
export function memoryMiB(pid: number): { rss: number; hwm: number; anon: number; file: number } {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? NaN);
  return { rss: kib('VmRSS') / 1024, hwm: kib('VmHWM') / 1024, anon: kib('RssAnon') / 1024, file: kib('RssFile') / 1024 };
}

/** Where a process's resident memory is, in MiB, from /proc/<pid>/smaps: the parts a Node program can and cannot move. */
export type MemoryMap = {
  /** Executable pages of the node binary (its code, V8's compilers, the builtins V8 remaps near its code range). */
  readonly nodeCode: number;
  /** Read-only pages of the node binary (V8's snapshot, ICU data, tables). */
  readonly nodeData: number;
  /** malloc's main arena ([heap]): V8's compiler zones, parser and ICU allocations, node's C++ objects. */
  readonly mallocHeap: number;
  /** Other anonymous pages: V8's heap spaces, mmap'ed malloc chunks, stacks. */
  readonly otherAnon: number;
  /** Shared libraries and everything else. */
  readonly rest: number;
};

export function memoryMap(pid: number): MemoryMap {
  const m = { nodeCode: 0, nodeData: 0, mallocHeap: 0, otherAnon: 0, rest: 0 };
  const node = realpathSync(`/proc/${pid}/exe`);
  let bucket: keyof typeof m = 'rest';
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const header = /^[0-9a-f]+-[0-9a-f]+ (\S+) \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (header !== null) {
      const [, perms = '', path = ''] = header;
      bucket = path === node ? (perms.includes('x') ? 'nodeCode' : 'nodeData') : path === '[heap]' ? 'mallocHeap'
        : path === '' ? 'otherAnon' : 'rest';
      // node's writable data segment is its own copy: anonymous once written, like the rest of what it allocates.
      if (path === node && perms.startsWith('rw')) bucket = 'otherAnon';
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss !== null) m[bucket] += Number(rss[1]) / 1024;
  }
  return m;
}

/** Numeric entries of /proc: processes, kernel threads included. */
export function procCount(): number {
  let n = 0;
  for (const name of readdirSync('/proc')) if (name.charCodeAt(0) >= 0x30 && name.charCodeAt(0) <= 0x39) n++;
  return n;
}

/**
 * N idle processes, children of idle-holder.c (fork + pause; the holder reaps them), which the same pattern as
 * the anchors' spawn-idle.sh starts and stops in seconds instead of a minute on a loaded VM.
 */
export class IdleProcesses {
  readonly #bin: string;
  #holder: Child | undefined;

  constructor(scratch: string) {
    this.#bin = `${scratch}/idle-holder`;
    execFileSync('cc', ['-O2', '-Wall', '-Wextra', '-o', this.#bin, fileURLToPath(new URL('idle-holder.c', import.meta.url))], { stdio: 'inherit' });
    onCleanup(() => this.stop());
  }

  async start(count: number): Promise<void> {
    await this.stop();
    const holder = new Child(this.#bin, [String(count), '3600']);
    this.#holder = holder;
    await holder.waitFor((l) => l.startsWith('ready'), 300_000, `${count} idle processes`);
    await new Promise((r) => setTimeout(r, 500)); // let the fork storm settle
  }

  /** Stops exactly the processes it started (the holder kills and reaps them) and waits until they are gone. Idempotent. */
  async stop(): Promise<void> {
    const holder = this.#holder;
    this.#holder = undefined;
    if (holder !== undefined) await holder.stop(60_000);
  }
}

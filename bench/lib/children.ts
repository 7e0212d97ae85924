// Child processes of a benchmark: spawned, followed line by line, and always stopped by their own PID,
// also when the benchmark fails or is interrupted. Nothing else is ever signalled.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { createInterface } from 'node:readline';

const cleanups: (() => void | Promise<void>)[] = [];
let installed = false;

/** Runs `fn` when the benchmark ends, fails or is interrupted (last registered, first run). */
export function onCleanup(fn: () => void | Promise<void>): void {
  cleanups.push(fn);
  if (installed) return;
  installed = true;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void runCleanups().finally(() => process.exit(130));
    });
  }
}

export async function runCleanups(): Promise<void> {
  while (cleanups.length > 0) {
    const fn = cleanups.pop()!;
    try {
      await fn();
    } catch (err) {
      process.stderr.write(`bench: cleanup failed: ${(err as Error).message}\n`);
    }
  }
}

type Waiter = { readonly test: (line: string) => boolean; readonly resolve: (line: string) => void };

/** A spawned program whose stdout and stderr lines can be awaited. */
export class Child {
  readonly proc: ChildProcess;
  readonly pid: number;
  readonly lines: string[] = [];
  #waiters: Waiter[] = [];
  readonly #listeners: ((line: string) => void)[] = [];
  #exited: Promise<number | null>;
  #done = false;

  constructor(command: string, args: readonly string[], options: SpawnOptions = {}, keepLines = false) {
    this.proc = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
    if (this.proc.pid === undefined) throw new Error(`cannot start ${command}`);
    this.pid = this.proc.pid;
    this.#exited = new Promise((resolve) => this.proc.once('exit', (code) => { this.#done = true; resolve(code); }));
    for (const stream of [this.proc.stdout, this.proc.stderr]) {
      if (stream === null || stream === undefined) continue;
      createInterface({ input: stream }).on('line', (line) => {
        if (keepLines) this.lines.push(line);
        for (const l of this.#listeners) l(line);
        const hit = this.#waiters.filter((w) => w.test(line));
        this.#waiters = this.#waiters.filter((w) => !hit.includes(w));
        for (const w of hit) w.resolve(line);
      });
    }
    onCleanup(async () => { await this.stop(); });
  }

  get exited(): boolean {
    return this.#done;
  }

  /** Calls `fn` with every later line of stdout and stderr. */
  onLine(fn: (line: string) => void): void {
    this.#listeners.push(fn);
  }

  /** The next line for which `test` holds; rejects after `timeoutMs` or when the program exits first. */
  waitFor(test: (line: string) => boolean, timeoutMs: number, what: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
      const waiter: Waiter = { test, resolve: (line) => { clearTimeout(timer); resolve(line); } };
      this.#waiters.push(waiter);
      void this.#exited.then((code) => {
        if (!this.#waiters.includes(waiter)) return;
        clearTimeout(timer);
        reject(new Error(`${what}: the program exited (code ${code}) first`));
      });
    });
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code once the process is gone. Idempotent. */
  async stop(graceMs = 5_000): Promise<number | null> {
    if (!this.#done) {
      this.proc.kill('SIGTERM');
      const timer = setTimeout(() => { if (!this.#done) this.proc.kill('SIGKILL'); }, graceMs);
      await this.#exited;
      clearTimeout(timer);
    }
    return this.#exited;
  }

  wait(): Promise<number | null> {
    return this.#exited;
  }
}

/** Runs a program to its end and returns its stdout; throws with its stderr on a non-zero exit. */
export function runToEnd(command: string, args: readonly string[], options: SpawnOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
    let out = '', err = '';
    p.stdout?.on('data', (b: Buffer) => { out += b.toString(); });
    p.stderr?.on('data', (b: Buffer) => { err += b.toString(); });
    onCleanup(() => { if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL'); });
    p.once('error', reject);
    p.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${command} ${args.join(' ')}: exit ${code}\n${err}`))));
  });
}

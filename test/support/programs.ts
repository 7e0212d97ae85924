// Starting the programs under test as real child processes, and waiting on them without sleeps.
import { spawn, type ChildProcess } from 'node:child_process';
import { after } from 'node:test';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const NODE = process.execPath;

export type Started = { readonly child: ChildProcess; stdout: string; stderr: string; readonly exited: Promise<number | null> };

/** Process groups of the programs started by this test file: whatever is left of them dies with the file. */
const groups = new Set<number>();
// A failed assertion can leave a program (or a command it wraps) running: it holds the pipes below open, and the
// file, and `npm test` with it, would wait on it for ever. In CI that was 88 minutes of one orphaned shell loop.
after(() => {
  for (const pgid of groups) {
    try { process.kill(-pgid, 'SIGKILL'); } catch { /* the whole group has exited */ }
  }
});

export function startProgram(program: 'collector' | 'receiver', args: string[], env: NodeJS.ProcessEnv = {}): Started {
  // A group of its own (detached), so that the cleanup above reaches the program's children too.
  const child = spawn(`${ROOT}bin/${program}`, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  if (child.pid !== undefined) groups.add(child.pid);
  const s: Started = {
    child, stdout: '', stderr: '',
    exited: new Promise((resolve) => child.on('exit', (code) => resolve(code))),
  };
  child.stdout.on('data', (d: Buffer) => { s.stdout += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { s.stderr += d.toString(); });
  return s;
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => T | undefined | Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

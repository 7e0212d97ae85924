// Starting the programs under test as real child processes, and waiting on them without sleeps.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const NODE = process.execPath;

export type Started = { readonly child: ChildProcess; stdout: string; stderr: string; readonly exited: Promise<number | null> };

export function startProgram(program: 'collector' | 'receiver', args: string[], env: NodeJS.ProcessEnv = {}): Started {
  const child = spawn(`${ROOT}bin/${program}`, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
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

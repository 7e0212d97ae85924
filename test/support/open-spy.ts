// Records the paths a test's code opens through fs.openSync, for tests that count syscalls rather than time them.
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import type { TestContext } from 'node:test';

/** The paths opened from now until the test ends; splice(0) to take them. Modules that import openSync by name see it. */
export function recordOpens(t: Pick<TestContext, 'after' | 'mock'>): string[] {
  const opened: string[] = [];
  const real = fs.openSync;
  t.mock.method(fs, 'openSync', (...args: Parameters<typeof fs.openSync>) => {
    opened.push(String(args[0]));
    return real(...args);
  });
  syncBuiltinESMExports();
  t.after(() => { t.mock.restoreAll(); syncBuiltinESMExports(); });
  return opened;
}

// Where things are: the repository, the Node binary the benchmarks run programs with, the bundled programs,
// the anchors (baseline tools in ../shared/anchors), and a scratch folder removed at the end.
import { existsSync, mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { onCleanup } from './children.ts';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');
/** The Node that runs the bench also runs the programs: npm run puts node_modules/.bin (Node 24) first. */
export const NODE = process.execPath;
export const DIST = { collector: `${ROOT}/dist/collector.js`, receiver: `${ROOT}/dist/receiver.js` } as const;

/** The anchors folder: $RRC_ANCHORS, else shared/anchors beside the repository. */
export function anchorsDir(): string {
  const dir = process.env.RRC_ANCHORS ?? `${ROOT}/../shared/anchors`;
  if (!existsSync(`${dir}/procscan.c`)) {
    throw new Error(`anchors not found at ${dir} (procscan.c); set RRC_ANCHORS to the shared/anchors folder`);
  }
  return dir;
}

export function requireBuild(): void {
  for (const file of Object.values(DIST)) {
    if (!existsSync(file)) throw new Error(`${file} is missing: run npm run build (npm run bench builds first)`);
  }
}

/** A scratch folder for this benchmark, removed when it ends. */
export function scratchDir(name: string): string {
  const dir = mkdtempSync(`${tmpdir()}/rrc-bench-${name}-`);
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** One line naming the machine and software, for the header of every table. */
export function machineLine(): string {
  const model = cpus()[0]?.model.trim() ?? 'unknown CPU';
  let distro = '';
  try {
    distro = /^PRETTY_NAME="?([^"\n]*)/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? '';
  } catch { /* not Linux */ }
  return `${new Date().toISOString().slice(0, 10)}, Linux ${release()}, ${distro}, ${model} x${cpus().length}, ` +
    `${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} (1/5/15 min)`;
}

/** Common flags of every benchmark: --quick (short mode) and --json FILE (raw results, appended). */
export type BenchArgs = { readonly quick: boolean; readonly jsonPath: string | undefined };

export function benchArgs(argv: readonly string[] = process.argv.slice(2)): BenchArgs {
  const jsonAt = argv.indexOf('--json');
  return { quick: argv.includes('--quick'), jsonPath: jsonAt >= 0 ? argv[jsonAt + 1] : undefined };
}

// Builds the dashboard (web/) into dist/web/ with esbuild: index.html, assets/app.js and assets/app.css (uPlot's
// CSS, then ours). Everything local: the receiver serves these files, no CDN. Run by `npm run build:web`, by
// `npm run build` (scripts/build.ts) and before the tests that load the dashboard.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Builds into `outDir` (default dist/web), replacing what was there; returns the bytes written. */
export async function buildDashboard(outDir = `${root}dist/web`): Promise<number> {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(`${outDir}/assets`, { recursive: true });
  const result = await build({
    entryPoints: { app: `${root}web/main.ts` },
    outdir: `${outDir}/assets`,
    bundle: true,
    platform: 'browser',
    target: ['chrome110', 'firefox110', 'safari16'],
    format: 'esm',
    minify: true,
    sourcemap: 'linked',
    legalComments: 'linked',
    metafile: true,
    logLevel: 'warning',
  });
  copyFileSync(`${root}web/index.html`, `${outDir}/index.html`);
  return Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const bytes = await buildDashboard();
  console.log(`dist/web: ${(bytes / 1024).toFixed(0)} KiB with source maps`);
}

// Bundles each program into one ES module file under dist/ with esbuild, for the container image: one file
// to load (faster start, less memory than type stripping many modules). `node dist/collector.js` runs it.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { buildDashboard } from './build-web.ts';
import { bundleOptions, ROOT as root } from './bundle-options.ts';

rmSync(`${root}dist`, { recursive: true, force: true });
for (const program of ['collector', 'receiver'] as const) {
  const result = await build(bundleOptions(program, `${root}dist/${program}.js`));
  const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
  console.log(`dist/${program}.js: ${(bytes / 1024).toFixed(0)} KiB with source map`);
}
// The dashboard's files, which dist/receiver.js serves from dist/web (src/receiver/dashboard/serve.ts).
console.log(`dist/web: ${((await buildDashboard()) / 1024).toFixed(0)} KiB with source maps`);

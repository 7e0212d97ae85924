// Bundles each program into one ES module file under dist/ with esbuild, for the container image: one file
// to load (faster start, less memory than type stripping many modules). `node dist/collector.js` runs it.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildDashboard } from './build-web.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
rmSync(`${root}dist`, { recursive: true, force: true });
for (const program of ['collector', 'receiver']) {
  const result = await build({
    entryPoints: [`${root}src/${program}/main.ts`],
    outfile: `${root}dist/${program}.js`,
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'esm',
    minifySyntax: true,
    sourcemap: 'linked',
    legalComments: 'linked',
    metafile: true,
    // Some bundled CommonJS packages call require(); ESM output needs one made for it. Through getBuiltinModule,
    // not `import 'node:module'`, whose namespace loads two more modules (src/node-builtins.ts says why that counts).
    banner: { js: "const require = process.getBuiltinModule('node:module').createRequire(import.meta.url);" },
    logLevel: 'warning',
  });
  const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
  console.log(`dist/${program}.js: ${(bytes / 1024).toFixed(0)} KiB with source map`);
}
// The dashboard's files, which dist/receiver.js serves from dist/web (src/receiver/dashboard/serve.ts).
console.log(`dist/web: ${((await buildDashboard()) / 1024).toFixed(0)} KiB with source maps`);

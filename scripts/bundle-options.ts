// How a program is bundled for dist/ (scripts/build.ts), shared with the test that checks what the bundled
// collector loads (test/integration/collector-builtins.test.ts).
import type { BuildOptions } from 'esbuild';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

export function bundleOptions(program: 'collector' | 'receiver', outfile: string): BuildOptions & { metafile: true } {
  return {
    entryPoints: [`${ROOT}src/${program}/main.ts`],
    outfile,
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
  };
}

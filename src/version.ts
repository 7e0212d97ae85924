// The package version, read from package.json at import (esbuild inlines it into the bundle).
import pkg from '../package.json' with { type: 'json' };

export const VERSION: string = pkg.version;

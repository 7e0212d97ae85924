// Node's built-in modules for the collector's code, taken with process.getBuiltinModule (the module object
// `require` returns) instead of `import`. An ES module namespace of a built-in reads every one of its exports
// once, and some exports are lazy getters that load more: `import 'node:http'` materialises http.WebSocket and
// its kin from undici, which pulls in tls, crypto, http2 and zlib (97 modules, +16 MiB resident on Node 24.21),
// where the module object loads the 32 it needs; `import 'node:fs'` materialises fs.promises and its streams
// (+2.1 MiB), `import 'node:util'` 33 modules. The collector's resident memory has a budget (issue 10,
// docs/benchmarks.md). Callers use `fs.readSync(...)`, not a destructured copy, so that a test's spy on node:fs
// sees the calls. The modules used only on some paths are functions, loaded when a path first needs them.
export const fs = process.getBuiltinModule('node:fs');

export const nodeHttp = () => process.getBuiltinModule('node:http');
export const nodeHttps = () => process.getBuiltinModule('node:https');
export const nodeUtil = () => process.getBuiltinModule('node:util');
export const nodeChildProcess = () => process.getBuiltinModule('node:child_process');
export const nodeFsPromises = () => process.getBuiltinModule('node:fs/promises');
export const nodeCrypto = () => process.getBuiltinModule('node:crypto');

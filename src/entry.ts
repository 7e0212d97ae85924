// The container image's entry point (`node /app/entry.js PROGRAM [ARGS...]`): picks the program by its first
// argument and loads that bundle beside it, as if it had been started directly. No shell is needed in the image.
import { fileURLToPath } from 'node:url';
import { COLLECTOR_NODE_FLAGS } from './collector/node-flags.ts';
import { VERSION } from './version.ts';

const PROGRAMS = ['collector', 'receiver'] as const;
const usage = `Usage: PROGRAM [ARGS...]   (runner-resource-collector ${VERSION})

Programs:
  collector   measures a CI job's containers and pushes a run summary on SIGTERM ('collector --help')
  receiver    stores run summaries and answers queries ('receiver --help')
`;

const program = process.argv[2];
if (program === undefined || program === '--help' || program === '-h') {
  process.stdout.write(usage);
  process.exitCode = program === undefined ? 2 : 0;
} else if (program === '--version') {
  process.stdout.write(`runner-resource-collector ${VERSION}\n`);
} else if (!(PROGRAMS as readonly string[]).includes(program)) {
  process.stderr.write(`entry: unknown program ${JSON.stringify(program)}, want collector or receiver\n${usage}`);
  process.exitCode = 2;
} else {
  // A computed URL, so that the bundler leaves the import alone: the bundles sit beside this file in the image.
  const bundle = new URL(`./${program}.js`, import.meta.url);
  const flags = program === 'collector' ? COLLECTOR_NODE_FLAGS : [];
  // V8 takes these only at start-up, and --single-threaded not from NODE_OPTIONS: the process becomes a Node
  // started with them (same pid, so PID 1 stays PID 1 and signals still reach the program). Where execve is
  // missing (Node before 23.11) the program runs without them.
  if (flags.some((f) => !process.execArgv.includes(f)) && typeof process.execve === 'function') {
    process.execve(process.execPath, [process.execPath, ...flags, ...process.execArgv, fileURLToPath(bundle), ...process.argv.slice(3)]);
  }
  process.argv.splice(2, 1); // the program reads its own flags from argv[2] on
  await import(bundle.href);
}

// The receiver's command line entry (bin/receiver): parse flags, start, stop on SIGTERM/SIGINT.
// Everything else lives in server.ts so that tests can start a receiver in-process.
import { createLogger } from '../observability/log.ts';
import { isUsageError, SUBCOMMANDS, usageMessage } from './cli/args.ts';
import { HELP, parseReceiverConfig, type ReceiverConfig } from './config.ts';

process.title = 'receiver'; // `ps` shows the program, not Node 24's "MainThread"
// `receiver export|import|backup ...` moves or copies runs and exits (cli/); anything else starts the server.
const subcommand = SUBCOMMANDS.find((c) => c === process.argv[2]);
if (subcommand !== undefined) {
  const { runSubcommand } = await import('./cli/commands.ts');
  process.exit(await runSubcommand(subcommand, process.argv.slice(3)));
}
let config: ReceiverConfig | 'help';
try {
  config = parseReceiverConfig(process.argv.slice(2), process.env);
} catch (err) {
  // parseArgs throws TypeError with code ERR_PARSE_ARGS_* for unknown or malformed flags.
  if (!isUsageError(err)) throw err;
  process.stderr.write(`receiver: ${usageMessage(err as Error)}\nTry 'receiver --help'.\n`);
  process.exit(2);
}
if (config === 'help') {
  process.stdout.write(HELP);
  process.exit(0);
}

const logger = createLogger(config.logLevel, config.logFormat, 'receiver');
const { startReceiver } = await import('./server.ts'); // loaded after the flags: usage errors answer fast
const receiver = await startReceiver(config, { logger }).catch((err: unknown) => {
  logger.error({ err }, 'receiver failed to start');
  process.exit(1);
});

// A second signal during shutdown gets Node's default handling: the process ends at once.
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    logger.info({ signal }, 'shutting down');
    receiver.close().then(
      () => {
        logger.info('receiver stopped');
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      });
  });
}

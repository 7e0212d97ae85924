// The `collector` program: parse flags, sample until SIGTERM/SIGINT, then summarise and push (or print).
// `collector flush` delivers what earlier runs spooled.
import type { Log as Logger } from '../observability/light-log.ts';
import { createHeldLightLogger as createHeldLogger, createLightLogger as createLogger } from '../observability/light-log.ts';
import { FORWARDED, runWrapped } from './wrap.ts';
import { latchSignals, type SignalLatch } from './signals.ts';
import type { PushBody, RunSummary } from '../summary/types.ts';
import { VERSION } from '../version.ts';
import { Collector } from './collector.ts';
import { randomExecutionId } from './execution-id.ts';
import { helpText, parseCollectorArgs, UsageError, type CollectorConfig } from './config.ts';
import { Delivery } from './delivery.ts';
import { finishRun } from './finish.ts';
import { machineConstants } from './machine.ts';

async function main(argv: string[]): Promise<number | undefined> {
  // `ps` and CGROUP_PROCESS_MAP see "collector", not Node 24's "MainThread" (the kernel keeps 15 bytes of it).
  process.title = 'collector';
  let parsed;
  try {
    parsed = parseCollectorArgs(argv, process.env);
  } catch (err) {
    if (!(err instanceof UsageError) && !(err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS_')) throw err;
    process.stderr.write(`collector: ${(err as Error).message}\nTry 'collector --help'.\n`);
    return 2;
  }
  if (parsed.kind === 'help') { process.stdout.write(helpText(VERSION)); return 0; }
  if (parsed.kind === 'version') { process.stdout.write(`collector ${VERSION}\n`); return 0; }
  const config = parsed.config;
  if (parsed.kind === 'wrap') {
    const signals = latchSignals(FORWARDED);
    const { logger, release } = createHeldLogger(config.logLevel, config.logFormat, 'collector');
    return runWrapped(config, parsed.command, logger, release, signals);
  }
  if (parsed.kind === 'flush') return flush(config, createLogger(config.logLevel, config.logFormat, 'collector'));
  const signals = latchSignals(['SIGTERM', 'SIGINT']); // before anything slow: a pod stopped at once still gets its summary
  await run(config, createLogger(config.logLevel, config.logFormat, 'collector'), signals);
  return undefined; // runs until a signal
}

/** `collector flush`: every spooled summary goes to the endpoint it was spooled for. Exit 1 if any is left. */
async function flush(config: CollectorConfig, log: Logger): Promise<number> {
  const delivery = new Delivery({ endpoint: config.pushEndpoint ?? new URL('http://unused.invalid'), token: config.pushToken ?? '',
    timeoutMs: config.pushTimeoutMs, spoolDir: config.spoolDir, log });
  const left = await delivery.flushSpool(config.pushTimeoutMs);
  log.info({ spoolDir: config.spoolDir, left }, 'spool flushed');
  return left === 0 ? 0 : 1;
}

async function run(config: CollectorConfig, log: Logger, signals: SignalLatch): Promise<void> {
  const { clockTicks, pageSize } = machineConstants(log);
  const executionId = randomExecutionId();
  // prom-client (and the server) only with --metrics-addr: loading it costs ~20 MiB of the 50 MB budget.
  const observability = config.metricsAddr === undefined ? undefined : await Promise.all([
    import('../observability/collector-metrics.ts'), import('../observability/metrics-server.ts')]);
  const metrics = observability?.[0].createCollectorMetrics(VERSION);
  metrics?.setLimits(config.limits);
  const collector = new Collector(config, { clockTicks, pageSize, log, metrics });
  const delivery = config.pushEndpoint === undefined ? undefined : new Delivery({ endpoint: config.pushEndpoint,
    token: config.pushToken!, timeoutMs: config.pushTimeoutMs, spoolDir: config.spoolDir, log, metrics });
  const bodyOf = (summary: RunSummary): PushBody => ({ organization: config.scope.organization, repository: config.scope.repository,
    workflow: config.scope.workflow, job: config.scope.job, run_id: config.scope.runId, execution_id: executionId, summary });
  log.info({ version: VERSION, intervalMs: config.intervalMs, procPath: config.procPath, executionId,
    push: config.pushEndpoint?.origin ?? 'stdout', containersMapped: config.processMap.size }, 'collector started');
  collector.start();

  // What earlier runs could not deliver goes first, in the background: sampling starts at once.
  const flushed = delivery?.flushSpool(config.pushTimeoutMs).catch((err: unknown) => { log.error({ err }, 'spool flush failed'); });
  let checkpoints: NodeJS.Timeout | undefined;
  if (delivery !== undefined && config.checkpointIntervalMs > 0) {
    checkpoints = setInterval(() => delivery.checkpoint(bodyOf(collector.snapshot()), Math.min(config.pushTimeoutMs, config.checkpointIntervalMs)),
      config.checkpointIntervalMs);
  }
  if (config.metricsAddr !== undefined && metrics !== undefined && observability !== undefined) {
    observability[1].startMetricsServer(config.metricsAddr, metrics.registry, () => collector.health()).then(
      (server) => log.info({ url: server.url }, 'metrics server listening'),
      (err: unknown) => log.error({ err }, 'metrics server failed to start'), // sampling goes on: the summary matters more
    );
  }

  const abortPush = new AbortController();
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) { // a second signal: stop waiting for the receiver, spool the summary
      log.warn({ signal }, 'second signal, giving up on the push');
      abortPush.abort();
      return;
    }
    stopping = true;
    clearInterval(checkpoints);
    log.info({ signal }, 'stopping');
    const body = bodyOf(collector.stop());
    finishRun({ config, body, log, delivery, flushed, signal: abortPush.signal, printJson: true, title: config.scope.job || 'job' }).then(
      (code) => process.exit(code),
      (err: unknown) => { log.error({ err }, 'summary lost'); process.exit(1); },
    );
  };
  signals.handTo(onSignal);
}

const code = await main(process.argv.slice(2));
if (code !== undefined) process.exitCode = code;

// The `collector` program: parse flags, sample until SIGTERM/SIGINT, then summarise and push (or print).
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync, renameSync } from 'node:fs';
import { parseAuxv } from '../proc/auxv.ts';
import { createLogger } from '../observability/log.ts';
import { ticksPerSecond } from '../units.ts';
import { VERSION } from '../version.ts';
import { Collector } from './collector.ts';
import { helpText, parseCollectorArgs, UsageError, type CollectorConfig } from './config.ts';
import { pushSummary, PushError } from './push.ts';
import type { PushBody, RunSummary } from '../summary/types.ts';
import type { Logger } from 'pino';
import { createCollectorMetrics, type CollectorMetrics } from '../observability/collector-metrics.ts';
import { startMetricsServer } from '../observability/metrics-server.ts';

async function main(argv: string[]): Promise<void> {
  let config: CollectorConfig;
  try {
    const parsed = parseCollectorArgs(argv, process.env);
    if (parsed.kind === 'help') { process.stdout.write(helpText(VERSION)); return; }
    if (parsed.kind === 'version') { process.stdout.write(`collector ${VERSION}\n`); return; }
    config = parsed.config;
  } catch (err) {
    if (!(err instanceof UsageError) && !(err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS_')) throw err;
    process.stderr.write(`collector: ${(err as Error).message}\nTry 'collector --help'.\n`);
    process.exit(2);
  }
  const log = createLogger(config.logLevel, config.logFormat, 'collector');
  const { clockTicks, pageSize } = machineConstants(log);
  const executionId = randomUUID();
  const metrics = config.metricsAddr === undefined ? undefined : createCollectorMetrics(VERSION);
  metrics?.setLimits(config.limits);
  const collector = new Collector(config, { clockTicks, pageSize, log, metrics });
  log.info({ version: VERSION, intervalMs: config.intervalMs, procPath: config.procPath, executionId,
    push: config.pushEndpoint?.origin ?? 'stdout', containersMapped: config.processMap.size }, 'collector started');
  collector.start();
  if (config.metricsAddr !== undefined && metrics !== undefined) {
    try {
      const server = await startMetricsServer(config.metricsAddr, metrics.registry, () => collector.health());
      log.info({ url: server.url }, 'metrics server listening');
    } catch (err) {
      log.error({ err }, 'metrics server failed to start'); // sampling goes on: the summary matters more
    }
  }

  const abortPush = new AbortController();
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) { // a second signal: stop waiting for the receiver
      log.warn({ signal }, 'second signal, giving up on the push');
      abortPush.abort();
      return;
    }
    stopping = true;
    log.info({ signal }, 'stopping');
    const summary = collector.stop();
    finish(config, summary, executionId, log, abortPush.signal, metrics).then(
      (code) => process.exit(code),
      (err: unknown) => { log.error({ err }, 'summary lost'); process.exit(1); },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

/** The kernel's clock-tick rate and page size from our own auxv; 100 and 4096 only where it cannot be read. */
function machineConstants(log: Logger) {
  try {
    return parseAuxv(readFileSync('/proc/self/auxv'));
  } catch (err) {
    log.warn({ err }, 'cannot read /proc/self/auxv; assuming 100 clock ticks a second and 4 KiB pages');
    return { clockTicks: ticksPerSecond(100), pageSize: 4096 };
  }
}

async function finish(config: CollectorConfig, summary: RunSummary, executionId: string, log: Logger, signal: AbortSignal,
  metrics: CollectorMetrics | undefined): Promise<number> {
  const s = config.scope;
  const body: PushBody = { organization: s.organization, repository: s.repository, workflow: s.workflow, job: s.job,
    run_id: s.runId, execution_id: executionId, summary };
  const json = `${JSON.stringify(body, null, 2)}\n`;
  if (config.output !== undefined) {
    const tmp = `${config.output}.tmp-${process.pid}`;
    writeFileSync(tmp, json);
    renameSync(tmp, config.output); // a reader never sees half a file
    log.info({ path: config.output }, 'summary written');
  }
  log.info({ samples: summary.sample_count, durationSeconds: summary.duration_seconds, containers: summary.containers.length },
    'run summarised');
  if (config.pushEndpoint === undefined) {
    // stdout may be a pipe, where writes are asynchronous: exit only once the summary is out.
    await new Promise<void>((resolve, reject) => process.stdout.write(json, (err) => (err ? reject(err) : resolve())));
    return 0;
  }
  const started = performance.now();
  try {
    const result = await pushSummary(body, { endpoint: config.pushEndpoint, token: config.pushToken!, timeoutMs: config.pushTimeoutMs,
      log: log.child({ component: 'push' }), signal, onRetry: () => metrics?.observePush('retry') });
    metrics?.observePush('success', (performance.now() - started) / 1000);
    log.info({ status: result.status, attempts: result.attempts, executionId }, 'summary pushed');
    return 0;
  } catch (err) {
    if (!(err instanceof PushError)) throw err;
    metrics?.observePush('error', (performance.now() - started) / 1000);
    log.error({ status: err.status, attempts: err.attempts, reason: err.message }, 'push failed');
    return 1;
  }
}

await main(process.argv.slice(2));

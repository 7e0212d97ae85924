// The end of a run, in either mode: write --output, append the step summary, print the terminal report, then
// push (or print the JSON). Everything after the stop fits in --push-timeout.
import { fs } from '../node-builtins.ts';
import type { Log as Logger } from '../observability/light-log.ts';
import { appendStepSummary, stepSummaryMarkdown, terminalReport } from '../summary/report.ts';
import type { PushBody } from '../summary/types.ts';
import type { CollectorConfig } from './config.ts';
import type { Delivery } from './delivery.ts';

export type FinishOptions = {
  readonly config: CollectorConfig;
  readonly body: PushBody;
  readonly log: Logger;
  readonly delivery: Delivery | undefined;
  /** The flush of earlier runs' spool, waited for (briefly) before this run's push. */
  readonly flushed: Promise<unknown> | undefined;
  readonly signal: AbortSignal;
  /** Print the JSON to stdout when it is not pushed; the wrap mode leaves stdout to the command where it can. */
  readonly printJson: boolean;
  /** The report's title: the job, or the wrapped command. */
  readonly title: string;
};

/** Returns 0 when the summary reached its destination, 1 when it was spooled or refused. */
export async function finishRun(o: FinishOptions): Promise<number> {
  const { config, body, log } = o;
  const deadline = performance.now() + config.pushTimeoutMs;
  const json = `${JSON.stringify(body, null, 2)}\n`;
  const s = body.summary;
  log.info({ samples: s.sample_count, durationSeconds: s.duration_seconds, containers: s.containers.length }, 'run summarised');
  if (config.output !== undefined) {
    const tmp = `${config.output}.tmp-${process.pid}`;
    fs.writeFileSync(tmp, json);
    fs.renameSync(tmp, config.output); // a reader never sees half a file
    log.info({ path: config.output }, 'summary written');
  }
  const report = { name: o.title, limitsKnown: config.limits.size > 0 };
  if (config.stepSummary !== undefined) {
    try {
      await appendStepSummary(config.stepSummary, stepSummaryMarkdown(s, report));
      log.info({ path: config.stepSummary }, 'step summary appended');
    } catch (err) {
      log.warn({ err, path: config.stepSummary }, 'step summary not written'); // the push matters more
    }
  }
  if (config.logFormat === 'text' && process.stderr.isTTY) process.stderr.write(`\n${terminalReport(s, report)}\n`);
  if (o.delivery === undefined) {
    if (!o.printJson) return 0;
    // stdout may be a pipe, where writes are asynchronous: return only once the summary is out.
    await new Promise<void>((resolve, reject) => process.stdout.write(json, (err) => (err ? reject(err) : resolve())));
    return 0;
  }
  // Older spooled summaries first, but never at the expense of this run's deadline.
  await Promise.race([o.flushed, new Promise((r) => setTimeout(r, Math.min(2000, config.pushTimeoutMs / 4)).unref())]);
  return (await o.delivery.deliverFinal(body, deadline - performance.now(), o.signal)) === 'pushed' ? 0 : 1;
}

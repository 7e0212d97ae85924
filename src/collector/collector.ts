// The collector's lifecycle: sample every interval, and on stop take a last sample and summarise.
// Owns the timer, the sampler and the accumulator; knows nothing about signals or the network.
import type { Log as Logger } from '../observability/light-log.ts';
import { fs } from '../node-builtins.ts';
import { ContainerNamer } from '../cgroup/naming.ts';
import { identityFromCgroupFile } from '../cgroup/identity.ts';
import { cgroupMountsAt, parseMountinfo, type CgroupMount } from '../cgroup/locate.ts';
import { ContainerCounters } from '../sampling/container-counters.ts';
import type { ProcessScope } from '../sampling/sampler.ts';
import type { MeasurementMode } from '../summary/types.ts';
import { Sampler } from '../sampling/sampler.ts';
import { Accumulator } from '../summary/accumulator.ts';
import type { RunSummary } from '../summary/types.ts';
import type { TicksPerSecond } from '../units.ts';
import type { CollectorMetrics } from '../observability/collector-metrics.ts';
import type { CollectorConfig } from './config.ts';
import { VERSION } from '../version.ts';

export type CollectorDeps = {
  readonly clockTicks: TicksPerSecond;
  readonly pageSize: number;
  readonly log: Logger;
  readonly metrics?: CollectorMetrics;
  /** Wrap mode: which processes count, and the name of the job's container. */
  readonly job?: { readonly scope: ProcessScope; readonly key: string; readonly name: string; readonly mode: MeasurementMode };
};

/** /healthz turns unhealthy once no sample has landed for this many intervals. */
const STALE_INTERVALS = 3;

export class Collector {
  readonly #config: CollectorConfig;
  readonly #log: Logger;
  readonly #sampler: Sampler;
  readonly #acc: Accumulator;
  readonly #namer: ContainerNamer;
  readonly #metrics: CollectorMetrics | undefined;
  #timer: NodeJS.Timeout | undefined;
  #started = 0;
  #ticks = 0;
  #lastSampleMono = 0;
  #stopped = false;

  constructor(config: CollectorConfig, deps: CollectorDeps) {
    this.#config = config;
    this.#log = deps.log;
    this.#metrics = deps.metrics;
    const namer = (this.#namer = new ContainerNamer(config.processMap));
    if (deps.job !== undefined) namer.assign(deps.job.key, deps.job.name);
    this.#acc = new Accumulator({
      top: config.top, seriesPoints: config.seriesPoints, limits: config.limits, mappedName: (key) => namer.mapped(key), ownKey: ownContainerKey(config.procPath),
      collection: { collector_version: VERSION, interval_seconds: config.intervalMs / 1000,
        clock_ticks_per_second: deps.clockTicks, short_lived_accounting: config.countExitedChildren,
        mode: deps.job?.mode ?? 'sidecar' },
    });
    this.#sampler = new Sampler({
      procPath: config.procPath, clockTicks: deps.clockTicks, pageSize: deps.pageSize, namer,
      countExitedChildren: config.countExitedChildren,
      ...(deps.job === undefined ? {} : { scope: deps.job.scope }),
      counters: new ContainerCounters({
        ...cgroupView(config),
        onParseError: (err) => this.#log.warn({ err }, 'cgroup file not in the kernel format; its figures are skipped'),
        onLocated: (key, dirs, via) => this.#log.info({ cgroup: key, counters: dirs.version === 2 ? dirs.dir : dirs.memory ?? dirs.cpuacct, via },
          'reading the container\'s own cgroup counters'),
      }),
      onNewContainer: (key, cgroup) => {
        this.#acc.addContainer(key, cgroup);
        this.#log.debug({ key, cgroup }, 'container seen');
      },
      onNamed: (key, name, by) => this.#log.info({ container: name, cgroup: key, process: by }, 'container named by process map'),
      onCounterError: (key, err) => this.#log.warn({ cgroup: key, err }, 'cannot locate the container\'s cgroup counters'),
      onConflict: (key, kept, ignored) =>
        this.#log.warn({ cgroup: key, kept, ignored }, 'two process map entries name one cgroup; keeping the first'),
    });
  }

  /** Samples now (the baseline) and then every interval, on a fixed schedule that does not drift. */
  start(): void {
    this.#started = performance.now();
    this.#sampleOnce();
    this.#schedule();
  }

  /** Stops sampling, takes a last sample so the final partial interval counts, and summarises. Idempotent. */
  stop(): RunSummary {
    if (!this.#stopped) {
      this.#stopped = true;
      clearTimeout(this.#timer);
      // A last interval shorter than a tenth of the interval is mostly noise in its rates: skip it.
      if (performance.now() - this.#lastSampleMono >= this.#config.intervalMs / 10) this.#sampleOnce();
      this.#sampler.close();
    }
    return this.#acc.summarize(true);
  }

  /** The summary so far, marked incomplete, while sampling goes on (a checkpoint). */
  snapshot(): RunSummary {
    return this.#acc.summarize(false);
  }

  /** Alive while samples keep landing: unhealthy when none has for three intervals, or after stop. */
  health(): { ok: boolean; reason?: string } {
    if (this.#stopped) return { ok: false, reason: 'stopped' };
    const age = performance.now() - this.#lastSampleMono;
    if (this.#lastSampleMono === 0 || age > STALE_INTERVALS * this.#config.intervalMs) {
      return { ok: false, reason: `no sample for ${Math.round(age)} ms` };
    }
    return { ok: true };
  }

  #schedule(): void {
    const interval = this.#config.intervalMs;
    const now = performance.now();
    this.#ticks = Math.max(this.#ticks + 1, Math.ceil((now - this.#started) / interval));
    this.#timer = setTimeout(() => {
      if (this.#stopped) return;
      this.#sampleOnce();
      this.#schedule();
    }, this.#started + this.#ticks * interval - now);
  }

  #sampleOnce(): void {
    const t0 = performance.now();
    try {
      const sample = this.#sampler.sample();
      this.#acc.add(sample);
      this.#lastSampleMono = performance.now(); // when it landed: a slow first sample is not a stale one
      this.#metrics?.observeSample((performance.now() - t0) / 1000, sample.processes.length,
        [...sample.containers.values()].map((c) => ({ name: this.#namer.mapped(c.key), cpuCores: c.cpuCores, memoryBytes: c.memoryBytes })));
      this.#log.debug({ processes: sample.processes.length, containers: sample.containers.size, vanished: sample.vanished,
        durationMs: Math.round((performance.now() - t0) * 100) / 100 }, 'sample taken');
    } catch (err) {
      // A sample that fails (a /proc that cannot be read) is logged and skipped; the run goes on.
      this.#log.error({ err }, 'sample failed');
    }
  }
}

/** Our own container's key, from <proc>/self/cgroup; undefined where that cannot be read (a fixture tree). */
function ownContainerKey(procPath: string): string | undefined {
  try {
    return identityFromCgroupFile(fs.readFileSync(`${procPath}/self/cgroup`, 'utf8')).key;
  } catch {
    return undefined;
  }
}

/** Our cgroup mounts and /proc for other containers' own views; with --cgroup-root, that folder alone. */
function cgroupView(config: CollectorConfig): { mounts: CgroupMount[]; procRoot: string | undefined } {
  if (config.cgroupRoot !== undefined) return { mounts: cgroupMountsAt(config.cgroupRoot), procRoot: undefined };
  try {
    return { mounts: parseMountinfo(fs.readFileSync(`${config.procPath}/self/mountinfo`, 'utf8')), procRoot: config.procPath };
  } catch {
    return { mounts: [], procRoot: config.procPath };
  }
}

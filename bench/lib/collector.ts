// Runs the bundled collector (dist/collector.js) against the real /proc and follows its debug log: each
// "sample taken" record gives the sample's duration and process count. CPU comes from its /proc/<pid>/stat.
import { COLLECTOR_NODE_FLAGS } from '../../src/collector/node-flags.ts';
import { Child } from './children.ts';
import { DIST, NODE } from './env.ts';
import { cpuTicks, HZ, memoryMiB } from './procs.ts';

export type SampleRecord = { readonly atMs: number; readonly durationMs: number; readonly processes: number };

export class CollectorProcess {
  readonly child: Child;
  readonly samples: SampleRecord[] = [];
  #wanted: { count: number; resolve: () => void } | undefined;

  /**
   * Starts `node <flags> dist/collector.js --interval=<ms>ms --proc-path=/proc --log-level=debug`, printing its summary to
   * stdout; the flags are those the collector ships with (src/collector/node-flags.ts: bin/run-node and the image use them).
   */
  constructor(intervalMs: number, extraArgs: readonly string[] = [], nodeArgs: readonly string[] = COLLECTOR_NODE_FLAGS, env: NodeJS.ProcessEnv = {}) {
    this.child = new Child(NODE, [...nodeArgs, DIST.collector, `--interval=${intervalMs}ms`, '--proc-path=/proc',
      '--log-level=debug', '--checkpoint-interval=0', ...extraArgs], { env: { ...process.env, ...env } });
    this.child.onLine((line) => {
      if (!line.includes('"sample taken"')) return;
      const r = JSON.parse(line) as { durationMs: number; processes: number };
      this.samples.push({ atMs: performance.now(), durationMs: r.durationMs, processes: r.processes });
      if (this.#wanted !== undefined && this.samples.length >= this.#wanted.count) {
        const w = this.#wanted;
        this.#wanted = undefined;
        w.resolve();
      }
    });
  }

  get pid(): number {
    return this.child.pid;
  }

  /** Resolves once `count` samples in all have been logged. */
  untilSamples(count: number, timeoutMs: number): Promise<void> {
    if (this.samples.length >= count) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`collector: ${this.samples.length} of ${count} samples after ${timeoutMs} ms`)), timeoutMs);
      this.#wanted = { count, resolve: () => { clearTimeout(timer); resolve(); } };
      void this.child.wait().then((code) => { clearTimeout(timer); if (this.#wanted !== undefined) reject(new Error(`collector exited (code ${code})`)); });
    });
  }

  /**
   * CPU over `samples` samples after `warmup` ones (the first sample reads cgroup and cmdline of every process,
   * and JIT warm-up follows): CPU seconds, wall seconds, mean processes and the samples' median duration.
   */
  async measure(warmup: number, samples: number, intervalMs: number): Promise<CollectorMeasure> {
    const timeout = (warmup + samples + 5) * intervalMs * 3 + 30_000;
    await this.untilSamples(warmup, timeout);
    const t0 = cpuTicks(this.pid), w0 = performance.now();
    await this.untilSamples(warmup + samples, timeout);
    const t1 = cpuTicks(this.pid), w1 = performance.now();
    const window = this.samples.slice(warmup, warmup + samples);
    const durations = window.map((s) => s.durationMs).sort((a, b) => a - b);
    return {
      cpuSeconds: (t1 - t0) / HZ,
      wallSeconds: (w1 - w0) / 1000,
      samples,
      processes: window.reduce((n, s) => n + s.processes, 0) / window.length,
      medianDurationMs: durations[Math.floor(durations.length / 2)] ?? NaN,
      memory: memoryMiB(this.pid),
    };
  }

  async stop(): Promise<void> {
    await this.child.stop();
  }
}

export type CollectorMeasure = {
  readonly cpuSeconds: number;
  readonly wallSeconds: number;
  readonly samples: number;
  /** Processes per sample, as the collector counted them. */
  readonly processes: number;
  readonly medianDurationMs: number;
  readonly memory: { readonly rss: number; readonly hwm: number; readonly anon: number; readonly file: number };
};

// The collector's baselines from the anchors: procscan (the C floor, built here with cc) and Debian's
// prometheus-process-exporter (the peer), each measured by the CPU time it spends per pass or scrape.
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { Child, runToEnd } from './children.ts';
import { cpuTicks, HZ, memoryMiB, procCount } from './procs.ts';

export type ProcscanResult = {
  readonly procs: number;
  readonly cpuUsPerPass: number;
  readonly cpuUsPerProc: number;
  readonly cpuPercent: number;
};

/** Compiles procscan.c into the scratch folder; returns the binary's path. */
export function buildProcscan(anchors: string, scratch: string): string {
  const out = `${scratch}/procscan`;
  execFileSync('cc', ['-O2', '-Wall', '-Wextra', '-o', out, `${anchors}/procscan.c`], { stdio: 'inherit' });
  return out;
}

/** One procscan run: `--mode open|pread --files LIST --passes N [--interval-ms M]`; its RESULT line. */
export async function procscan(bin: string, o: { mode: 'open' | 'pread'; files: string; passes: number; intervalMs?: number }):
  Promise<ProcscanResult> {
  const args = ['--mode', o.mode, '--files', o.files, '--passes', String(o.passes)];
  if (o.intervalMs !== undefined) args.push('--interval-ms', String(o.intervalMs));
  return resultLine(await runToEnd(bin, args), 'procscan');
}

/**
 * One run of the anchors' node-scan.mjs (`--mode pread`): what Node itself spends reading the same files with
 * kept descriptors, with the Node that runs the bench and no flags; its RESULT line, in procscan's shape.
 */
export async function nodeScan(node: string, anchors: string, o: { files: string; passes: number; intervalMs: number }): Promise<ProcscanResult> {
  const out = await runToEnd(node, [`${anchors}/node-scan.mjs`, '--mode', 'pread', '--files', o.files, '--passes', String(o.passes),
    '--interval-ms', String(o.intervalMs)]);
  return resultLine(out, 'node-scan');
}

function resultLine(out: string, tool: string): ProcscanResult {
  const line = out.split('\n').find((l) => l.startsWith('RESULT '));
  if (line === undefined) throw new Error(`${tool} printed no RESULT line:\n${out}`);
  const kv = new Map(line.slice(7).split(' ').map((p) => p.split('=') as [string, string]));
  const num = (k: string) => Number(kv.get(k));
  return { procs: num('procs'), cpuUsPerPass: num('cpu_us_per_pass'), cpuUsPerProc: num('cpu_us_per_proc'), cpuPercent: num('cpu_percent') };
}

/** A port free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export const EXPORTER_BIN = 'prometheus-process-exporter';

export function hasExporter(): boolean {
  try {
    execFileSync(EXPORTER_BIN, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * process-exporter on 127.0.0.1, grouping every process by comm (the anchors' config), not as a service:
 * started here and stopped by its PID. `lean` = -threads=false -gather-smaps=false; else its defaults.
 */
export class ProcessExporter {
  readonly #child: Child;
  readonly #url: string;

  private constructor(child: Child, url: string) {
    this.#child = child;
    this.#url = url;
  }

  static async start(anchors: string, lean: boolean): Promise<ProcessExporter> {
    const port = await freePort();
    const flags = lean ? ['-threads=false', '-gather-smaps=false'] : ['-threads=true', '-gather-smaps=true'];
    const child = new Child(EXPORTER_BIN, ['-config.path', `${anchors}/process-exporter-all.yml`, '-children=false',
      '-web.listen-address', `127.0.0.1:${port}`, ...flags]);
    const exporter = new ProcessExporter(child, `http://127.0.0.1:${port}/metrics`);
    // Its first scrape of 5,000 processes (threads and smaps included) can take over 10 s on a loaded 2-vCPU VM.
    const deadline = performance.now() + 60_000;
    for (;;) {
      try {
        await exporter.scrape(1);
        break;
      } catch (err) {
        if (performance.now() > deadline || child.exited) {
          await child.stop();
          throw new Error(`process-exporter did not start: ${(err as Error).message}`, { cause: err });
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    return exporter;
  }

  async scrape(times: number): Promise<void> {
    for (let i = 0; i < times; i++) {
      const res = await fetch(this.#url);
      if (!res.ok) throw new Error(`process-exporter: HTTP ${res.status}`);
      await res.arrayBuffer();
    }
  }

  /** CPU µs per process in /proc per scrape, over a batch of `scrapes` scrapes on one kept-alive connection. */
  async measure(scrapes: number): Promise<number> {
    const n = procCount();
    const t0 = cpuTicks(this.#child.pid);
    await this.scrape(scrapes);
    const t1 = cpuTicks(this.#child.pid);
    return ((t1 - t0) / HZ) * 1e6 / scrapes / n;
  }

  memory(): { rss: number; hwm: number } {
    return memoryMiB(this.#child.pid);
  }

  async stop(): Promise<void> {
    await this.#child.stop();
  }
}


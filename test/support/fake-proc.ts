// Builds small /proc trees for sampler tests. Every file has the real kernel's format: the stat line is the
// fixture's real line with the fields under test replaced, the node-wide files are copied from a real VM.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fixtureText } from './fixtures.ts';

export type FakeProcess = {
  pid: number; comm: string; ppid: number; utime: number; stime?: number; cutime?: number; cstime?: number;
  start: number; rssPages?: number; cgroup: string; cmdline?: string[]; state?: string;
  /** statm's exact resident pages where they differ from stat's approximate rss (rssPages). */
  statmPages?: number;
  /** stat fields 10, 12 and 23; the fixture line's values when not given. */
  minflt?: number; majflt?: number; vsize?: number;
};

const REAL = fixtureText('proc/host-hybrid/7618/stat').trim().split(' ');

export function statLine(p: FakeProcess): string {
  const f = [...REAL.slice(2)]; // f[0] = field 3 (state)
  const set = (field: number, v: number | string) => { f[field - 3] = String(v); };
  set(3, p.state ?? 'S'); set(4, p.ppid); set(14, p.utime); set(15, p.stime ?? 0); set(16, p.cutime ?? 0);
  set(17, p.cstime ?? 0); set(22, p.start); set(24, p.rssPages ?? 100);
  if (p.minflt !== undefined) set(10, p.minflt);
  if (p.majflt !== undefined) set(12, p.majflt);
  if (p.vsize !== undefined) set(23, p.vsize);
  return `${p.pid} (${p.comm}) ${f.join(' ')}\n`;
}

export class FakeProc {
  readonly root = mkdtempSync(`${tmpdir()}/rrc-proc-`);
  uptimeSeconds = 1000;

  constructor() {
    this.#writeNodeFiles();
  }

  /**
   * Replaces the tree's processes with `processes`, and sets the uptime (seconds since boot). Files are rewritten
   * in place, as /proc's are regenerated at each read: a reader may keep them open between samples.
   */
  set(processes: FakeProcess[], uptimeSeconds: number): void {
    const keep = new Set(processes.map((p) => String(p.pid)));
    for (const name of readdirSync(this.root)) {
      if (!/^\d+$/.test(name) || keep.has(name)) continue;
      // A descriptor kept open on an exited process reads nothing more (the kernel answers ESRCH); on a plain file
      // it would read the old content after the unlink, so the content goes first.
      for (const file of ['stat', 'statm']) if (existsSync(`${this.root}/${name}/${file}`)) writeFileSync(`${this.root}/${name}/${file}`, '');
      rmSync(`${this.root}/${name}`, { recursive: true, force: true });
    }
    this.#writeNodeFiles();
    this.uptimeSeconds = uptimeSeconds;
    this.#writeUptime();
    for (const p of processes) {
      const dir = `${this.root}/${p.pid}`;
      mkdirSync(dir, { recursive: true });
      writeFileSync(`${dir}/stat`, statLine(p));
      writeFileSync(`${dir}/statm`, `5000 ${p.statmPages ?? p.rssPages ?? 100} 10 1 0 200 0\n`);
      writeFileSync(`${dir}/cgroup`, `4:memory:${p.cgroup}\n0::${p.cgroup}\n`);
      writeFileSync(`${dir}/cmdline`, p.cmdline ? `${p.cmdline.join('\0')}\0` : '');
    }
  }

  /**
   * Makes the tree pass for this process's own /proc (`self` is our pid), with `lastPid` as the last pid its
   * namespace allocated (loadavg's last field): the reader then lists it only when that moves.
   */
  setLastPid(lastPid: number): void {
    rmSync(`${this.root}/self`, { force: true }); // a link to a pid that is not a directory here: existsSync says false
    symlinkSync(String(process.pid), `${this.root}/self`);
    writeFileSync(`${this.root}/loadavg`, `0.52 0.58 0.59 2/415 ${lastPid}\n`);
  }

  /** A pid directory that is listed but whose files are gone: the process exited mid-scan. */
  addVanished(pid: number): void {
    mkdirSync(`${this.root}/${pid}`, { recursive: true });
  }

  cleanup(): void {
    rmSync(this.root, { recursive: true, force: true });
  }

  #writeNodeFiles(): void {
    writeFileSync(`${this.root}/stat`, fixtureText('proc/host-hybrid/stat'));
    writeFileSync(`${this.root}/meminfo`, fixtureText('proc/host-hybrid/meminfo'));
    this.#writeUptime();
  }

  #writeUptime(): void {
    writeFileSync(`${this.root}/uptime`, `${this.uptimeSeconds.toFixed(2)} 100.00\n`);
  }
}

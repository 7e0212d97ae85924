// Parses /proc/stat: the node's CPU time, for the system CPU percent. In a pod this is the node.
import { ProcParseError } from './errors.ts';
import { ticks, type CpuTicks } from '../units.ts';

export type SystemCpu = {
  /** All time of all CPUs, idle included (guest time is already inside user and nice). */
  readonly totalTicks: CpuTicks;
  /** Idle plus iowait: time no task ran. */
  readonly idleTicks: CpuTicks;
  readonly cpuCount: number;
  /** Boot time, seconds since the epoch. */
  readonly bootTimeSeconds: number;
};

export function parseSystemStat(text: string): SystemCpu {
  let total = -1, idle = 0, cpuCount = 0, btime = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('cpu ')) {
      // Decimal digits only: Number() would also read "-5", "1e3", "0x1f" and give negative or made-up ticks.
      const f = line.slice(4).trim().split(/\s+/).map((s) => (/^\d+$/.test(s) ? Number(s) : NaN));
      // user nice system idle iowait irq softirq steal [guest guest_nice]: guest is inside user.
      if (f.length < 4 || f.some((n) => !Number.isSafeInteger(n))) throw new ProcParseError('stat', 'bad cpu line', line);
      total = f.slice(0, 8).reduce((a, b) => a + b, 0);
      idle = f[3]! + (f[4] ?? 0);
    } else if (/^cpu\d/.test(line)) cpuCount++;
    else if (line.startsWith('btime ')) {
      btime = /^\d+$/.test(line.slice(6)) ? Number(line.slice(6)) : NaN; // Number("") is 0 and Number("x") NaN
      if (!Number.isSafeInteger(btime)) throw new ProcParseError('stat', 'bad btime line', line);
    }
  }
  if (total < 0) throw new ProcParseError('stat', 'no "cpu" line', text);
  return { totalTicks: ticks(total), idleTicks: ticks(idle), cpuCount, bootTimeSeconds: btime };
}

/** CPU busy between two readings in percent of all CPUs (0-100); undefined when no time passed. */
export function cpuBusyPercent(prev: SystemCpu, next: SystemCpu): number | undefined {
  const total = next.totalTicks - prev.totalTicks;
  if (total <= 0) return undefined;
  const busy = total - Math.max(0, next.idleTicks - prev.idleTicks); // iowait may go backwards
  return Math.min(100, Math.max(0, (busy / total) * 100));
}

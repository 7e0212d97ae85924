// The kernel's clock-tick rate and page size, which /proc figures are counted in.
import { fs } from '../node-builtins.ts';
import type { Log as Logger } from '../observability/light-log.ts';
import { parseAuxv, type AuxInfo } from '../proc/auxv.ts';
import { ticksPerSecond } from '../units.ts';

/** The kernel's clock-tick rate and page size from our own auxv; 100 and 4096 only where it cannot be read. */
export function machineConstants(log: Logger): AuxInfo {
  try {
    return parseAuxv(fs.readFileSync('/proc/self/auxv'));
  } catch (err) {
    log.warn({ err }, 'cannot read /proc/self/auxv; assuming 100 clock ticks a second and 4 KiB pages');
    return { clockTicks: ticksPerSecond(100), pageSize: 4096 };
  }
}


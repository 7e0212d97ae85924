// Parses /proc/uptime: seconds since boot, the clock that process start times count on.
import { ProcParseError } from './errors.ts';
import { seconds, type Seconds } from '../units.ts';

export function parseUptime(text: string): Seconds {
  // The kernel prints "%lu.%02lu": Number() alone read "" (an empty read) as 0 and also took "0x10", "1e3", "-0".
  const m = /^(\d+(?:\.\d+)?)(?:\s|$)/.exec(text);
  const up = m === null ? NaN : Number(m[1]);
  if (!Number.isFinite(up)) throw new ProcParseError('uptime', 'first field is not seconds', text);
  return seconds(up);
}

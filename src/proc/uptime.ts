// Parses /proc/uptime: seconds since boot, the clock that process start times count on.
import { ProcParseError } from './errors.ts';
import { seconds, type Seconds } from '../units.ts';

export function parseUptime(text: string): Seconds {
  const up = Number(text.split(' ', 1)[0]);
  if (!Number.isFinite(up) || up < 0) throw new ProcParseError('uptime', 'first field is not seconds', text);
  return seconds(up);
}

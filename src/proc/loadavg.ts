// Parses /proc/loadavg's last field: the last pid allocated in the reader's pid namespace (fs/proc/loadavg.c prints
// `idr_get_cursor(&task_active_pid_ns(current)->idr) - 1`). The sampler lists /proc only when it has moved.

const SPACE = 0x20, NEWLINE = 0x0a, ZERO = 0x30, NINE = 0x39;

/** The last field of loadavg (`0.00 0.01 0.05 1/275 96511`), or -1 when it is not a number. */
export function lastPidOfLoadavg(buf: Uint8Array, end: number): number {
  let i = end;
  while (i > 0 && (buf[i - 1] === NEWLINE || buf[i - 1] === SPACE)) i--;
  const last = i;
  let pid = 0;
  while (i > 0 && buf[i - 1]! >= ZERO && buf[i - 1]! <= NINE) i--;
  if (i === last || i === 0 || buf[i - 1] !== SPACE || last - i > 10) return -1;
  for (let j = i; j < last; j++) pid = pid * 10 + (buf[j]! - ZERO);
  return pid;
}

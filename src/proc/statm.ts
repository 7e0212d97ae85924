// Parses /proc/<pid>/statm: memory in pages. Read instead of status because it gives the same
// exact resident count (VmRSS = RssAnon + RssFile + RssShmem) at about half the cost.
import { ProcParseError } from './errors.ts';

export type ProcStatm = {
  /** Resident pages: the same figure as VmRSS in status, in pages. */
  readonly residentPages: number;
  /** Resident file-backed and shared-memory pages (RssFile + RssShmem). */
  readonly sharedPages: number;
};

const SPACE = 0x20, ZERO = 0x30, NINE = 0x39;

/** Zombies and kernel threads read `0 0 0 0 0 0 0`: no memory, not an error. */
export function parseStatm(buf: Uint8Array, end: number = buf.length): ProcStatm {
  let field = 0, n = 0, digits = 0;
  let resident = -1, shared = -1;
  for (let i = 0; i <= end; i++) {
    const c = i < end ? buf[i]! : SPACE;
    if (c >= ZERO && c <= NINE) { n = n * 10 + (c - ZERO); digits++; continue; }
    if (c !== SPACE && c !== 0x0a) break;
    if (digits === 0) continue;
    if (field === 1) resident = n;
    else if (field === 2) { shared = n; break; }
    field++; n = 0; digits = 0;
  }
  if (!(resident >= 0 && shared >= 0 && Number.isFinite(resident + shared))) { // 309 digits read as Infinity
    throw new ProcParseError('statm', 'want 7 numbers', new TextDecoder().decode(buf.subarray(0, Math.min(end, 200))));
  }
  return { residentPages: resident, sharedPages: shared };
}

// Reads the clock-tick rate and page size from the auxiliary vector, since Node has no sysconf():
// /proc/self/auxv is pairs of native words (type, value); AT_CLKTCK = 17, AT_PAGESZ = 6.
import { ProcParseError } from './errors.ts';
import { ticksPerSecond, type TicksPerSecond } from '../units.ts';

const AT_NULL = 0n, AT_PAGESZ = 6n, AT_CLKTCK = 17n;

export type AuxInfo = { readonly clockTicks: TicksPerSecond; readonly pageSize: number };

/** `wordSize` is 8 on 64-bit kernels, 4 on 32-bit; little-endian hosts only. */
export function parseAuxv(buf: Uint8Array, wordSize: 4 | 8 = 8): AuxInfo {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const word = (at: number) => (wordSize === 8 ? view.getBigUint64(at, true) : BigInt(view.getUint32(at, true)));
  let clockTicks: number | undefined, pageSize: number | undefined;
  for (let at = 0; at + 2 * wordSize <= buf.byteLength; at += 2 * wordSize) {
    const type = word(at);
    if (type === AT_NULL) break;
    if (type === AT_CLKTCK) clockTicks = Number(word(at + wordSize));
    else if (type === AT_PAGESZ) pageSize = Number(word(at + wordSize));
  }
  if (!clockTicks || !pageSize) throw new ProcParseError('auxv', 'no AT_CLKTCK or AT_PAGESZ entry', '');
  return { clockTicks: ticksPerSecond(clockTicks), pageSize };
}

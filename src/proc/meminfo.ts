// Parses /proc/meminfo. In a pod these are the node's figures, not the pod's.
import { ProcParseError } from './errors.ts';
import { kibToBytes, type Bytes } from '../units.ts';

export type MemInfo = { readonly totalBytes: Bytes; readonly availableBytes: Bytes };

export function parseMeminfo(text: string): MemInfo {
  const kib = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^(\w+(?:\(\w+\))?):\s+(\d+)/.exec(line);
    if (m) kib.set(m[1]!, Number(m[2]));
  }
  const total = kib.get('MemTotal');
  if (total === undefined) throw new ProcParseError('meminfo', 'no MemTotal line', text);
  // MemAvailable exists since Linux 3.14; before it, free(1) counted free + buffers + cache.
  const available = kib.get('MemAvailable')
    ?? (kib.get('MemFree') ?? 0) + (kib.get('Buffers') ?? 0) + (kib.get('Cached') ?? 0) + (kib.get('SReclaimable') ?? 0);
  const result = { totalBytes: kibToBytes(total), availableBytes: kibToBytes(available) };
  if (!Number.isFinite(result.totalBytes + result.availableBytes)) throw new ProcParseError('meminfo', 'number out of range', text);
  return result;
}

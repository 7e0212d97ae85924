// The execution id that tells one collector run from a retry of the same job (the receiver's upsert key). A
// version 4 UUID from 16 bytes of /dev/urandom: node:crypto's randomUUID would do the same but loads 37 modules
// of node:crypto (about 3 MiB resident) for one call in a program with a memory budget.
import { fs, nodeCrypto } from '../node-builtins.ts';

/** Formats 16 random bytes as a version 4, variant 1 UUID (RFC 9562, section 5.4). */
export function uuidV4(random: Uint8Array): string {
  if (random.length !== 16) throw new RangeError(`uuidV4: needs 16 random bytes, got ${random.length}`);
  const b = Buffer.from(random); // a copy: the caller's bytes stay as they are
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const hex = b.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** 16 bytes from the kernel's random source; falls back to node:crypto where /dev/urandom is not mounted. */
export function randomExecutionId(device = '/dev/urandom'): string {
  const bytes = new Uint8Array(16);
  let fd: number;
  try {
    fd = fs.openSync(device, 'r');
  } catch {
    return nodeCrypto().randomUUID();
  }
  try {
    let got = 0;
    while (got < bytes.length) {
      const n = fs.readSync(fd, bytes, got, bytes.length - got, null);
      if (n === 0) throw new Error(`execution id: ${device} returned no bytes`);
      got += n;
    }
  } finally {
    fs.closeSync(fd);
  }
  return uuidV4(bytes);
}

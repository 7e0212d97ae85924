// Parses /proc/<pid>/cmdline: NUL-separated arguments, empty for kernel threads and zombies.
import { basename } from 'node:path';

const decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true }); // a BOM is part of the name, not a marker

export function parseCmdline(buf: Uint8Array, end: number = buf.length): string[] {
  // A process that renames itself (setproctitle, Node's process.title) leaves its old argv area padded with
  // NULs (or spaces): trailing padding is not arguments.
  while (end > 0 && (buf[end - 1] === 0 || buf[end - 1] === 0x20)) end--;
  if (end === 0) return [];
  return decoder.decode(buf.subarray(0, end)).split('\0');
}

/** The executable's own name, for matching names longer than the 15 bytes the kernel keeps in comm. */
export function executableName(argv: readonly string[]): string | undefined {
  const first = argv[0];
  if (!first) return undefined;
  // setproctitle-style argv ("nginx: worker process") keeps the program name before ':' or ' '.
  return basename(first.includes('/') ? first : first.split(/[ :]/, 1)[0]!) || undefined;
}

const SECRET_FLAG = /^(--?[\w.-]*(?:token|password|passwd|secret|key|auth|credential)[\w.-]*=)(.+)$/i;
const SECRET_VALUE_FLAG = /^--?[\w.-]*(?:token|password|passwd|secret|key|auth|credential)[\w.-]*$/i;

/**
 * A command line for a summary that leaves the machine: values of secret-looking flags masked
 * (`--token=x`, `--password x`), and cut to `max` characters.
 */
export function displayCmdline(argv: readonly string[], max = 256): string {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const inline = SECRET_FLAG.exec(arg);
    if (inline) out.push(`${inline[1]}***`);
    else if (SECRET_VALUE_FLAG.test(arg) && i + 1 < argv.length) { out.push(arg, '***'); i++; }
    else out.push(arg);
  }
  const text = out.join(' ');
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

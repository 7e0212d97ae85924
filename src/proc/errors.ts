// The one error every /proc parser throws: the kernel file's text did not have its documented shape.

/**
 * A /proc file whose text a parser could not read. `file` names the kernel file (`stat`, `cgroup`) so the
 * caller can count and skip by file; the message stays short and constant-shaped because it lands in logs,
 * and the offending text (at most 200 characters: a cmdline can be megabytes) is kept beside it in `text`.
 */
export class ProcParseError extends Error {
  override name = 'ProcParseError';
  readonly file: string;
  readonly text: string;
  constructor(file: string, problem: string, text: string) {
    super(`${file}: ${problem}`);
    this.file = file;
    this.text = text.slice(0, 200);
  }
}

// A line of an import that is not a run: which line, and what is wrong with it.
export class ImportLineError extends Error {
  override name = 'ImportLineError';
  /** 1-based line number in the input. */
  readonly line: number;
  constructor(line: number, message: string) {
    super(`line ${line}: ${message}`);
    this.line = line;
  }
}

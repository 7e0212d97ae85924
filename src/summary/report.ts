// The job's own view of a run: the Markdown step summary, the same tables for a terminal, and appending the
// Markdown to $GITHUB_STEP_SUMMARY. Callers import from here; the modules beside it build the parts.
import { nodeFsPromises } from '../node-builtins.ts';

export { stepSummaryMarkdown } from './report-markdown.ts';
export { terminalReport } from './report-text.ts';
export type { ReportOptions } from './report-tables.ts';

/**
 * Appends `markdown` to the step summary file at `path` (created if missing), never truncating what earlier
 * steps or the wrapped command wrote: a blank line goes first when the file does not end in one, so the
 * report's heading starts a block of its own, and the text ends with a newline.
 * @throws the file system's error (`ENOENT` for a missing folder, `EACCES`, `EISDIR`) with its `code` and
 * `path`, for the caller to log: the job's result does not depend on its summary.
 */
export async function appendStepSummary(path: string, markdown: string): Promise<void> {
  const file = await nodeFsPromises().open(path, 'a+'); // append-only writes; readable, to look at how the file ends
  try {
    const { size } = await file.stat();
    let lead = '';
    if (size > 0) {
      const tail = Buffer.alloc(Math.min(2, size));
      await file.read(tail, 0, tail.length, size - tail.length);
      lead = tail.toString('latin1').endsWith('\n\n') ? '' : tail.at(-1) === 0x0a ? '\n' : '\n\n';
    }
    await file.write(`${lead}${markdown}${markdown.endsWith('\n') ? '' : '\n'}`);
  } finally {
    await file.close();
  }
}

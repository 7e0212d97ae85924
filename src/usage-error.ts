// A bad flag, variable or value given to either program: one line naming the field, exit code 2.
export class UsageError extends Error {
  override name = 'UsageError';
}

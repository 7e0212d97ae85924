// Text order for sorting: UTF-16 code units, the same on every machine and locale. Not localeCompare, which loads
// ICU's collation data (3 MiB resident) into the collector, whose memory has a budget (docs/benchmarks.md).
export const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

// The Node flags the collector runs with (src/entry.ts in the image, bin/run-node elsewhere), measured at 525
// processes in /proc, a sample every 500 ms (docs/benchmarks.md): VmHWM 85.5 MiB with none, 81.2 with a 1 MiB
// semi-space (the young generation otherwise grows to 4 MiB a half for a program that allocates little), 76.0 with
// --single-threaded as well (no concurrent compiler or GC threads, no malloc arenas of theirs); CPU per process
// unchanged (32.8, 33.7, 32.6 µs). --lite-mode would take it to 63 MiB but costs a third more CPU.
export const COLLECTOR_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=1', '--single-threaded'];

// The Node flags the collector runs with (src/entry.ts in the image, bin/run-node elsewhere), measured at 525
// processes in /proc, a sample every 500 ms (docs/benchmarks.md): VmHWM 85.5 MiB with none, 81.2 with a 1 MiB
// semi-space (the young generation otherwise grows to 4 MiB a half for a program that allocates little), 76.0 with
// --single-threaded as well (no concurrent compiler or GC threads, no malloc arenas of theirs); CPU per process
// unchanged (32.8, 33.7, 32.6 µs). --max-opt=2 stops V8's tiers at Maglev, without TurboFan: at 585 processes
// VmHWM 63.4 -> 57.5 MiB (the optimising compiler's code pages, zones and code), CPU within the noise (16.5 and 17.1
// against 16.0 and 18.8 µs a process at 500 ms; 0.575% of a core for both at 2 s, medians of 3). Stopping at
// Sparkplug (--max-opt=1) would give 50.5 MiB for 40% more CPU, --lite-mode 61 MiB for 80% more: not taken.
export const COLLECTOR_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=1', '--single-threaded', '--max-opt=2'];

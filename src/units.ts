// Units as branded numbers: the only module that casts a plain number into a unit, so that a tick
// count can never be passed where bytes or cores are expected. At the JSON, Prometheus and log
// boundary the unit moves into the field name (`memory_bytes`, `cpu_cores`).
declare const unit: unique symbol;
type Unit<U extends string> = number & { readonly [unit]: U };

/** Bytes of memory. */
export type Bytes = Unit<'bytes'>;
/** USER_HZ clock ticks, as in /proc/<pid>/stat and /proc/stat; the rate comes from auxv AT_CLKTCK. */
export type CpuTicks = Unit<'ticks'>;
/** CPU use in cores: 1 = one CPU busy for the whole interval. */
export type Cores = Unit<'cores'>;
/** Seconds of wall or CPU time. */
export type Seconds = Unit<'seconds'>;
/** Milliseconds of wall time (durations from flags). */
export type Millis = Unit<'ms'>;
/** Ticks of the kernel's clock per second (USER_HZ, usually 100). */
export type TicksPerSecond = Unit<'ticks/s'>;

export const bytes = (n: number) => n as Bytes;
export const ticks = (n: number) => n as CpuTicks;
export const cores = (n: number) => n as Cores;
export const seconds = (n: number) => n as Seconds;
export const millis = (n: number) => n as Millis;
export const ticksPerSecond = (n: number) => n as TicksPerSecond;
export const kibToBytes = (kib: number) => (kib * 1024) as Bytes;
export const ticksToSeconds = (t: CpuTicks, hz: TicksPerSecond) => (t / hz) as Seconds;
export const coresFromTicks = (delta: CpuTicks, hz: TicksPerSecond, elapsed: Seconds) =>
  (delta / hz / elapsed) as Cores;
export const coresFromCpuSeconds = (cpu: Seconds, elapsed: Seconds) => (cpu / elapsed) as Cores;

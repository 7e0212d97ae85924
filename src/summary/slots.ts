// The series of one container as the summary reports it. CGROUP_PROCESS_MAP may give several cgroups one name
// (a restarted container, two containers running the same program): their values are summed per interval before
// they are counted, so a slot holds the sum of its cgroups.
import { Series } from './series.ts';

// Cores are counted at the printed 1e-4, bytes whole; exact up to this many distinct values a series (12 bytes
// each), then within 0.1% (distribution.ts).
export const CORES = { scale: 1e4, exactLimit: 8_192, relativeError: 0.001 };
export const BYTES = { scale: 1, exactLimit: 4_096, relativeError: 0.001 };
/** Ranges of intervals kept per slot to prove two slots never overlapped; past this they coarsen to one. */
const MAX_RANGES = 64;

export type Slot = {
  /** The mapped name; undefined for a cgroup no mapping named (it is reported under its cgroup's name). */
  name: string | undefined;
  /** Named by the map, but its counted values overlapped those of the slot of that name: reported on its own. */
  refused: boolean;
  readonly keys: string[];
  readonly cpu: Series;
  readonly memory: Series;
  readonly rss: Series;
  /** Intervals in which any of its cgroups had a value, as ascending, disjoint [from, to] ranges. */
  present: [number, number][];
  /** The sums of the interval being added, valid where `now.interval` is that interval. */
  readonly now: { interval: number; cpu: number; memory: number; rss: number };
};

/** The slot of one cgroup first seen after `intervals` intervals (it had no value in them). */
export function containerSlot(key: string, points: number, intervals: number): Slot {
  const slot: Slot = { name: undefined, refused: false, keys: [key], cpu: new Series(CORES, points), memory: new Series(BYTES, points),
    rss: new Series(BYTES, 0), present: [], now: { interval: -1, cpu: 0, memory: 0, rss: 0 } };
  for (const s of [slot.cpu, slot.memory, slot.rss]) s.padTo(intervals);
  return slot;
}

/** One of the slot's cgroups had these values in `interval`. */
export function slotPresent(slot: Slot, interval: number, cpu: number, memory: number, rss: number): void {
  const now = slot.now;
  if (now.interval !== interval) { now.interval = interval; now.cpu = 0; now.memory = 0; now.rss = 0; }
  now.cpu += cpu; now.memory += memory; now.rss += rss;
  const last = slot.present.at(-1);
  if (last !== undefined && last[1] >= interval - 1) last[1] = interval;
  else slot.present = coarsen([...slot.present, [interval, interval]]);
}

/**
 * Adds `from` to `into` interval by interval, if that can be done exactly: `from` has no value counted yet (all
 * of them are still in the series' ring), or the two never had values in the same interval. Returns false, and
 * changes nothing, otherwise.
 */
export function mergeSlots(into: Slot, from: Slot): boolean {
  const counted = from.cpu.counted || from.memory.counted || from.rss.counted;
  if (counted && overlap(into.present, from.present)) return false;
  into.cpu.add(from.cpu); into.memory.add(from.memory); into.rss.add(from.rss);
  into.keys.push(...from.keys);
  const ranges = [...into.present, ...from.present].sort((a, b) => a[0] - b[0]);
  const joined: [number, number][] = [];
  for (const [a, b] of ranges) {
    const last = joined.at(-1);
    if (last !== undefined && a <= last[1] + 1) last[1] = Math.max(last[1], b);
    else joined.push([a, b]);
  }
  into.present = coarsen(joined);
  return true;
}

function overlap(a: readonly [number, number][], b: readonly [number, number][]): boolean {
  return a.some(([a0, a1]) => b.some(([b0, b1]) => a0 <= b1 && b0 <= a1));
}

/** Too many ranges become one covering them all: an overlap check then only errs towards "overlapped". */
const coarsen = (ranges: [number, number][]): [number, number][] =>
  ranges.length <= MAX_RANGES ? ranges : [[ranges[0]![0], ranges.at(-1)![1]]];

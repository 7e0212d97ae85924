// Accumulates samples over a run and turns them into the run summary, in memory that does not grow with the run:
// per series a distribution of the values at the printed precision and the downsampled chart (series.ts); per
// process only what the top lists need, finished processes pruned to the best candidates.
// The statistics' contract (docs/collector.md, "Statistics"): peak and avg exact; p50..p99 the type 7 of the values
// rounded to the printed precision (so within one unit of its last digit of the type 7 of the values themselves)
// while a series has few enough distinct values (slots.ts), else within 0.1% plus that unit, which the Stats then
// state as percentile_relative_error. Chart points: exact max and mean of whole runs of intervals (downsample.ts).
import type { Sample } from '../sampling/sample.ts';
import { containerIdentity } from '../cgroup/identity.ts';
import { compareText } from '../compare.ts';
import type { Bytes, Cores } from '../units.ts';
import { Series } from './series.ts';
import { roundTo } from './stats.ts';
import { BYTES, containerSlot, mergeSlots, slotPresent, type Slot } from './slots.ts';
import type { CollectionInfo, ContainerSummary, MeasurementSource, ProcessSummary, RunSummary, Stats } from './types.ts';

export type ContainerLimits = { readonly cpu?: Cores; readonly memory?: Bytes };

export type SummaryOptions = {
  readonly top: number;
  /** Points in each downsampled series; 0 = no series in the summary. */
  readonly seriesPoints?: number;
  /** CGROUP_LIMITS, validated: container name -> limits. */
  readonly limits: ReadonlyMap<string, ContainerLimits>;
  /** The mapped name of a cgroup key, if CGROUP_PROCESS_MAP named it. */
  readonly mappedName: (key: string) => string | undefined;
  readonly collection: Omit<CollectionInfo, 'processes_vanished' | 'processes_seen'>;
  /**
   * The collector's own grouping key. `/` is the collector's own container only under a cgroup namespace;
   * on a host (or a privileged pod) it is the root cgroup, named `root` instead of `self`.
   */
  readonly ownKey?: string;
};

type ContainerTrack = {
  readonly key: string; readonly cgroup: string;
  processes: number;
  /** Sum of cores x interval length: exact CPU-seconds even when the last interval is short. */
  cpuSeconds: number;
  /** Intervals whose CPU / memory came from each source. */
  readonly cpuSources: Map<MeasurementSource, number>; readonly memorySources: Map<MeasurementSource, number>;
  periods: number; throttledPeriods: number; throttledSeconds: number; throttleKnown: boolean;
  oomKills: number | undefined; memoryPeak: number | undefined; cgroupLimits: ContainerLimits;
};
type ProcessTrack = {
  /** key: the container it was last seen in (a process may move into a cgroup before it execs). */
  readonly pid: number; readonly startTicks: number; comm: string; cmdline: string; key: string;
  peakCpu: number; cpuSum: number; intervals: number; peakMem: number; lastSeen: number;
};

// Series points are rounded one step coarser than the statistics: they are for charts, and size matters there.
const cores4 = roundTo(4), cores3 = roundTo(3), percent2 = roundTo(2), wholeBytes = Math.round;
// Percentiles are counted at the printed precision, exact while a series has few enough distinct values (slots.ts):
// node CPU has at most 10,001 (0.00..100.00%), so it stays exact.
const PERCENT = { scale: 100, exactLimit: 10_001, relativeError: 0.001 };

export class Accumulator {
  readonly #o: SummaryOptions;
  readonly #system: { readonly cpu: Series; readonly mem: Series };
  readonly #containers = new Map<string, ContainerTrack>();
  /** The series of each container as the summary reports it: cgroups mapped to one name share one slot. */
  readonly #slotOfKey = new Map<string, Slot>();
  readonly #slotOfName = new Map<string, Slot>();
  readonly #live = new Map<number, ProcessTrack>();
  #finished: ProcessTrack[] = [];
  #intervals = 0;
  #samples = 0;
  #startMs: number | undefined;
  #endMs: number | undefined;
  #memTotal = 0;
  #vanished = 0;
  #seen = 0;

  constructor(options: SummaryOptions) {
    this.#o = options;
    const points = options.seriesPoints ?? 0;
    this.#system = { cpu: new Series(PERCENT, points), mem: new Series(BYTES, points) };
  }

  /** Intervals measured so far: the number of values in every statistic. */
  get intervals(): number {
    return this.#intervals;
  }

  /** A container's cgroup was first seen; `cgroup` is the path it was identified by. */
  addContainer(key: string, cgroup: string): void {
    if (this.#containers.has(key)) return;
    const track: ContainerTrack = { key, cgroup, processes: 0, cpuSeconds: 0,
      cpuSources: new Map(), memorySources: new Map(), periods: 0, throttledPeriods: 0, throttledSeconds: 0, throttleKnown: false,
      oomKills: undefined, memoryPeak: undefined, cgroupLimits: {} };
    this.#containers.set(key, track);
    this.#slotOfKey.set(key, containerSlot(key, this.#o.seriesPoints ?? 0, this.#intervals));
  }

  add(sample: Sample): void {
    this.#samples++;
    this.#startMs ??= sample.timeMs;
    this.#endMs = sample.timeMs;
    this.#memTotal = sample.memTotalBytes;
    this.#vanished += sample.vanished;
    this.#seen += sample.newProcesses;
    for (const p of sample.processes) this.#trackProcess(p, sample.elapsed > 0);
    this.#pruneFinished();
    if (sample.elapsed <= 0) return; // the first sample only sets the baselines
    const i = this.#intervals;
    this.#system.cpu.push(sample.cpuTotalPercent ?? 0);
    this.#system.mem.push(sample.memUsedBytes);
    for (const c of sample.containers.keys()) if (!this.#containers.has(c)) this.addContainer(c, c);
    this.#resolveNames();
    // Cgroups that share a name are summed per interval before their sum is counted.
    for (const c of sample.containers.values()) {
      const t = this.#containers.get(c.key)!;
      slotPresent(this.#slotOfKey.get(c.key)!, i, c.cpuCores, c.memoryBytes, c.rssBytes);
      t.cpuSeconds += c.cpuCores * sample.elapsed;
      count(t.cpuSources, c.cpuSource); count(t.memorySources, c.memorySource);
      trackCounters(t, c);
    }
    for (const slot of this.#slots()) {
      const here = slot.now.interval === i;
      slot.cpu.push(here ? slot.now.cpu : NaN); slot.memory.push(here ? slot.now.memory : NaN); slot.rss.push(here ? slot.now.rss : NaN);
    }
    this.#intervals = i + 1;
  }

  /** Every slot once: several cgroups may share one. */
  #slots(): Set<Slot> {
    return new Set(this.#slotOfKey.values());
  }

  /**
   * A cgroup the process map named since the last sample joins the slot of that name. Its values still in the
   * series' ring are added interval by interval; values already counted can be added exactly only if the two never
   * had values in the same interval (a restarted container). Otherwise it keeps its own slot, and so its own entry
   * under its cgroup's name, rather than report sums that were never measured.
   */
  #resolveNames(): void {
    for (const [key, slot] of this.#slotOfKey) {
      if (slot.name !== undefined || slot.refused) continue;
      const name = this.#o.mappedName(key);
      if (name === undefined) continue;
      const into = this.#slotOfName.get(name);
      if (into === undefined) { slot.name = name; this.#slotOfName.set(name, slot); }
      else if (mergeSlots(into, slot)) for (const k of slot.keys) this.#slotOfKey.set(k, into);
      else slot.refused = true;
    }
  }

  /** The summary of the run so far; `complete` false for a checkpoint taken while the job runs. */
  summarize(complete = true): RunSummary {
    const start = this.#startMs ?? Date.now(), end = this.#endMs ?? start;
    const processes = [...this.#finished, ...this.#live.values()];
    const points = this.#o.seriesPoints ?? 0;
    const withSeries = points > 0 && this.#intervals > 0;
    const cpuPoints = this.#system.cpu.points(points, percent2);
    const names = this.#slotNames();
    const containers = this.#containerSummaries(names, withSeries ? points : 0);
    const top = this.#o.top;
    const nameOf = (key: string) => names.get(this.#slotOfKey.get(key)!);
    const toSummary = (p: ProcessTrack): ProcessSummary => ({
      pid: p.pid, name: p.comm, cmdline: p.cmdline, container: (this.#slotOfKey.has(p.key) ? nameOf(p.key) : undefined) ?? p.key,
      peak_cpu_percent: percent2(p.peakCpu * 100),
      avg_cpu_percent: percent2(p.intervals === 0 ? 0 : (p.cpuSum / p.intervals) * 100),
      peak_mem_bytes: p.peakMem,
    });
    return {
      complete,
      start_time: new Date(start).toISOString(),
      end_time: new Date(end).toISOString(),
      duration_seconds: roundTo(3)((end - start) / 1000),
      sample_count: this.#intervals,
      cpu_total_percent: this.#system.cpu.stats(percent2),
      mem_used_bytes: this.#system.mem.stats(wholeBytes),
      mem_total_bytes: this.#memTotal,
      containers,
      top_cpu_processes: byCpu(processes).slice(0, top).map(toSummary),
      top_mem_processes: byMemory(processes).slice(0, top).map(toSummary),
      collection: { ...this.#o.collection, processes_vanished: this.#vanished, processes_seen: this.#seen },
      ...(withSeries && cpuPoints !== undefined ? { series: {
        per_point: cpuPoints.perPoint, point_seconds: roundTo(3)(cpuPoints.perPoint * this.#o.collection.interval_seconds),
        points: cpuPoints.points.max.length,
        cpu_total_percent: cpuPoints.points,
        mem_used_bytes: this.#system.mem.points(points, wholeBytes)!.points,
      } } : {}),
    };
  }

  #trackProcess(p: Sample['processes'][number], measured: boolean): void {
    let t = this.#live.get(p.pid);
    if (t !== undefined && t.startTicks !== p.startTicks) { this.#finished.push(t); t = undefined; }
    if (t === undefined) {
      t = { pid: p.pid, startTicks: p.startTicks, comm: p.comm, cmdline: p.cmdline, key: p.containerKey,
        peakCpu: 0, cpuSum: 0, intervals: 0, peakMem: 0, lastSeen: 0 };
      this.#live.set(p.pid, t);
      const c = this.#containers.get(p.containerKey);
      if (c !== undefined) c.processes++;
    }
    t.comm = p.comm; t.cmdline = p.cmdline; t.key = p.containerKey; t.lastSeen = this.#samples;
    if (p.rssBytes > t.peakMem) t.peakMem = p.rssBytes;
    if (!measured) return;
    if (p.cpuCores > t.peakCpu) t.peakCpu = p.cpuCores;
    t.cpuSum += p.cpuCores;
    t.intervals++;
  }

  /** Processes not in the latest sample have exited; keep only those that could still make a top list. */
  #pruneFinished(): void {
    for (const [pid, t] of this.#live) {
      if (t.lastSeen !== this.#samples) { this.#live.delete(pid); this.#finished.push(t); }
    }
    const keep = Math.max(this.#o.top, 1);
    if (this.#finished.length > 4 * keep + 64) {
      this.#finished = [...new Set([...byCpu(this.#finished).slice(0, keep), ...byMemory(this.#finished).slice(0, keep)])];
    }
  }

  /** The name each slot is reported under: its mapped name, else its first cgroup's, made unique. */
  #slotNames(): Map<Slot, string> {
    const names = new Map<Slot, string>();
    const slots = this.#slots();
    for (const slot of slots) if (slot.name !== undefined) names.set(slot, slot.name);
    const taken = new Set(names.values());
    for (const slot of slots) {
      if (names.has(slot)) continue;
      const identity = containerIdentity(this.#containers.get(slot.keys[0]!)!.cgroup);
      const base = identity.key === '/' && this.#o.ownKey !== undefined && this.#o.ownKey !== '/' ? 'root' : identity.displayName;
      let name = base;
      for (let n = 2; taken.has(name); n++) name = `${base}-${n}`;
      names.set(slot, name);
      taken.add(name);
    }
    return names;
  }

  #containerSummaries(names: ReadonlyMap<Slot, string>, points: number): ContainerSummary[] {
    const out: (ContainerSummary & { mapped: boolean })[] = [];
    for (const [slot, name] of names) {
      const tracks = slot.keys.map((k) => this.#containers.get(k)!);
      const cpu = slot.cpu.stats(cores4);
      const memory = slot.memory.stats(wholeBytes);
      const cpuPoints = points > 0 ? slot.cpu.points(points, cores3) : undefined, memoryPoints = points > 0 ? slot.memory.points(points, wholeBytes) : undefined;
      // Configured limits win; else the cgroup's own (cpu.max, memory.max, ...), where readable.
      const limits = mergeLimits(this.#o.limits.get(name), tracks.map((t) => t.cgroupLimits));
      out.push({
        name, cgroup: tracks.map((t) => t.cgroup).join(','), cpu_cores: cpu,
        cpu_seconds: roundTo(3)(tracks.reduce((n, t) => n + t.cpuSeconds, 0)), memory_bytes: memory,
        process_count: tracks.reduce((n, t) => n + t.processes, 0),
        ...(limits === undefined ? {} : { limits: limitsJson(limits), fraction_of_limit: fractions(cpu, memory, limits) }),
        ...(cpuPoints === undefined || memoryPoints === undefined ? {} : { series: { cpu_cores: cpuPoints.points, memory_bytes: memoryPoints.points } }),
        ...countersJson(tracks, () => slot.rss.stats(wholeBytes)),
        mapped: slot.name !== undefined,
      });
    }
    // Named containers first, then the busiest, then by name.
    out.sort((a, b) => Number(b.mapped) - Number(a.mapped) || b.cpu_cores.avg - a.cpu_cores.avg || compareText(a.name, b.name));
    return out.map(({ mapped: _mapped, ...c }) => c);
  }
}

const count = <K>(m: Map<K, number>, k: K) => m.set(k, (m.get(k) ?? 0) + 1);

function trackCounters(t: ContainerTrack, c: Sample['containers'] extends ReadonlyMap<string, infer C> ? C : never): void {
  if (c.periods !== undefined) { t.periods += c.periods; t.throttleKnown = true; }
  if (c.throttledPeriods !== undefined) t.throttledPeriods += c.throttledPeriods;
  if (c.throttledSeconds !== undefined) t.throttledSeconds += c.throttledSeconds;
  if (c.oomKills !== undefined) t.oomKills = (t.oomKills ?? 0) + c.oomKills;
  if (c.memoryPeakBytes !== undefined) t.memoryPeak = Math.max(t.memoryPeak ?? 0, c.memoryPeakBytes);
  if (c.cpuLimitCores !== undefined || c.memoryLimitBytes !== undefined) {
    t.cgroupLimits = { ...(c.cpuLimitCores === undefined ? {} : { cpu: c.cpuLimitCores }),
      ...(c.memoryLimitBytes === undefined ? {} : { memory: c.memoryLimitBytes }) };
  }
}

/** The source most intervals used, over every cgroup of the container. */
function mainSource(tracks: readonly ContainerTrack[], which: 'cpuSources' | 'memorySources'): MeasurementSource | undefined {
  const total = new Map<MeasurementSource, number>();
  for (const t of tracks) for (const [k, n] of t[which]) total.set(k, (total.get(k) ?? 0) + n);
  return [...total].sort((a, b) => b[1] - a[1])[0]?.[0];
}

function countersJson(tracks: readonly ContainerTrack[], rssStats: () => Stats) {
  const cpuSource = mainSource(tracks, 'cpuSources'), memorySource = mainSource(tracks, 'memorySources');
  const oom = tracks.some((t) => t.oomKills !== undefined) ? tracks.reduce((n, t) => n + (t.oomKills ?? 0), 0) : undefined;
  const peaks = tracks.flatMap((t) => (t.memoryPeak === undefined ? [] : [t.memoryPeak]));
  const throttled = tracks.filter((t) => t.throttleKnown);
  return {
    ...(cpuSource === undefined ? {} : { cpu_source: cpuSource }),
    ...(memorySource === undefined ? {} : { memory_source: memorySource }),
    ...(oom === undefined ? {} : { oom_kills: oom }),
    ...(throttled.length === 0 ? {} : { cpu_throttling: {
      periods: throttled.reduce((n, t) => n + t.periods, 0),
      throttled_periods: throttled.reduce((n, t) => n + t.throttledPeriods, 0),
      throttled_seconds: roundTo(3)(throttled.reduce((n, t) => n + t.throttledSeconds, 0)) } }),
    ...(peaks.length === 0 ? {} : { memory_peak_bytes: peaks.reduce((a, b) => a + b, 0) }),
    // Beside a cgroup's memory, the processes' resident sum: the difference is page cache, tmpfs, kernel memory.
    ...(memorySource !== undefined && memorySource !== 'processes' ? { rss_bytes: rssStats() } : {}),
  };
}

function mergeLimits(configured: ContainerLimits | undefined, fromCgroups: readonly ContainerLimits[]): ContainerLimits | undefined {
  const sum = (pick: (l: ContainerLimits) => number | undefined) => {
    const values = fromCgroups.map(pick);
    return values.every((v) => v !== undefined) && values.length > 0 ? values.reduce((a, b) => a + b, 0) : undefined;
  };
  const cpu = configured?.cpu ?? sum((l) => l.cpu), memory = configured?.memory ?? sum((l) => l.memory);
  if (cpu === undefined && memory === undefined) return undefined;
  return { ...(cpu === undefined ? {} : { cpu: cpu as Cores }), ...(memory === undefined ? {} : { memory: memory as Bytes }) };
}

const byCpu = (ps: ProcessTrack[]) => [...ps].sort((a, b) => b.peakCpu - a.peakCpu || b.cpuSum - a.cpuSum);
const byMemory = (ps: ProcessTrack[]) => [...ps].sort((a, b) => b.peakMem - a.peakMem || b.peakCpu - a.peakCpu);

const limitsJson = (l: ContainerLimits) => ({
  ...(l.cpu === undefined ? {} : { cpu_cores: l.cpu }),
  ...(l.memory === undefined ? {} : { memory_bytes: l.memory }),
});

const fraction = roundTo(4);
function fractions(cpu: Stats, memory: Stats, l: ContainerLimits) {
  return {
    ...(l.cpu ? { cpu_peak: fraction(cpu.peak / l.cpu), cpu_p95: fraction(cpu.p95 / l.cpu) } : {}),
    ...(l.memory ? { memory_peak: fraction(memory.peak / l.memory), memory_p95: fraction(memory.p95 / l.memory) } : {}),
  };
}

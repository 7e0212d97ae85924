// A job's recommendation as the API answers it (docs/recommendations.md): per container, requests and limits in
// Kubernetes notation and in numbers with bounds, the method's inputs, the limits seen in the latest run, the
// difference, one readable reason and a `resources:` snippet. Pure: the job's newest runs in, JSON-ready data out.
import {
  confidencePhase, containerNames, DEFAULT_METHOD, recommendContainer, type Bounded, type ConfidencePhase,
  type ContainerRecommendation, type RunPoint, type SizingOptions,
} from './method.ts';
import { cpuQuantity, memoryQuantity } from './rounding.ts';

export type CpuFigure = { readonly quantity: string; readonly cores: number };
export type MemoryFigure = { readonly quantity: string; readonly bytes: number };
export type WithBounds<F> = F & { readonly lower: F; readonly upper: F };

export type ContainerSizing = {
  readonly name: string;
  readonly cpu: { readonly request: WithBounds<CpuFigure>; readonly limit: WithBounds<CpuFigure> } | null;
  readonly memory: { readonly request: WithBounds<MemoryFigure>; readonly limit: WithBounds<MemoryFigure> } | null;
  readonly inputs: {
    readonly runs: number;
    readonly cpu_runs: number;
    readonly memory_runs: number;
    readonly effective_runs: number;
    readonly cpu_percentile: string;
    readonly half_life: string;
    /** Weighted percentiles over runs of each run's cpu_percentile (cores) and peak (bytes), after bumps. */
    readonly cpu_cores: { readonly p50: number; readonly p95: number; readonly max: number } | null;
    readonly memory_bytes: { readonly p50: number; readonly p98: number; readonly max: number } | null;
  };
  /** The limits in the newest run that reported any, or null. */
  readonly current: {
    readonly run_id: string;
    readonly cpu_limit: string | null; readonly cpu_limit_cores: number | null;
    readonly memory_limit: string | null; readonly memory_limit_bytes: number | null;
  } | null;
  /** Recommended limit minus current limit: negative can be freed, positive is missing. */
  readonly difference: { readonly cpu_limit_cores: number | null; readonly memory_limit_bytes: number | null };
  readonly reason: string;
  readonly resources_yaml: string;
};

export type JobSizing = {
  readonly meta: {
    readonly confidence_phase: ConfidencePhase;
    readonly method: 'weighted-percentile-v2';
    readonly runs_requested: number;
    readonly runs_used: number;
    readonly latest_run_id: string | null;
    readonly latest_received_at: string | null;
  };
  readonly containers: readonly ContainerSizing[];
};

const GIB = 2 ** 30;
const cpuFigure = (c: number): CpuFigure => ({ quantity: cpuQuantity(c), cores: c });
const memoryFigure = (b: number): MemoryFigure => ({ quantity: memoryQuantity(b), bytes: b });
const bounded = <F>(b: Bounded, f: (n: number) => F): WithBounds<F> => ({ ...f(b.value), lower: f(b.lower), upper: f(b.upper) });
const round = (n: number, digits: number) => Number(n.toFixed(digits));
const gib = (b: number) => `${(b / GIB).toFixed(b < 10 * GIB ? 2 : 1)} GiB`;
export const halfLifeText = (o: SizingOptions) => `${o.halfLife.value} ${o.halfLife.unit}`;

function currentLimits(window: readonly RunPoint[], name: string): ContainerSizing['current'] {
  for (const run of window) {
    const c = run.containers.find((x) => x.name === name);
    if (c?.cpu_limit_cores === undefined && c?.memory_limit_bytes === undefined) continue;
    return {
      run_id: run.runId,
      cpu_limit: c.cpu_limit_cores === undefined ? null : cpuQuantity(c.cpu_limit_cores),
      cpu_limit_cores: c.cpu_limit_cores ?? null,
      memory_limit: c.memory_limit_bytes === undefined ? null : memoryQuantity(c.memory_limit_bytes),
      memory_limit_bytes: c.memory_limit_bytes ?? null,
    };
  }
  return null;
}

/** The one line a person reads first: what forced the figures, or what changing to them would free or add. */
export function reasonFor(r: ContainerRecommendation, current: ContainerSizing['current'], options: SizingOptions): string {
  const mem = r.memory?.limit.value;
  const cpu = r.cpu?.limit.value;
  const b = r.inputs.memoryBump;
  if (b !== undefined && mem !== undefined && mem > b.limit) {
    const what = b.kind === 'oom' ? 'was OOM-killed at its limit' : 'reached 95% of its limit';
    return `memory raised above ${memoryQuantity(b.limit)}: run ${b.runId} ${what}`;
  }
  const t = r.inputs.cpuBump;
  if (t !== undefined && cpu !== undefined && cpu > t.limit) {
    return `CPU raised above ${cpuQuantity(t.limit)}: run ${t.runId} was throttled in more than 10% of its periods`;
  }
  if (r.inputs.runs < 3) {
    return `only ${r.inputs.runs} run${r.inputs.runs === 1 ? '' : 's'} so far: limits carry an extra margin until more runs are seen`;
  }
  const curMem = current?.memory_limit_bytes ?? undefined;
  if (mem !== undefined && curMem !== undefined && curMem > mem * 1.25) {
    return `memory limit ${memoryQuantity(curMem)} is ${(curMem / mem).toFixed(1)}x the recommended ${memoryQuantity(mem)}: ${gib(curMem - mem)} could be freed`;
  }
  if (mem !== undefined && curMem !== undefined && mem > curMem) {
    return `memory limit ${memoryQuantity(curMem)} is below the recommended ${memoryQuantity(mem)}: ${gib(mem - curMem)} missing`;
  }
  const curCpu = current?.cpu_limit_cores ?? undefined;
  if (cpu !== undefined && curCpu !== undefined && curCpu > cpu * 1.25) {
    return `CPU limit ${cpuQuantity(curCpu)} is ${(curCpu / cpu).toFixed(1)}x the recommended ${cpuQuantity(cpu)}: ${round(curCpu - cpu, 3)} cores could be freed`;
  }
  if (cpu !== undefined && curCpu !== undefined && cpu > curCpu) {
    return `CPU limit ${cpuQuantity(curCpu)} is below the recommended ${cpuQuantity(cpu)}: ${round(cpu - curCpu, 3)} cores missing`;
  }
  const parts = [];
  if (r.inputs.memory !== undefined) parts.push(`memory at the weighted p98 of ${r.inputs.memoryRuns} peaks (${gib(r.inputs.memory.p98)}) + ${DEFAULT_METHOD.memoryMargin * 100}%`);
  if (r.inputs.cpu !== undefined) parts.push(`CPU at the weighted p95 of ${r.inputs.cpuRuns} runs' ${options.cpuPercentile} (${round(r.inputs.cpu.p95, 2)} cores) + ${round(options.cpuBuffer * 100, 1)}%`);
  return parts.length === 0 ? 'no usage measured for this container' : `limits sized on ${parts.join(', ')}`;
}

/** The `resources:` block to paste under the container in a pod spec. */
export function resourcesYaml(r: ContainerRecommendation): string {
  const lines = ['resources:'];
  for (const kind of ['requests', 'limits'] as const) {
    const key = kind === 'requests' ? 'request' : 'limit';
    const entries: string[] = [];
    if (r.cpu !== undefined) entries.push(`    cpu: "${cpuQuantity(r.cpu[key].value)}"`);
    if (r.memory !== undefined) entries.push(`    memory: "${memoryQuantity(r.memory[key].value)}"`);
    if (entries.length > 0) lines.push(`  ${kind}:`, ...entries);
  }
  return lines.join('\n') + '\n';
}

export function containerSizing(window: readonly RunPoint[], name: string, options: SizingOptions): ContainerSizing {
  const r = recommendContainer(window, name, options);
  const current = currentLimits(window, name);
  const diff = (rec: number | undefined, cur: number | null | undefined, digits: number) =>
    rec === undefined || cur === null || cur === undefined ? null : round(rec - cur, digits);
  return {
    name,
    cpu: r.cpu === undefined ? null : { request: bounded(r.cpu.request, cpuFigure), limit: bounded(r.cpu.limit, cpuFigure) },
    memory: r.memory === undefined ? null
      : { request: bounded(r.memory.request, memoryFigure), limit: bounded(r.memory.limit, memoryFigure) },
    inputs: {
      runs: r.inputs.runs, cpu_runs: r.inputs.cpuRuns, memory_runs: r.inputs.memoryRuns,
      effective_runs: round(r.inputs.effectiveRuns, 2), cpu_percentile: options.cpuPercentile, half_life: halfLifeText(options),
      cpu_cores: r.inputs.cpu === undefined ? null
        : { p50: round(r.inputs.cpu.p50, 4), p95: round(r.inputs.cpu.p95, 4), max: round(r.inputs.cpu.max, 4) },
      memory_bytes: r.inputs.memory === undefined ? null
        : { p50: Math.round(r.inputs.memory.p50), p98: Math.round(r.inputs.memory.p98), max: Math.round(r.inputs.memory.max) },
    },
    current,
    difference: {
      cpu_limit_cores: diff(r.cpu?.limit.value, current?.cpu_limit_cores, 3),
      memory_limit_bytes: diff(r.memory?.limit.value, current?.memory_limit_bytes, 0),
    },
    reason: reasonFor(r, current, options),
    resources_yaml: resourcesYaml(r),
  };
}

/** The recommendation from a job's newest runs (newest first; only the first options.runs are used). */
export function sizeJob(newestFirst: readonly RunPoint[], options: SizingOptions): JobSizing {
  const window = newestFirst.slice(0, options.runs);
  const latest = window[0];
  return {
    meta: {
      confidence_phase: confidencePhase(window.length),
      method: 'weighted-percentile-v2',
      runs_requested: options.runs,
      runs_used: window.length,
      latest_run_id: latest?.runId ?? null,
      latest_received_at: latest?.receivedAt ?? null,
    },
    containers: containerNames(window).map((name) => containerSizing(window, name, options)),
  };
}

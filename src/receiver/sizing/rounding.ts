// Rounding recommendations up to values people write in a pod spec: `250m`, `1500m`, `768Mi`, `1280Mi`, `3Gi`,
// never more than an eighth above the figure, unlike CI Sizer's 0.5-core and power-of-two steps (up to 2x).
import { formatCpuQuantity, formatMemoryQuantity } from '../../cgroup/quantity.ts';
import { bytes, cores } from '../../units.ts';

const MI = 2 ** 20;
/** Smallest memory we recommend: below it a container's runtime overhead dominates. */
export const MIN_MEMORY_BYTES = 16 * MI;
/** Smallest CPU we recommend. */
export const MIN_CPU_CORES = 0.05;

/** CPU rounded up: 50m steps below 1 core, 250m below 4, 500m below 8, whole cores above. */
export function roundCpuUp(coresValue: number): number {
  const c = Math.max(MIN_CPU_CORES, coresValue);
  const step = c <= 1 ? 0.05 : c <= 4 ? 0.25 : c <= 8 ? 0.5 : 1;
  const milli = Math.round(step * 1000);
  // In millicores, so that 0.35 / 0.05 = 6.999... never rounds 350m up to 400m.
  return (Math.ceil(Math.round(c * 1e6) / 1000 / milli - 1e-9) * milli) / 1000;
}

/**
 * Memory rounded up to an eighth of its power of two: 16Mi steps below 256Mi, 64Mi below 1Gi (`768Mi`), 128Mi below
 * 2Gi (`1152Mi`, `1536Mi`), 512Mi from 4Gi (`4608Mi`, `5Gi`), whole GiB from 8Gi; at most 12.5% up, at least 16Mi.
 */
export function roundMemoryUp(bytesValue: number): number {
  const mib = Math.max(MIN_MEMORY_BYTES, bytesValue) / MI;
  const step = Math.max(16, 2 ** Math.floor(Math.log2(mib)) / 8); // an eighth of the power of two at or below the value
  return Math.ceil(mib / step - 1e-9) * step * MI;
}

/** CI Sizer's rounding: up to a multiple of 0.5 core. */
export const roundCpuHalfCore = (c: number): number => Math.max(0.5, Math.ceil(c * 2 - 1e-9) / 2);

/** CI Sizer's rounding: up to a power of two in MiB. */
export const roundMemoryPow2 = (b: number): number => 2 ** Math.ceil(Math.log2(Math.max(1, b / MI)) - 1e-9) * MI;

/** Kubernetes notation of cores: `2`, `250m`. */
export const cpuQuantity = (c: number): string => formatCpuQuantity(cores(c));
/** Kubernetes notation of bytes: `768Mi`, `3Gi`. */
export const memoryQuantity = (b: number): string => formatMemoryQuantity(bytes(Math.ceil(b)));

// Kubernetes resource quantities (`500m`, `1.5Gi`, `1e3`) as CGROUP_LIMITS gives them: parsed exactly
// into a BigInt rational like kubernetes/apimachinery's ParseQuantity, read out as cores or bytes
// rounded up like MilliValue()/Value(), and formatted back for right-sizing advice.
import { bytes, cores } from '../units.ts';
import type { Bytes, Cores } from '../units.ts';

export class QuantityError extends Error {
  override name = 'QuantityError';
  /** The text as given; the caller prefixes the field path (`CGROUP_LIMITS.runner.memory: ...`). */
  readonly text: string;
  constructor(text: string, problem = 'is not a Kubernetes quantity (examples: 500m, 2, 1.5Gi, 512M)') {
    super(`${JSON.stringify(text)} ${problem}`);
    this.text = text;
  }
}

/** An exact rational in lowest terms; `den` is always positive. */
export type Rational = { readonly num: bigint; readonly den: bigint };

const pow = (base: bigint, exp: number): Rational =>
  exp >= 0 ? { num: base ** BigInt(exp), den: 1n } : { num: 1n, den: base ** BigInt(-exp) };

// `n` and `u` are in apimachinery's parser though older doc comments omit them. It has no `K` (1K is an
// error there), but the reference Go collector documents "K, M, G, T (decimal)" for memory and our issue
// promises k/K..E, so `K` means 1000 here as `k` does. `E` alone is exa; `E3` is an exponent (below).
const SUFFIXES: ReadonlyMap<string, Rational> = new Map([
  ['n', pow(10n, -9)], ['u', pow(10n, -6)], ['m', pow(10n, -3)], ['', pow(10n, 0)],
  ['k', pow(10n, 3)], ['K', pow(10n, 3)], ['M', pow(10n, 6)], ['G', pow(10n, 9)],
  ['T', pow(10n, 12)], ['P', pow(10n, 15)], ['E', pow(10n, 18)],
  ['Ki', pow(2n, 10)], ['Mi', pow(2n, 20)], ['Gi', pow(2n, 30)],
  ['Ti', pow(2n, 40)], ['Pi', pow(2n, 50)], ['Ei', pow(2n, 60)],
]);

// Sign, integer digits, fraction digits, suffix. `1.`, `.5` and `1.G` are valid as in apimachinery;
// unlike its scanner we need a digit, so `.`, `-` and a bare `Mi` are errors rather than zero.
const QUANTITY = /^([+-]?)([0-9]*)(?:\.([0-9]*))?(.*)$/s;
const EXPONENT = /^[eE]([+-]?[0-9]+)$/;
// 10^1000 is still a small BigInt; the bound only stops `1e999999999` from allocating gigabytes.
const MAX_EXPONENT = 1000;

const gcd = (a: bigint, b: bigint): bigint => {
  for (a = a < 0n ? -a : a; b !== 0n; ) [a, b] = [b, a % b];
  return a;
};

/** Parses a quantity exactly (no float on the way); throws QuantityError for anything else. */
export function parseQuantity(text: string): Rational {
  const m = QUANTITY.exec(text);
  const [, sign = '', int = '', frac = '', suffix = ''] = m ?? [];
  if (m === null || int + frac === '') throw new QuantityError(text);
  let scale = SUFFIXES.get(suffix);
  if (scale === undefined) {
    const exp = EXPONENT.exec(suffix)?.[1];
    if (exp === undefined) throw new QuantityError(text);
    if (Math.abs(Number(exp)) > MAX_EXPONENT) throw new QuantityError(text, `has an exponent beyond ±${MAX_EXPONENT}`);
    scale = pow(10n, Number(exp));
  }
  const num = (sign === '-' ? -1n : 1n) * BigInt(int + frac) * scale.num;
  const den = 10n ** BigInt(frac.length) * scale.den;
  const g = gcd(num, den);
  return { num: num / g, den: den / g };
}

const ceilDiv = (num: bigint, den: bigint) => (num >= 0n ? (num + den - 1n) / den : num / den);

/** Parses and rounds up to whole `units` per 1 (1000 for millicores), rejecting what no limit can be. */
function parseLimit(input: string | number, what: string, perUnit: bigint, unitName: string): number {
  const text = String(input); // a JSON number such as {"cpu": 0.5} is read from its text, as apimachinery does
  const q = parseQuantity(text);
  if (q.num < 0n) throw new QuantityError(text, `is negative: a ${what} limit cannot be below 0`);
  const n = ceilDiv(q.num * perUnit, q.den);
  // Beyond 2^53 a Number is no longer exact; no machine has 8 PiB of memory or 9 trillion cores.
  if (n > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new QuantityError(text, `is too large for a ${what} limit (at most ${Number.MAX_SAFE_INTEGER} ${unitName})`);
  }
  return Number(n);
}

/** CPU in cores, rounded up to a whole millicore like MilliValue(): `500m` and `0.5` are 0.5, `100u` is 0.001. */
export const parseCpuQuantity = (text: string | number): Cores =>
  cores(parseLimit(text, 'CPU', 1000n, 'millicores') / 1000);

/** Memory in bytes, rounded up to a whole byte like Value(): `1Gi` is 1073741824, `1k` and `1K` are 1000. */
export const parseMemoryQuantity = (text: string | number): Bytes =>
  bytes(parseLimit(text, 'memory', 1n, 'bytes'));

// Rounds the decimal a person would write, not the binary double: 0.007 * 1000 is 7.000000000000001,
// which would round up to 8m. Noise past 15 significant digits (0.1 + 0.2) is float arithmetic, not
// demand, so it is dropped before rounding up.
function roundUp(n: number, perUnit: bigint, fn: string): bigint {
  if (!Number.isFinite(n) || n < 0) throw new RangeError(`${fn}: ${n} is not a finite, non-negative number`);
  if (Number.isInteger(n)) return BigInt(n) * perUnit; // exact, where String(2 ** 60) ends in "000"
  const q = parseQuantity(String(Number(n.toPrecision(15))));
  return ceilDiv(q.num * perUnit, q.den);
}

/** Kubernetes canonical CPU: whole cores as `2`, else millicores as `500m`, rounding up to a millicore. */
export function formatCpuQuantity(c: Cores): string {
  const milli = roundUp(c, 1000n, 'formatCpuQuantity');
  return milli % 1000n === 0n ? String(milli / 1000n) : `${milli}m`;
}

const BINARY = [['Ei', 60n], ['Pi', 50n], ['Ti', 40n], ['Gi', 30n], ['Mi', 20n], ['Ki', 10n]] as const;

/** Memory with the largest binary suffix that divides it exactly (`1536Mi`), else plain bytes; rounds up. */
export function formatMemoryQuantity(b: Bytes): string {
  const n = roundUp(b, 1n, 'formatMemoryQuantity');
  if (n === 0n) return '0';
  for (const [suffix, shift] of BINARY) if (n % (1n << shift) === 0n) return `${n >> shift}${suffix}`;
  return String(n);
}

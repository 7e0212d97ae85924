// Durations in Go's time.ParseDuration syntax (`500ms`, `1h30m`, `2m3.5s`), because the reference
// collector is Go and its --interval flag takes them; formatted back as Go's Duration.String() does.
import { millis } from '../units.ts';
import type { Millis } from '../units.ts';

const NS_PER: ReadonlyMap<string, bigint> = new Map([
  ['ns', 1n], ['us', 1_000n], ['µs', 1_000n], ['μs', 1_000n], // U+00B5 micro sign and U+03BC mu, as Go
  ['ms', 1_000_000n], ['s', 1_000_000_000n], ['m', 60_000_000_000n], ['h', 3_600_000_000_000n],
]);
const TWO_63 = 1n << 63n;

// One `<number><unit>` term. Go reads the unit as everything up to the next digit or '.', so `1hm`
// and `1s-1s` fail on an unknown unit ("hm", "s-") rather than splitting differently.
const TERM = /([0-9]*)(?:\.([0-9]*))?([^0-9.]*)/y;

// Go's leadingFraction plus its float step, copied on purpose: Go takes digits while they fit in an
// int64 and scales in float64, so "0.3333333333333333333h" is exactly 20m there (golang.org/issue/6617),
// where exact arithmetic would give one nanosecond less.
function fractionNs(digits: string, unit: bigint): bigint {
  let f = 0n, scale = 1;
  for (const c of digits) {
    const next = f * 10n + BigInt(c);
    if (f > (TWO_63 - 1n) / 10n || next > TWO_63) break;
    f = next;
    scale *= 10;
  }
  return BigInt(Math.trunc(Number(f) * (Number(unit) / scale)));
}

/**
 * Parses a Go duration into milliseconds, fractional below 1 ms (`1us` is 0.001). Like Go: a leading
 * sign, `0` alone, `1.s` and `.5s` are valid; the result is whole nanoseconds within an int64.
 * @returns undefined when `text` is not a duration (`2`, `1x`, ` 1s`, ``)
 */
export function parseDurationMs(text: string): Millis | undefined {
  const neg = text.startsWith('-');
  const rest = neg || text.startsWith('+') ? text.slice(1) : text;
  if (rest === '0') return millis(0);
  if (rest === '') return undefined;
  let ns = 0n;
  for (TERM.lastIndex = 0; TERM.lastIndex < rest.length; ) {
    const [, int = '', frac, unitText = ''] = TERM.exec(rest) ?? [];
    const unit = NS_PER.get(unitText);
    // `frac` is undefined without a '.', and '' for `1.s`, which Go accepts.
    if (unit === undefined || int + (frac ?? '') === '') return undefined;
    ns += BigInt(int) * unit + fractionNs(frac ?? '', unit);
  }
  if (ns > (neg ? TWO_63 : TWO_63 - 1n)) return undefined; // beyond Go's int64 nanoseconds (~292 years)
  // Whole and sub-millisecond parts apart, so that a long duration stays exact to the nanosecond.
  const ms = Number(ns / 1_000_000n) + Number(ns % 1_000_000n) / 1e6;
  return millis(neg && ns !== 0n ? -ms : ms);
}

/** `.5` for (5, 1), `` for a zero fraction: Go's fmtFrac, trailing zeros dropped. */
function splitFraction(v: bigint, digits: number): [whole: bigint, fraction: string] {
  const p = 10n ** BigInt(digits);
  const fraction = (v % p).toString().padStart(digits, '0').replace(/0+$/, '');
  return [v / p, fraction === '' ? '' : `.${fraction}`];
}

/**
 * Formats as Go's Duration.String(), so --help shows what the Go collector shows: `2s`, `500ms`,
 * `1m30s`, `1h0m0s`, `1.5µs`, `0s`. Rounds to the nearest nanosecond.
 */
export function formatDuration(ms: Millis): string {
  if (!Number.isFinite(ms)) throw new RangeError(`formatDuration: ${ms} is not a finite number of milliseconds`);
  let ns = BigInt(Math.round(ms * 1e6));
  const sign = ns < 0n ? '-' : '';
  if (ns < 0n) ns = -ns;
  if (ns === 0n) return '0s';
  if (ns < 1_000_000_000n) {
    const [digits, unit] = ns < 1_000n ? [0, 'ns'] : ns < 1_000_000n ? [3, 'µs'] : [6, 'ms'];
    const [whole, fraction] = splitFraction(ns, digits);
    return `${sign}${whole}${fraction}${unit}`;
  }
  const [s, fraction] = splitFraction(ns, 9);
  const h = s / 3600n, m = (s / 60n) % 60n;
  return `${sign}${h > 0n ? `${h}h` : ''}${s >= 60n ? `${m}m` : ''}${s % 60n}${fraction}s`;
}

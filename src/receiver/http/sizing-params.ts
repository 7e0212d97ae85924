// The query strings of the sizing and history endpoints: CI Sizer's `runs`, `buffer` and `cpu_percentile`, our
// `half_life`, `backtest` and `history`, and the dashboard's `limit`/`points`. Text in, validated options out;
// a bad value is a 400 naming the parameter. Schemas list every parameter, so a typo is a 400 too.
import { HttpError } from '../errors.ts';
import { DEFAULT_SIZING_OPTIONS, type SizingOptions } from '../sizing/method.ts';
import type { StatName } from '../sizing/run-stats.ts';
import type { HalfLife } from '../sizing/weighted.ts';

const param = (description: string, maxLength = 16) => ({ type: 'string', maxLength, description });

export const sizingQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    runs: param('How many of the newest runs to size on, 1-1000 (default 30).'),
    buffer: param('CPU safety margin in percent, 0-1000 (default 20); a fraction below 1 such as 0.2 is read as 20%.'),
    cpu_percentile: param('The per-run CPU statistic sized on: p50, p75, p95 (default), p99, peak (or max), avg; or 50, 75, 95, 99.'),
    half_life: param('How fast older runs lose weight: a number of runs (default 10) or days such as 7d.'),
    backtest: { type: 'string', enum: ['true', 'false'], description: 'true: also replay the job\'s history and score the methods.' },
    history: param('With backtest: how many of the newest runs to replay, 2-10000 (default 1000).'),
  },
} as const;

export type SizingQuery = {
  runs?: string; buffer?: string; cpu_percentile?: string; half_life?: string; backtest?: 'true' | 'false'; history?: string;
};

export const MAX_RUNS = 1000;
export const DEFAULT_BACKTEST_HISTORY = 1000;
export const MAX_HISTORY = 10_000;

const bad = (name: string, want: string) => new HttpError(400, `querystring.${name}: must be ${want}`);

/** An integer in [min, max] from a decimal string, else a 400. */
export function intParam(name: string, text: string | undefined, min: number, max: number, fallback: number): number {
  if (text === undefined) return fallback;
  const n = /^[0-9]{1,7}$/.test(text) ? Number(text) : NaN;
  if (!(n >= min && n <= max)) throw bad(name, `an integer from ${min} to ${max}`);
  return n;
}

const PERCENTILES: Readonly<Record<string, StatName>> = {
  p50: 'p50', p75: 'p75', p95: 'p95', p99: 'p99', peak: 'peak', max: 'peak', avg: 'avg',
  50: 'p50', 75: 'p75', 95: 'p95', 99: 'p99',
};

export type ParsedSizingQuery = { readonly options: SizingOptions; readonly backtest: boolean; readonly history: number };

export function parseSizingQuery(q: SizingQuery): ParsedSizingQuery {
  const runs = intParam('runs', q.runs, 1, MAX_RUNS, DEFAULT_SIZING_OPTIONS.runs);
  let cpuBuffer = DEFAULT_SIZING_OPTIONS.cpuBuffer;
  if (q.buffer !== undefined) {
    const n = /^[0-9]{1,4}(\.[0-9]{1,4})?$/.test(q.buffer) ? Number(q.buffer) : NaN;
    if (!(n >= 0 && n <= 1000)) throw bad('buffer', 'a percentage from 0 to 1000');
    cpuBuffer = n < 1 && q.buffer.includes('.') ? n : n / 100; // CI Sizer clients may send 0.2 for 20%
  }
  let cpuPercentile = DEFAULT_SIZING_OPTIONS.cpuPercentile;
  if (q.cpu_percentile !== undefined) {
    const p = Object.hasOwn(PERCENTILES, q.cpu_percentile.toLowerCase()) ? PERCENTILES[q.cpu_percentile.toLowerCase()] : undefined;
    if (p === undefined) throw bad('cpu_percentile', 'one of p50, p75, p95, p99, peak, avg');
    cpuPercentile = p;
  }
  let halfLife: HalfLife = DEFAULT_SIZING_OPTIONS.halfLife;
  if (q.half_life !== undefined) {
    const m = /^([0-9]{1,4}(?:\.[0-9]{1,3})?)(d?)$/.exec(q.half_life);
    const value = Number(m?.[1]);
    if (m === null || !(value > 0 && value <= 3650)) throw bad('half_life', 'a number of runs (10) or days (7d), above 0');
    halfLife = { unit: m[2] === 'd' ? 'days' : 'runs', value };
  }
  return {
    options: { runs, cpuBuffer, cpuPercentile, halfLife },
    backtest: q.backtest === 'true',
    history: intParam('history', q.history, 2, MAX_HISTORY, DEFAULT_BACKTEST_HISTORY),
  };
}

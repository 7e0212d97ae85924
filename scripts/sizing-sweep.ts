// The trade-offs behind the sizing method's memory constants (docs/recommendations.md): the backtest on the TUNING
// seeds only, once with the defaults and once per change of one constant, per scenario. The constants were chosen
// from this table; the held-out table (`npm run backtest`) is the result.
//   node scripts/sizing-sweep.ts [--seeds N]        (the first N tuning seeds; default all 40; ~10 s a row)
import { parseArgs } from 'node:util';
import { syntheticBacktest, TUNING_SEEDS } from '../src/receiver/sizing/backtest-report.ts';
import { DEFAULT_METHOD, DEFAULT_SIZING_OPTIONS, type MethodParams } from '../src/receiver/sizing/method.ts';
import { SCENARIOS } from '../src/receiver/sizing/synthetic.ts';

const MI = 2 ** 20;
/** One constant changed at a time, and the v1 method (the constants before the held-out evaluation). */
const VARIANTS: readonly { readonly label: string; readonly change: Partial<MethodParams> }[] = [
  { label: 'defaults', change: {} },
  { label: 'v1: no jump, tail 0.5, no spiky rule', change: { memoryJump: 0, memoryTailFactor: 0.5, memorySpikyBand: Infinity } },
  { label: 'memoryJump 0', change: { memoryJump: 0 } },
  { label: 'memoryJump 0.2', change: { memoryJump: 0.2 } },
  { label: 'memoryJump 0.5', change: { memoryJump: 0.5 } },
  { label: 'memoryTailFactor 0', change: { memoryTailFactor: 0 } },
  { label: 'memoryTailFactor 0.25', change: { memoryTailFactor: 0.25 } },
  { label: 'memorySpikyBand ∞ (second-highest only)', change: { memorySpikyBand: Infinity } },
  { label: 'memorySpikyBand 0.25', change: { memorySpikyBand: 0.25 } },
  { label: 'memoryMargin 0.05', change: { memoryMargin: 0.05 } },
  { label: 'memoryMargin 0.15 (the VPA\'s)', change: { memoryMargin: 0.15 } },
  { label: 'minMemoryHeadroom 100Mi (the VPA\'s)', change: { minMemoryHeadroomBytes: 100 * MI } },
];

const { values: v } = parseArgs({ options: { seeds: { type: 'string', default: String(TUNING_SEEDS.length) } } });
const count = Number(v.seeds);
if (!Number.isInteger(count) || count < 1 || count > TUNING_SEEDS.length) {
  process.stderr.write(`sizing-sweep: --seeds: ${JSON.stringify(v.seeds)} is not 1-${TUNING_SEEDS.length}\n`);
  process.exit(2);
}
const seeds = TUNING_SEEDS.slice(0, count);

const columns = [...SCENARIOS, 'all'];
process.stdout.write(`Tuning seeds ${seeds[0]}-${seeds.at(-1)}; each cell: OOM kills ours / CI Sizer, memory waste ours vs CI Sizer.\n\n`);
process.stdout.write(`| change from the defaults | ${columns.join(' | ')} |\n| --- |${' ---: |'.repeat(columns.length)}\n`);
for (const { label, change } of VARIANTS) {
  const rows = syntheticBacktest(seeds, DEFAULT_SIZING_OPTIONS, { ...DEFAULT_METHOD, ...change });
  const cells = columns.map((c) => {
    const r = rows.find((x) => x.label === c);
    if (r === undefined) return '–';
    const { ours: o, ci_sizer: ci } = r.methods;
    const waste = Math.round((o.memory_waste_gib_hours / ci.memory_waste_gib_hours - 1) * 100);
    return `${o.oom_kills} / ${ci.oom_kills}, ${waste <= 0 ? '−' : '+'}${Math.abs(waste)}%`;
  });
  process.stdout.write(`| ${label} | ${cells.join(' | ')} |\n`);
}

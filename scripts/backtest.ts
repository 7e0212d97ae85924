// `npm run backtest`: replays the synthetic histories (or a store's jobs) and prints how our method, CI Sizer's and
// the limits actually set would have fared: would-be OOM kills, CPU throttling, waste (docs/recommendations.md).
//   npm run backtest                                    (the table in docs/recommendations.md: held-out seeds)
//   npm run backtest -- --seeds tuning                  (the seeds the method's constants were chosen on)
//   npm run backtest -- --db metrics.db [--org O --repo R --workflow W --job J] [--runs 30] [--history 1000]
import { parseArgs } from 'node:util';
import { loadRuns } from '../src/receiver/http/job-history.ts';
import { backtest, BACKTEST_METHODS } from '../src/receiver/sizing/backtest.ts';
import {
  addScores, backtestMarkdown, HELD_OUT_SEEDS, syntheticBacktest, TUNING_SEEDS, type ScenarioScores,
} from '../src/receiver/sizing/backtest-report.ts';
import { DEFAULT_SIZING_OPTIONS } from '../src/receiver/sizing/method.ts';
import { storeConfigFromDb } from '../src/receiver/store/config.ts';
import { openStore } from '../src/receiver/store/open.ts';
import type { JobKey, Scope } from '../src/receiver/store/types.ts';

const { values: v } = parseArgs({ options: {
  db: { type: 'string' }, synthetic: { type: 'boolean', default: false }, seeds: { type: 'string', default: 'held-out' },
  org: { type: 'string' }, repo: { type: 'string' }, workflow: { type: 'string' }, job: { type: 'string' },
  runs: { type: 'string', default: String(DEFAULT_SIZING_OPTIONS.runs) }, history: { type: 'string', default: '1000' },
} });

const positive = (name: string, text: string) => {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name}: ${JSON.stringify(text)} is not a positive integer`);
  return n;
};

if (v.synthetic || v.db === undefined) {
  const seeds = v.seeds === 'held-out' ? HELD_OUT_SEEDS : v.seeds === 'tuning' ? TUNING_SEEDS : undefined;
  if (seeds === undefined) {
    process.stderr.write(`backtest: --seeds: ${JSON.stringify(v.seeds)} is not held-out or tuning\n`);
    process.exit(2);
  }
  process.stdout.write(backtestMarkdown(syntheticBacktest(seeds)));
} else {
  const options = { ...DEFAULT_SIZING_OPTIONS, runs: positive('runs', v.runs) };
  const store = await openStore(storeConfigFromDb(v.db));
  try {
    let jobs: Scope[];
    if (v.org !== undefined && v.repo !== undefined && v.workflow !== undefined && v.job !== undefined) {
      jobs = [{ organization: v.org, repository: v.repo, workflow: v.workflow, job: v.job }];
    } else {
      jobs = [];
      for (let after: JobKey | undefined; ;) {
        const page = await store.listJobs({ limit: 1000, after });
        jobs.push(...page);
        const last = page.at(-1);
        if (page.length < 1000 || last === undefined) break;
        after = [last.organization, last.repository, last.workflow, last.job];
      }
    }
    const rows: ScenarioScores[] = [];
    for (const s of jobs) {
      const runs = await loadRuns(store, { org: s.organization, repo: s.repository, workflow: s.workflow, job: s.job },
        positive('history', v.history), { warn: () => undefined });
      const r = backtest(runs.reverse(), options);
      rows.push({ label: `${s.repository} · ${s.workflow} · ${s.job}`, jobs: 1, methods: { ...r.methods } });
    }
    if (rows.length > 1) {
      const [first, ...rest] = rows;
      if (first !== undefined) {
        const total = { ...first.methods };
        for (const row of rest) for (const m of BACKTEST_METHODS) total[m] = addScores(total[m], row.methods[m]);
        rows.push({ label: 'all', jobs: rows.length, methods: total });
      }
    }
    process.stdout.write(rows.length === 0 ? 'no jobs with runs in this store\n' : backtestMarkdown(rows, 'job'));
  } finally {
    await store.close();
  }
}

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { StoredRunJson } from './types.ts';
import { parseJsonText } from './sql.ts';
import { runsJson } from './runs-json.ts';

const run = (id: number, payload: unknown, fields: Partial<StoredRunJson> = {}): StoredRunJson => ({
  id, organization: 'my-org', repository: 'my-org/my-repo', workflow: 'ci.yml', job: 'build', run_id: `run-${id}`,
  received_at: '2026-02-06T14:30:23.056Z', payloadJson: JSON.stringify(payload), ...fields,
});

// What the route answered before: fastify's JSON.stringify of the runs with their payloads parsed.
const parsedThenSerialised = (runs: readonly StoredRunJson[]) =>
  JSON.stringify(runs.map(({ payloadJson, ...r }) => ({ ...r, payload: parseJsonText(payloadJson) })));

const cases: { name: string; runs: StoredRunJson[] }[] = [
  { name: 'no runs', runs: [] },
  { name: 'one run', runs: [run(1, { complete: true, containers: [{ name: 'build', cpu_cores: { p95: 1.5 } }] })] },
  { name: 'several runs, newest first', runs: [run(3, { n: 3 }), run(2, [1, 2.25, null, true]), run(1, 'text')] },
  { name: 'names that need escaping, non-ASCII text', runs: [run(7, { name: 'ünïcødé ✓ "q" \\ \n 𝄞' },
    { repository: 'my-org/"quoted"\\repo', job: 'build ✓', run_id: 'line\nbreak' })] },
];

for (const c of cases) {
  test(`runsJson: ${c.name}: the bytes JSON.stringify made of the parsed runs`, () => {
    assert.equal(runsJson(c.runs).toString('utf8'), parsedThenSerialised(c.runs));
  });
  test(`runsJson: ${c.name}, payloads as UTF-8 bytes (SQLite): the same bytes`, () => {
    const asBytes = c.runs.map((r) => ({ ...r, payloadJson: new TextEncoder().encode(r.payloadJson as string) }));
    assert.deepEqual(runsJson(asBytes), runsJson(c.runs));
    assert.equal(runsJson(asBytes).toString('utf8'), parsedThenSerialised(c.runs));
  });
}

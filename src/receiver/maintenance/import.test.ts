import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, test } from 'node:test';
import { RUN_STATS_VERSION } from '../sizing/run-stats.ts';
import { exportLine } from './export.ts';
import { BODY_LIMIT_BYTES } from '../http/app.ts';
import { MAX_LINE_BYTES, parseImportLine, splitLines } from './import.ts';

const RUN = { organization: 'o', repository: 'o/r', workflow: 'w', job: 'j', run_id: 'r', execution_id: null,
  received_at: '2026-01-01T00:00:00.000Z', payload: { n: 1 } };
const line = (fields: object) => JSON.stringify({ ...RUN, ...fields });

describe('import', () => {
  test('exportLine → parseImportLine: the same run, U+2028 escaped so that no line reader splits it', () => {
    const payload = '{"s":"a\u2028b\u2029c","n":12025908429,"complete":false,"duration_seconds":12.5}';
    const text = exportLine({ id: 9, organization: 'o', repository: 'o/r', workflow: 'w', job: 'j', run_id: 'r',
      execution_id: 'e', received_at: '2026-01-01T00:00:00.000Z', payload });
    assert.doesNotMatch(text.slice(0, -1), /[\n\u2028\u2029]/);
    assert.deepEqual(JSON.parse(text), { ...RUN, execution_id: 'e', payload: JSON.parse(payload) as unknown });
    const run = parseImportLine(text.trimEnd(), 1);
    assert.deepEqual([run.execution_id, run.received_at, JSON.parse(run.payload) as unknown], ['e', '2026-01-01T00:00:00.000Z', JSON.parse(payload)]);
    assert.deepEqual(JSON.parse(run.stats!), { v: RUN_STATS_VERSION, complete: false, duration_seconds: 12.5, containers: [] },
      'stats derived from the payload, as for a push');
  });

  test('exportLine: a payload stored with line breaks (not by this receiver) still makes one line', () => {
    const text = exportLine({ id: 1, organization: 'o', repository: 'o/r', workflow: 'w', job: 'j', run_id: 'r', execution_id: null,
      received_at: '2026-01-01T00:00:00.000Z', payload: '{\n  "a": "x\\ny",\r\n  "b": [1,\n 2]\n}' });
    assert.equal(text.indexOf('\n'), text.length - 1);
    assert.deepEqual((JSON.parse(text) as { payload: unknown }).payload, { a: 'x\ny', b: [1, 2] });
  });

  const valid = [
    { name: 'execution_id null: none', fields: {}, want: { execution_id: undefined } },
    { name: 'execution_id absent: none', fields: { execution_id: undefined }, want: { execution_id: undefined } },
    { name: 'an offset time is stored in UTC', fields: { received_at: '2026-01-01T02:00:00.5+02:00' }, want: { received_at: '2026-01-01T00:00:00.500Z' } },
  ];
  for (const c of valid) {
    test(`parseImportLine: ${c.name}`, () => {
      const run = parseImportLine(line(c.fields), 1);
      for (const [k, v] of Object.entries(c.want)) assert.equal(run[k as keyof typeof run], v, k);
    });
  }

  const invalid = [
    { name: 'an empty organization', fields: { organization: '' }, message: 'line 4: organization: "" is not 1-256 characters' },
    { name: 'a repository of 513 characters', fields: { repository: 'r'.repeat(513) }, message: /^line 4: repository: "r{79} is not 1-512 characters$/ },
    { name: 'a control character in job', fields: { job: 'a\tb' }, message: 'line 4: job: "a\\tb" contains control characters' },
    { name: 'a number for execution_id', fields: { execution_id: 7 }, message: 'line 4: execution_id: 7 is not a string' },
    { name: 'a NUL in the payload', fields: { payload: { s: 'a\u0000' } }, message: 'line 4: payload.s: contains a NUL or an unpaired surrogate' },
    { name: 'received_at missing', fields: { received_at: undefined }, message: 'line 4: received_at: undefined is not an RFC 3339 time' },
    { name: 'an array', raw: '[1]', message: 'line 4: not a JSON object' },
  ];
  for (const c of invalid) {
    test(`parseImportLine: ${c.name} is an ImportLineError naming line and field`, () =>
      assert.throws(() => parseImportLine(c.raw ?? line(c.fields ?? {}), 4), { name: 'ImportLineError', message: c.message }));
  }

  test('splitLines: a line longer than the limit is an ImportLineError naming its number; the lines before it come out', async () => {
    const lines: string[] = [];
    const read = async () => { for await (const l of splitLines(Readable.from([Buffer.from('ok\n12345'), Buffer.from('6789\nnever\n')]), 8)) lines.push(l); };
    await assert.rejects(read, { name: 'ImportLineError', message: 'line 2: longer than 8 bytes' });
    assert.deepEqual(lines, ['ok']);
  });

  test('MAX_LINE_BYTES: a line may be as long as the largest push body, plus the keys an export adds', () =>
    assert.equal(MAX_LINE_BYTES, BODY_LIMIT_BYTES + 4096));

  test('splitLines: at \\n only (CRLF too), characters cut between chunks kept whole, a last line without \\n', async () => {
    const bytes = Buffer.from('a\u2028b\r\nü✓\n\nlast');
    const chunks = [...bytes].map((b) => Buffer.from([b])); // one byte a chunk: every multi-byte character is cut
    const lines: string[] = [];
    for await (const l of splitLines(Readable.from(chunks))) lines.push(l);
    assert.deepEqual(lines, ['a\u2028b', 'ü✓', '', 'last']);
  });
});

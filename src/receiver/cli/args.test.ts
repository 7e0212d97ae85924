import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseSubcommand, SUBCOMMAND_HELP, type Subcommand } from './args.ts';

describe('subcommand args', () => {
  test('export: defaults to every run of metrics.db on stdout; filters and times as the stores keep them', () => {
    assert.deepEqual(parseSubcommand('export', []), { kind: 'export', store: { kind: 'sqlite', path: 'metrics.db' }, out: undefined,
      filter: { organization: undefined, repository: undefined, workflow: undefined, job: undefined, since: undefined, until: undefined } });
    assert.deepEqual(parseSubcommand('export', ['--db', 'postgres://h/d', '--organization', 'o', '--repository=o/r', '--workflow', 'w',
      '--job', 'j', '--since', '2026-01-01T01:00:00+01:00', '--until', '2026-02-01T00:00:00Z', '--out', 'x.ndjson']),
    { kind: 'export', store: { kind: 'postgres', url: 'postgres://h/d' }, out: 'x.ndjson', filter: { organization: 'o', repository: 'o/r',
      workflow: 'w', job: 'j', since: '2026-01-01T00:00:00.000Z', until: '2026-02-01T00:00:00.000Z' } });
  });

  test('import: a file, or stdin without one or with "-"', () => {
    assert.deepEqual(parseSubcommand('import', ['--db', 'm.db', 'runs.ndjson']), { kind: 'import', store: { kind: 'sqlite', path: 'm.db' }, input: 'runs.ndjson' });
    assert.equal((parseSubcommand('import', []) as { input?: string }).input, undefined);
    assert.equal((parseSubcommand('import', ['-']) as { input?: string }).input, undefined);
  });

  test('backup: --db and --out', () =>
    assert.deepEqual(parseSubcommand('backup', ['--db', 'm.db', '--out', 'copy.db']), { kind: 'backup', db: 'm.db', out: 'copy.db' }));

  for (const name of ['export', 'import', 'backup'] as const) {
    test(`${name} --help: its own help, naming every flag it takes`, () => {
      assert.deepEqual(parseSubcommand(name, ['-h']), { kind: 'help', text: SUBCOMMAND_HELP[name] });
      for (const flag of name === 'export' ? ['--db', '--organization', '--repository', '--workflow', '--job', '--since', '--until', '--out']
        : name === 'import' ? ['--db', 'FILE'] : ['--db', '--out']) assert.ok(SUBCOMMAND_HELP[name].includes(flag), flag);
    });
  }

  const bad: { name: string; command: Subcommand; args: string[]; message: string | RegExp }[] = [
    { name: 'since not a time', command: 'export', args: ['--since', 'yesterday'], message: '--since: "yesterday" is not an RFC 3339 time such as 2026-02-06T14:30:00Z' },
    { name: 'until before since', command: 'export', args: ['--since', '2026-02-01T00:00:00Z', '--until', '2026-01-01T00:00:00Z'],
      message: '--until: "2026-01-01T00:00:00Z" is not after --since "2026-02-01T00:00:00Z"' },
    { name: 'empty organization', command: 'export', args: ['--organization='], message: '--organization: empty' },
    { name: 'empty db', command: 'import', args: ['--db', ''], message: '--db: empty' },
    { name: 'two input files', command: 'import', args: ['a', 'b'], message: '"b": one input file at most' },
    { name: 'backup of PostgreSQL', command: 'backup', args: ['--db', 'postgresql://h/d', '--out', 'x'], message: /pg_dump/ },
    { name: 'backup without --out', command: 'backup', args: ['--db', 'm.db'], message: '--out is required' },
  ];
  for (const c of bad) {
    test(`${c.command}: ${c.name} is a UsageError naming the flag and value`, () =>
      assert.throws(() => parseSubcommand(c.command, c.args), { name: 'UsageError', message: c.message }));
  }

  test('export: an unknown flag (import\'s file) is parseArgs\'s error', () =>
    assert.throws(() => parseSubcommand('export', ['runs.ndjson']), { code: 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL' }));
});

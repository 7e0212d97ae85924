import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCollectorArgs, helpText, FLAGS, ENVIRONMENT, type CollectorConfig } from './config.ts';

const run = (argv: string[], env: NodeJS.ProcessEnv = {}): CollectorConfig => {
  const parsed = parseCollectorArgs(argv, env);
  assert.equal(parsed.kind, 'run');
  return (parsed as { config: CollectorConfig }).config;
};
const SCOPE = { GITHUB_REPOSITORY_OWNER: 'my-org', GITHUB_REPOSITORY: 'my-org/my-repo', GITHUB_WORKFLOW: 'ci.yml', GITHUB_JOB: 'build', GITHUB_RUN_ID: 'run-123' };

test('config: defaults match the reference collector', () => {
  const c = run([]);
  assert.deepEqual([c.intervalMs, c.procPath, c.logLevel, c.logFormat, c.top, c.pushEndpoint, c.pushTimeoutMs, c.countExitedChildren],
    [2000, '/proc', 'info', 'json', 5, undefined, 20_000, true]);
});

test('config: spool and checkpoints: documented defaults, 0 turns checkpoints off, `flush` is a command', () => {
  const c = run([]);
  assert.deepEqual([c.spoolDir, c.checkpointIntervalMs], ['/var/tmp/runner-resource-collector', 60_000]);
  assert.equal(run(['--checkpoint-interval=0']).checkpointIntervalMs, 0);
  assert.equal(parseCollectorArgs(['flush', '--spool-dir=/tmp/s'], {}).kind, 'flush');
  assert.throws(() => parseCollectorArgs(['fluhs'], {}), { name: 'UsageError', message: 'unknown command "fluhs" (commands: run, flush)' });
  assert.throws(() => parseCollectorArgs(['--checkpoint-interval=10ms'], {}), { name: 'UsageError', message: /^--checkpoint-interval: "10ms"/ });
});

test('config: Go-style single-dash flags are accepted', () => {
  const c = run(['-interval=500ms', '-top', '3', '--proc-path=/host/proc']);
  assert.deepEqual([c.intervalMs, c.top, c.procPath], [500, 3, '/host/proc']);
});

test('config: the push token comes from the flag, else COLLECTOR_PUSH_TOKEN', () => {
  assert.equal(run(['--push-endpoint=http://r:8080/api/v1/metrics'], { ...SCOPE, COLLECTOR_PUSH_TOKEN: 'env-token' }).pushToken, 'env-token');
  assert.equal(run(['--push-endpoint=http://r/x', '--push-token=flag-token'], { ...SCOPE, COLLECTOR_PUSH_TOKEN: 'env-token' }).pushToken, 'flag-token');
});

test('config: the organization defaults to the owner part of GITHUB_REPOSITORY', () => {
  const { GITHUB_REPOSITORY_OWNER: _, ...rest } = SCOPE;
  assert.equal(run(['--push-endpoint=http://r/x', '--push-token=t'], rest).scope.organization, 'my-org');
});

test('config: CGROUP_PROCESS_MAP and CGROUP_LIMITS are parsed into maps', () => {
  const c = run([], { CGROUP_PROCESS_MAP: '{"node":"runner","postgres":"db"}', CGROUP_LIMITS: '{"runner":{"cpu":"500m","memory":"1Gi"},"db":{"memory":"256Mi"}}' });
  assert.deepEqual([...c.processMap], [['node', 'runner'], ['postgres', 'db']]);
  assert.deepEqual([...c.limits], [['runner', { cpu: 0.5, memory: 1073741824 }], ['db', { memory: 268435456 }]]);
});

const invalid: { name: string; argv: string[]; env?: NodeJS.ProcessEnv; message: RegExp }[] = [
  { name: 'an interval without a unit', argv: ['--interval=2'], message: /^--interval: "2" is not a duration/ },
  { name: 'a zero interval', argv: ['--interval=0s'], message: /^--interval: "0s"/ },
  { name: 'a negative top', argv: ['--top=-1'], message: /^--top: "-1" is not a whole number/ },
  { name: 'an unknown log level', argv: ['--log-level=trace'], message: /^--log-level: "trace" is not one of debug, info, warn, error/ },
  { name: 'an endpoint that is not http', argv: ['--push-endpoint=ftp://x'], message: /^--push-endpoint: "ftp:\/\/x" is not an http/ },
  { name: 'an endpoint without a token', argv: ['--push-endpoint=http://r/x'], env: SCOPE, message: /needs a token/ },
  { name: 'an endpoint without the run scope', argv: ['--push-endpoint=http://r/x', '--push-token=t'], env: { GITHUB_REPOSITORY: 'o/r' }, message: /set GITHUB_WORKFLOW, GITHUB_JOB, GITHUB_RUN_ID$/ },
  { name: 'a process map that is not JSON', argv: [], env: { CGROUP_PROCESS_MAP: '{node:runner}' }, message: /^CGROUP_PROCESS_MAP: not valid JSON/ },
  { name: 'a process map that is an array', argv: [], env: { CGROUP_PROCESS_MAP: '["node"]' }, message: /^CGROUP_PROCESS_MAP: must be a JSON object/ },
  { name: 'a process map value that is not a name', argv: [], env: { CGROUP_PROCESS_MAP: '{"node":1}' }, message: /^CGROUP_PROCESS_MAP\.node: 1 is not a container name/ },
  { name: 'a bad memory quantity', argv: [], env: { CGROUP_LIMITS: '{"runner":{"memory":"1Gb"}}' }, message: /^CGROUP_LIMITS\.runner\.memory: "1Gb" is not a Kubernetes quantity/ },
  { name: 'an unknown limit field', argv: [], env: { CGROUP_LIMITS: '{"runner":{"cpus":"1"}}' }, message: /^CGROUP_LIMITS\.runner\.cpus: unknown field/ },
];
for (const c of invalid) {
  test(`config: rejects ${c.name} with one line naming the field`, () =>
    assert.throws(() => parseCollectorArgs(c.argv, c.env ?? {}), (err: Error) => {
      assert.equal(err.name, 'UsageError');
      assert.match(err.message, c.message);
      assert.ok(!err.message.includes('\n'));
      return true;
    }));
}

test('config: an unknown flag is a parseArgs error (exit 2 in main)', () =>
  assert.throws(() => parseCollectorArgs(['--intervall=2s'], {}), { code: 'ERR_PARSE_ARGS_UNKNOWN_OPTION' }));

test('config: an empty token is refused without echoing anything', () =>
  assert.throws(() => parseCollectorArgs([], { COLLECTOR_PUSH_TOKEN: '' }), { message: '--push-token/COLLECTOR_PUSH_TOKEN: empty' }));

test('config: --help lists every flag with its default and every environment variable', () => {
  const help = helpText('1.2.3');
  for (const name of Object.keys(FLAGS)) assert.match(help, new RegExp(`--${name}\\b`));
  for (const name of Object.keys(ENVIRONMENT)) assert.match(help, new RegExp(`\\b${name}\\b`));
  assert.match(help, /--interval=VALUE\s+.*\(default 2s\)/);
});

// The collector's configuration: flags and environment variables parsed and validated once, here, with
// one-line errors naming the field. Past this module, code takes CollectorConfig, never process.env.
import { UsageError } from '../usage-error.ts';
import type { ParseArgsConfig } from 'node:util';
import { nodeUtil } from '../node-builtins.ts';
import { parseDurationMs, formatDuration } from './duration.ts';
import { parseCpuQuantity, parseMemoryQuantity, QuantityError } from '../cgroup/quantity.ts';
import type { ContainerLimits } from '../summary/accumulator.ts';
import { LOG_FORMATS, LOG_LEVELS, type LogFormat, type LogLevel } from '../observability/light-log.ts';
import { millis, type Millis } from '../units.ts';
import { parseListenAddress } from '../listen-address.ts';

export { UsageError };

export type RunScope = {
  readonly organization: string;
  readonly repository: string;
  readonly workflow: string;
  readonly job: string;
  readonly runId: string;
};

export type CollectorConfig = {
  readonly intervalMs: Millis;
  readonly procPath: string;
  readonly logLevel: LogLevel;
  readonly logFormat: LogFormat;
  readonly top: number;
  /** Points in the summary's downsampled series (max and avg each); 0 = no series. */
  readonly seriesPoints: number;
  readonly pushEndpoint: URL | undefined;
  readonly pushToken: string | undefined;
  readonly pushTimeoutMs: Millis;
  /** Where summaries that could not be pushed wait for a later start or `collector flush`. */
  readonly spoolDir: string;
  /** Push the summary so far this often (incomplete); 0 = never. */
  readonly checkpointIntervalMs: Millis;
  readonly output: string | undefined;
  readonly countExitedChildren: boolean;
  /** Where to find cgroup counters instead of our own mounts; an empty folder turns them off. */
  readonly cgroupRoot: string | undefined;
  /** Where to serve /metrics and /healthz; undefined = off. */
  readonly metricsAddr: { readonly host: string; readonly port: number } | undefined;
  readonly processMap: ReadonlyMap<string, string>;
  readonly limits: ReadonlyMap<string, ContainerLimits>;
  readonly scope: RunScope;
  /** The wrapped command's container name when CGROUP_PROCESS_MAP does not name it. */
  readonly name: string;
  /** `collector run`: make a cgroup for the command where possible (else follow its process tree). */
  readonly makeCgroup: boolean;
  /** Where to append the Markdown report: --step-summary, else $GITHUB_STEP_SUMMARY. */
  readonly stepSummary: string | undefined;
};

type FlagSpec = { type: 'string' | 'boolean'; default?: string | boolean; help: string; env?: string };
/** Every flag, its default and its help line: parseArgs and --help read the same table. */
export const FLAGS = {
  interval: { type: 'string', default: '2s', help: 'time between samples, a Go duration (500ms, 2s, 1m)' },
  'proc-path': { type: 'string', default: '/proc', help: 'the proc filesystem to read' },
  'log-level': { type: 'string', default: 'info', help: 'debug, info, warn or error' },
  'log-format': { type: 'string', default: 'json', help: 'json or text (logs go to stderr)' },
  top: { type: 'string', default: '5', help: 'how many processes the top CPU and memory lists hold' },
  'series-points': { type: 'string', default: '300', help: 'points in the summary\'s CPU and memory series over the run (each the max and avg of what it covers); 0 = none' },
  'push-endpoint': { type: 'string', help: 'receiver URL to POST the summary to; without it the summary is printed to stdout' },
  'push-token': { type: 'string', env: 'COLLECTOR_PUSH_TOKEN', help: 'bearer token for the push (a scoped token from the receiver)' },
  'push-timeout': { type: 'string', default: '20s', help: 'time all push attempts together may take' },
  'spool-dir': { type: 'string', default: '/var/tmp/runner-resource-collector',
    help: 'where a summary that could not be pushed waits for the next start or `collector flush` (mount a volume there in a pod)' },
  'checkpoint-interval': { type: 'string', default: '60s',
    help: 'push the summary so far this often, marked incomplete, so a killed job leaves its data; 0 turns it off' },
  output: { type: 'string', help: 'also write the summary JSON to this file' },
  'count-exited-children': { type: 'boolean', default: true,
    help: 'count the CPU of processes that exit between samples, from their reaper\'s cutime (--no-count-exited-children: off)' },
  'cgroup-root': { type: 'string',
    help: 'read containers\' cgroup counters under this folder instead of the cgroup mounts (an empty folder: per-process figures only)' },
  name: { type: 'string', default: 'job', help: 'with `collector run`: the name of the wrapped command\'s container' },
  cgroup: { type: 'boolean', default: true,
    help: 'with `collector run`: put the command in a cgroup of its own where one can be made (--no-cgroup: follow its process tree)' },
  'step-summary': { type: 'string', env: 'GITHUB_STEP_SUMMARY',
    help: 'append a Markdown report (tables, warnings, charts) to this file; Actions runners set GITHUB_STEP_SUMMARY' },
  'metrics-addr': { type: 'string', help: 'serve Prometheus /metrics and /healthz on HOST:PORT (off by default; :PORT binds 127.0.0.1)' },
  help: { type: 'boolean', default: false, help: 'print this help and exit' },
  version: { type: 'boolean', default: false, help: 'print the version and exit' },
} as const satisfies Record<string, FlagSpec>;

export const ENVIRONMENT = {
  GITHUB_REPOSITORY_OWNER: 'organization of the run (default: the part of GITHUB_REPOSITORY before "/")',
  GITHUB_REPOSITORY: 'repository, the full owner/name',
  GITHUB_WORKFLOW: 'workflow name or file',
  GITHUB_JOB: 'job name',
  GITHUB_RUN_ID: 'run identifier',
  COLLECTOR_PUSH_TOKEN: 'push token when --push-token is not given',
  CGROUP_PROCESS_MAP: 'JSON object, process name -> container name: {"node":"runner"}',
  CGROUP_LIMITS: 'JSON object, container -> {"cpu": "500m", "memory": "1Gi"} in Kubernetes quantities',
} as const;

const bad = (field: string, value: string, want: string) =>
  new UsageError(`${field}: ${JSON.stringify(value)} is not ${want}`);

/** Go's flag package takes `-interval=2s`; the reference collector's users may pass flags that way. */
const normalizeArg = (arg: string) => (/^-[a-z][a-z-]+(=|$)/.test(arg) ? `-${arg}` : arg);

export type ParsedCommand = { readonly kind: 'help' } | { readonly kind: 'version' }
  | { readonly kind: 'run'; readonly config: CollectorConfig }
  /** `collector run [flags] -- CMD [ARGS...]`: start CMD, measure it until it exits. */
  | { readonly kind: 'wrap'; readonly config: CollectorConfig; readonly command: readonly string[] }
  /** `collector flush`: deliver the spooled summaries, then exit. */
  | { readonly kind: 'flush'; readonly config: CollectorConfig };

export function parseCollectorArgs(allArgs: readonly string[], env: NodeJS.ProcessEnv): ParsedCommand {
  // `collector run [flags] -- CMD ARGS`: everything after the first `--` is the command, untouched.
  const dashes = allArgs.indexOf('--');
  const argv = dashes < 0 ? allArgs : allArgs.slice(0, dashes);
  const wrapped = dashes < 0 ? [] : allArgs.slice(dashes + 1);
  const options: NonNullable<ParseArgsConfig['options']> = Object.fromEntries(Object.entries(FLAGS).map(([k, f]) =>
    [k, { type: f.type, ...('default' in f ? { default: f.default } : {}) }]));
  const parsed = nodeUtil().parseArgs({ args: argv.map(normalizeArg), strict: true, allowPositionals: true, allowNegative: true, options });
  const v = parsed.values as Record<string, string | boolean | undefined>;
  const positionals = parsed.positionals;
  if (v.help) return { kind: 'help' };
  if (v.version) return { kind: 'version' };
  const command = positionals[0] ?? 'run';
  if (command !== 'run' && command !== 'flush') throw new UsageError(`unknown command ${JSON.stringify(command)} (commands: run, flush)`);
  if (positionals.length > 1) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[1])} (a command to run goes after --)`);
  if (dashes >= 0 && command !== 'run') throw new UsageError(`"${command}" takes no command after --`);
  if (dashes >= 0 && wrapped.length === 0) throw new UsageError('collector run: no command after --');
  const str = (k: keyof typeof FLAGS) => v[k] as string | undefined;
  if (str('name') === '') throw new UsageError('--name: empty');

  const intervalMs = parseDurationMs(str('interval')!);
  if (intervalMs === undefined || intervalMs < 10) throw bad('--interval', str('interval')!, 'a duration of 10ms or more, such as 2s');
  const checkpointIntervalMs = parseDurationMs(str('checkpoint-interval')!);
  if (checkpointIntervalMs === undefined || checkpointIntervalMs < 0 || (checkpointIntervalMs > 0 && checkpointIntervalMs < 1000)) {
    throw bad('--checkpoint-interval', str('checkpoint-interval')!, 'a duration of 1s or more, or 0 for none');
  }
  if (str('spool-dir') === '') throw new UsageError('--spool-dir: empty');
  const pushTimeoutMs = parseDurationMs(str('push-timeout')!);
  if (pushTimeoutMs === undefined || pushTimeoutMs <= 0) throw bad('--push-timeout', str('push-timeout')!, 'a positive duration such as 20s');
  const top = Number(str('top'));
  if (!/^\d+$/.test(str('top')!) || top > 1000) throw bad('--top', str('top')!, 'a whole number from 0 to 1000');
  const seriesPoints = Number(str('series-points'));
  if (!/^\d+$/.test(str('series-points')!) || seriesPoints > 10_000) throw bad('--series-points', str('series-points')!, 'a whole number from 0 to 10000');
  const logLevel = oneOf('--log-level', str('log-level')!, LOG_LEVELS);
  const logFormat = oneOf('--log-format', str('log-format')!, LOG_FORMATS);

  let pushEndpoint: URL | undefined;
  const endpoint = str('push-endpoint');
  if (endpoint !== undefined) {
    if (!URL.canParse(endpoint) || !/^https?:$/.test(new URL(endpoint).protocol)) throw bad('--push-endpoint', endpoint, 'an http:// or https:// URL');
    pushEndpoint = new URL(endpoint);
  }
  const pushToken = str('push-token') ?? env.COLLECTOR_PUSH_TOKEN;
  // The token's value is never echoed: an error names the flag only.
  if (pushToken === '') throw new UsageError('--push-token/COLLECTOR_PUSH_TOKEN: empty');
  if (pushEndpoint !== undefined && pushToken === undefined && command === 'run') {
    throw new UsageError('--push-endpoint needs a token: give --push-token or set COLLECTOR_PUSH_TOKEN');
  }
  const scope = runScope(env, pushEndpoint !== undefined && command === 'run');
  // A wrapped command is usually a step of a job that Actions runs: the run's scope is there too.
  const metricsText = str('metrics-addr');
  const listen = metricsText === undefined ? undefined : parseListenAddress(metricsText);
  if (metricsText !== undefined && listen === undefined) throw bad('--metrics-addr', metricsText, 'HOST:PORT or :PORT');
  // A bare :PORT binds loopback: the endpoint has no authentication, so binding wider is a choice to make.
  const metricsAddr = listen === undefined ? undefined : { host: listen.host ?? '127.0.0.1', port: listen.port };

  const kind = dashes >= 0 ? 'wrap' : command;
  const config: CollectorConfig = {
    intervalMs: millis(intervalMs), procPath: str('proc-path')!, logLevel, logFormat, top, seriesPoints, pushEndpoint, pushToken,
    pushTimeoutMs: millis(pushTimeoutMs), spoolDir: str('spool-dir')!, checkpointIntervalMs: millis(checkpointIntervalMs), output: str('output'), countExitedChildren: v['count-exited-children'] as boolean, metricsAddr, cgroupRoot: str('cgroup-root'),
    processMap: parseProcessMap(env.CGROUP_PROCESS_MAP), limits: parseLimits(env.CGROUP_LIMITS), scope,
    name: str('name')!, makeCgroup: v.cgroup as boolean, stepSummary: str('step-summary') || env.GITHUB_STEP_SUMMARY || undefined,
  };
  return kind === 'wrap' ? { kind, config, command: wrapped } : { kind, config };
}

function oneOf<T extends string>(field: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) throw bad(field, value, `one of ${allowed.join(', ')}`);
  return value as T;
}

/** Without an endpoint the scope only labels the printed summary, so missing values are allowed there. */
function runScope(env: NodeJS.ProcessEnv, required: boolean): RunScope {
  const repository = env.GITHUB_REPOSITORY ?? '';
  const organization = env.GITHUB_REPOSITORY_OWNER || (repository.includes('/') ? repository.split('/', 1)[0]! : '');
  const scope = { organization, repository, workflow: env.GITHUB_WORKFLOW ?? '', job: env.GITHUB_JOB ?? '', runId: env.GITHUB_RUN_ID ?? '' };
  if (required) {
    const missing = Object.entries({ GITHUB_REPOSITORY_OWNER: organization, GITHUB_REPOSITORY: repository,
      GITHUB_WORKFLOW: scope.workflow, GITHUB_JOB: scope.job, GITHUB_RUN_ID: scope.runId }).filter(([, value]) => value === '');
    if (missing.length > 0) {
      throw new UsageError(`--push-endpoint needs the run's scope: set ${missing.map(([k]) => k).join(', ')}`);
    }
  }
  return scope;
}

function parseJsonObject(name: string, text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${name}: not valid JSON (${(err as Error).message})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new UsageError(`${name}: must be a JSON object`);
  return value as Record<string, unknown>;
}

export function parseProcessMap(text: string | undefined): ReadonlyMap<string, string> {
  const map = new Map<string, string>();
  if (text === undefined || text.trim() === '') return map;
  for (const [process, container] of Object.entries(parseJsonObject('CGROUP_PROCESS_MAP', text))) {
    if (typeof container !== 'string' || container === '') {
      throw new UsageError(`CGROUP_PROCESS_MAP.${process}: ${JSON.stringify(container)} is not a container name`);
    }
    if (process === '') throw new UsageError('CGROUP_PROCESS_MAP: an empty process name matches nothing');
    map.set(process, container);
  }
  return map;
}

export function parseLimits(text: string | undefined): ReadonlyMap<string, ContainerLimits> {
  const limits = new Map<string, ContainerLimits>();
  if (text === undefined || text.trim() === '') return limits;
  for (const [container, value] of Object.entries(parseJsonObject('CGROUP_LIMITS', text))) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new UsageError(`CGROUP_LIMITS.${container}: must be an object like {"cpu": "500m", "memory": "1Gi"}`);
    }
    const entry: { cpu?: ReturnType<typeof parseCpuQuantity>; memory?: ReturnType<typeof parseMemoryQuantity> } = {};
    for (const [field, raw] of Object.entries(value as Record<string, unknown>)) {
      const path = `CGROUP_LIMITS.${container}.${field}`;
      if (field !== 'cpu' && field !== 'memory') throw new UsageError(`${path}: unknown field (want cpu, memory)`);
      if (typeof raw !== 'string' && typeof raw !== 'number') throw new UsageError(`${path}: ${JSON.stringify(raw)} is not a quantity`);
      try {
        if (field === 'cpu') entry.cpu = parseCpuQuantity(raw);
        else entry.memory = parseMemoryQuantity(raw);
      } catch (err) {
        if (err instanceof QuantityError) throw new UsageError(`${path}: ${err.message}`);
        throw err;
      }
    }
    limits.set(container, entry);
  }
  return limits;
}

export function helpText(version: string): string {
  const width = 26;
  const lines = [`collector ${version}: samples /proc, groups processes into containers by cgroup, and at SIGTERM/SIGINT`,
    'summarises the run and pushes it to a receiver (or prints it).', '',
    'Usage: collector [flags]          sample until SIGTERM/SIGINT, then push the summary',
    '       collector run [flags] -- CMD [ARGS...]   run CMD, measure it until it exits, exit with its code',
    '       collector flush [flags]    push the summaries spooled in --spool-dir, then exit', '', 'Flags:'];
  for (const [name, f] of Object.entries(FLAGS) as [string, FlagSpec][]) {
    const flag = f.type === 'string' ? `--${name}=VALUE` : `--${name}`;
    const def = f.default === undefined || f.type === 'boolean' ? '' : ` (default ${String(f.default)})`;
    const env = f.env ? ` [env ${f.env}]` : '';
    lines.push(`  ${flag.padEnd(width)}${f.help}${def}${env}`);
  }
  lines.push('', 'Environment:');
  for (const [name, help] of Object.entries(ENVIRONMENT)) lines.push(`  ${name.padEnd(width)}${help}`);
  return `${lines.join('\n')}\n`;
}

export { formatDuration };

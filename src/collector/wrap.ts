// `collector run [flags] -- CMD [ARGS...]`: starts CMD, measures it until it exits, summarises and pushes (or
// prints) like the sidecar, and exits with CMD's code (128+N when CMD died of signal N). CMD runs in a cgroup made
// for the run where one can be made, so the kernel counts every descendant; else its process tree is followed.
import type { ChildProcess } from 'node:child_process';
import { fs, nodeChildProcess } from '../node-builtins.ts';
import { constants } from 'node:os';
import type { Log as Logger } from '../observability/light-log.ts';
import { parseMountinfo } from '../cgroup/locate.ts';
import type { ProcessScope } from '../sampling/sampler.ts';
import type { PushBody } from '../summary/types.ts';
import { Collector } from './collector.ts';
import { randomExecutionId } from './execution-id.ts';
import type { CollectorConfig } from './config.ts';
import { Delivery } from './delivery.ts';
import { finishRun } from './finish.ts';
import { JobCgroup } from './job-cgroup.ts';
import { machineConstants } from './machine.ts';
import type { SignalLatch, StopSignal } from './signals.ts';

/** The signals a runner or a user sends to stop a step; each is passed on to CMD. main.ts latches them first. */
export const FORWARDED: readonly StopSignal[] = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT'];
/** The key the process-tree scope counts CMD's processes under. */
const TREE_KEY = 'process-tree';

/** `signals` has latched FORWARDED since the program started: one caught before CMD exists reaches CMD at spawn. */
export async function runWrapped(config: CollectorConfig, command: readonly string[], log: Logger, releaseLog: () => void,
  signals: SignalLatch): Promise<number> {
  const executionId = randomExecutionId();
  const cgroup = config.makeCgroup ? JobCgroup.create(`rrc-run-${executionId.slice(0, 8)}`, ownMounts(config.procPath)) : undefined;
  const cmd: { pid?: number | undefined } = {}; // CMD's pid, once spawned
  const scope: ProcessScope = cgroup !== undefined ? cgroupScope(cgroup.key) : treeScope(() => cmd.pid);
  const { clockTicks, pageSize } = machineConstants(log);
  const collector = new Collector(config, { clockTicks, pageSize, log,
    job: { scope, key: cgroup?.key ?? TREE_KEY, name: config.name, mode: cgroup !== undefined ? 'cgroup' : 'process-tree' } });
  log.info({ command: command[0], executionId, method: cgroup !== undefined ? 'cgroup' : 'process-tree', cgroup: cgroup?.dirs }, 'running the command');
  collector.start(); // the baseline comes before CMD exists: all of CMD's CPU falls after it

  let child: ChildProcess;
  const { spawn } = nodeChildProcess();
  const sh = '/bin/sh';
  if (cgroup !== undefined && fs.existsSync(sh)) {
    // The shell joins the cgroup, then becomes CMD: nothing CMD starts can run outside it.
    child = spawn(sh, ['-c', `${cgroup.enterScript()} && exec "$0" "$@"`, ...command], { stdio: 'inherit' });
  } else {
    child = spawn(command[0]!, command.slice(1), { stdio: 'inherit' });
  }
  cmd.pid = child.pid;
  // Once CMD has exited, a stop signal means the runner will not wait for the push: spool the summary and exit.
  const abortPush = new AbortController();
  let exited = false;
  signals.handTo((signal) => {
    if (exited) {
      log.warn({ signal }, 'signal after the command ended: giving up on the push');
      abortPush.abort();
      return;
    }
    // With a terminal, Ctrl-C already reached CMD (same process group): passing SIGINT on would send it twice.
    if (signal === 'SIGINT' && process.stdin.isTTY) return;
    log.info({ signal }, 'passing the signal on to the command');
    child.kill(signal);
  });

  const code = await new Promise<number>((resolve) => {
    child.on('error', (err: NodeJS.ErrnoException) => { // not found, not executable: as a shell would answer
      log.error({ err: err.message, command: command[0] }, 'the command could not be started');
      resolve(err.code === 'ENOENT' ? 127 : 126);
    });
    child.on('exit', (exitCode, signal) => resolve(exitCode ?? 128 + (signal === null ? 0 : constants.signals[signal])));
  });
  exited = true;
  const summary = collector.stop();
  const failedRemoval = await cgroup?.remove();
  if (failedRemoval !== undefined && failedRemoval.length > 0) log.warn({ dirs: failedRemoval }, 'the run\'s cgroup could not be removed');
  log.info({ exitCode: code }, 'the command exited');
  releaseLog();

  const s = config.scope;
  const body: PushBody = { organization: s.organization, repository: s.repository, workflow: s.workflow, job: s.job,
    run_id: s.runId, execution_id: executionId, summary };
  const delivery = config.pushEndpoint === undefined ? undefined : new Delivery({ endpoint: config.pushEndpoint,
    token: config.pushToken!, timeoutMs: config.pushTimeoutMs, spoolDir: config.spoolDir, log });
  const flushed = delivery?.flushSpool(config.pushTimeoutMs);
  // stdout belongs to CMD: the JSON goes there only when the summary has no other way out.
  const printJson = config.output === undefined && config.stepSummary === undefined;
  await finishRun({ config, body, log, delivery, flushed, signal: abortPush.signal, printJson, title: command.join(' ') });
  signals.release();
  return code;
}

function cgroupScope(key: string): ProcessScope {
  return { classify: (_pid, _ppid, cgroupKey) => (cgroupKey === key || cgroupKey.startsWith(`${key}/`) ? key : undefined) };
}

/**
 * CMD and its descendants, found by parent pid at first sight (parents are usually read before their children:
 * lower pids). A daemon that leaves the tree before it is seen is missed: the cgroup method has no such gap.
 * The collector itself reaps CMD, so its cutime carries CMD's last interval: it is the tree's reaper.
 */
function treeScope(root: () => number | undefined): ProcessScope {
  const members = new Set<number>();
  return { classify(pid, ppid) {
    if (pid === process.pid) return { reaperFor: TREE_KEY };
    if (pid === root() || members.has(ppid)) { members.add(pid); return TREE_KEY; }
    return undefined;
  } };
}

function ownMounts(procPath: string) {
  // Without root nothing may be made at the hierarchy roots; say so once instead of failing per mkdir.
  if (process.getuid?.() !== 0) return [];
  try {
    return parseMountinfo(fs.readFileSync(`${procPath}/self/mountinfo`, 'utf8'));
  } catch {
    return [];
  }
}

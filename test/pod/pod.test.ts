// End to end, as users run it: `npm run image`, the receiver from that image as PID 1 of a container, and the example
// runner pod of deploy/kubernetes played by `podman kube play` (shared PID namespace, limits applied by the kernel),
// with a known workload in the runner container; the pod is stopped as the kubelet stops it (SIGTERM to each
// container, grace period), then the run is read back from the receiver and checked against the runner container's
// own cgroup counters, read from the host. Podman settings: deploy/podman/containers.conf. Needs root and podman;
// in CI (CI=true) it fails rather than skips.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { after, before, describe, test } from 'node:test';
import type { ContainerSummary, RunSummary } from '../../src/summary/types.ts';
import { deployDocPatch, loadManifestFile, strategicMerge } from '../support/kubernetes.ts';
import type { PodSpec } from '../support/kubernetes.ts';
import { ROOT, waitFor } from '../support/programs.ts';
import { cgroupCpuCounters, containerLogs, containerState, freePort, podman, podmanSkip, stopLikeKubelet } from '../support/podman.ts';

const skip = podmanSkip();
const pkg = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { version: string; license: string };
const IMAGE = `localhost/runner-resource-collector:${pkg.version}`;
const PREFIX = 'rrc-pod-test-';
const tag = `${PREFIX}${process.pid}`;
const READ_TOKEN = 'pod-test-read-token';
const HMAC_KEY = 'pod-test-hmac-key';

/**
 * The runner container's job: two threads that want a core each for 8 s of wall time (so a 500m limit throttles
 * them), 64 MiB held, then idle until SIGTERM, on which it exits 0. CommonJS, run by `node -e` in the image.
 */
const WORKLOAD = `
const { Worker } = require('node:worker_threads');
const end = Date.now() + 8000;
let running = 2;
for (let i = 0; i < 2; i++) {
  new Worker('const end = ' + end + '; while (Date.now() < end) {}', { eval: true })
    .on('exit', () => { if (--running === 0) console.log('workload done'); });
}
const held = Buffer.alloc(64 << 20, 1);
process.on('SIGTERM', () => { console.log('workload stopping'); process.exit(held[0] === 1 ? 0 : 1); });
setInterval(() => {}, 1 << 30);
`.trim(); // podman 4.3 cannot take a string that starts with a newline (its YAML round trip breaks)

/** Removes what an earlier run of this test left behind if it died (its pid is gone); never another live run's. */
function sweepLeftovers(): void {
  const dead = (name: string) => {
    const pid = Number(new RegExp(`^${PREFIX}(\\d+)`).exec(name)?.[1]);
    if (!Number.isInteger(pid)) return false;
    try { process.kill(pid, 0); return false; } catch { return true; }
  };
  const names = (args: string[]) => podman(args, { allowFailure: true }).split('\n').map((s) => s.trim()).filter(dead);
  for (const pod of names(['pod', 'ls', '--format', '{{.Name}}'])) podman(['pod', 'rm', '-f', pod], { allowFailure: true });
  for (const c of names(['ps', '-a', '--format', '{{.Names}}'])) podman(['rm', '-f', c], { allowFailure: true });
  for (const v of names(['volume', 'ls', '--format', '{{.Name}}'])) podman(['volume', 'rm', '-f', v], { allowFailure: true });
  for (const s of names(['secret', 'ls', '--format', '{{.Name}}'])) podman(['secret', 'rm', s], { allowFailure: true });
}

describe('container image and runner pod, end to end (podman)', { skip, timeout: 300_000 }, () => {
  before(() => {
    sweepLeftovers();
    const built = spawnSync('npm', ['run', 'image'], { cwd: ROOT, encoding: 'utf8', timeout: 280_000 });
    assert.equal(built.status, 0, `npm run image failed:\n${built.stdout}\n${built.stderr}`);
  });

  test('image: both programs by first argument, non-root, OCI labels, no shell, at most 10 MB on top of Node', (t) => {
    const sizes = JSON.parse(readFileSync(`${ROOT}dist/image.json`, 'utf8')) as { on_top_of_node_bytes: number; image_bytes: number; node_stripped_bytes: number };
    t.diagnostic(`image ${(sizes.image_bytes / 1e6).toFixed(1)} MB = stripped Node ${(sizes.node_stripped_bytes / 1e6).toFixed(1)} MB + ${(sizes.on_top_of_node_bytes / 1e6).toFixed(2)} MB`);
    assert.ok(sizes.on_top_of_node_bytes <= 10e6, `${sizes.on_top_of_node_bytes} bytes on top of Node`);

    const config = JSON.parse(podman(['image', 'inspect', '--format', '{{json .Config}}', IMAGE])) as
      { User: string; Entrypoint: string[]; Labels: Record<string, string> };
    assert.equal(config.User, '65532:65532');
    assert.deepEqual(config.Entrypoint, ['/usr/local/bin/node', '/app/entry.js']);
    assert.equal(config.Labels['org.opencontainers.image.version'], pkg.version);
    assert.equal(config.Labels['org.opencontainers.image.licenses'], pkg.license);
    assert.ok((config.Labels['org.opencontainers.image.source'] ?? '') !== '');
    assert.equal(podman(['image', 'inspect', '--format', '{{.Id}}', 'localhost/runner-resource-collector:latest']),
      podman(['image', 'inspect', '--format', '{{.Id}}', IMAGE]), ':latest is the same image');

    const run = (args: string[]) => spawnSync('podman', ['run', '--rm', '--read-only', '--cap-drop=ALL', ...args],
      { encoding: 'utf8', env: { ...process.env, CONTAINERS_CONF: process.env.CONTAINERS_CONF ?? `${ROOT}deploy/podman/containers.conf` } });
    assert.equal(run([IMAGE, 'collector', '--version']).stdout, `collector ${pkg.version}\n`);
    assert.match(run([IMAGE, 'receiver', '--help']).stdout, /^Usage: receiver/);
    const unknown = run([IMAGE, 'sh']);
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /unknown program "sh"/);
    assert.notEqual(run(['--entrypoint', '/bin/sh', IMAGE, '-c', 'true']).status, 0, 'no shell in the image');
    assert.equal(run(['--entrypoint', '/usr/local/bin/node', IMAGE, '-p', 'process.getuid()']).stdout, '65532\n');

    // The archive for `podman load` / `ctr images import`: an OCI layout naming the version.
    const index = spawnSync('tar', ['-xOf', `${ROOT}dist/runner-resource-collector.oci.tar`, 'index.json'], { encoding: 'utf8' });
    const refs = (JSON.parse(index.stdout) as { manifests: { annotations?: Record<string, string> }[] }).manifests
      .map((m) => m.annotations?.['org.opencontainers.image.ref.name']);
    assert.deepEqual(refs, [IMAGE]);
  });

  test('image: the collector, as PID 1 of a container, takes a last sample and prints its summary on SIGTERM', async (t) => {
    const name = `${tag}-collector-alone`;
    t.after(() => podman(['rm', '-f', name], { allowFailure: true }));
    podman(['run', '-d', '--name', name, '--read-only', '--cap-drop=ALL', IMAGE, 'collector', '--interval=500ms']);
    await waitFor('the collector to start', () => (containerLogs(name).stderr.includes('collector started') ? true : undefined), 15_000);
    const { states, killed } = await stopLikeKubelet([name], 30);
    assert.equal(killed, false);
    assert.equal(states.get(name)?.exitCode, 0);
    const summary = JSON.parse(containerLogs(name).stdout) as { summary: RunSummary };
    assert.equal(summary.summary.complete, true);
  });

  describe('the example runner pod under podman kube play', () => {
    const dir = mkdtempSync(`${tmpdir()}/${tag}-`);
    const receiver = `${tag}-receiver`, volume = `${tag}-data`, secret = `${tag}-push-token`;
    const [pod] = loadManifestFile('runner-pod.yaml');
    const annotations = (pod!.doc.metadata as { annotations: Record<string, string> }).annotations;
    const scope = { organization: annotations['rrc/organization']!, repository: annotations['rrc/repository']!,
      workflow: annotations['rrc/workflow']!, job: annotations['rrc/job']! };
    let url = '';
    const runIds: string[] = [];

    before(async () => {
      // The receiver from the image, as PID 1, least privilege, on the host's loopback.
      const port = await freePort();
      url = `http://127.0.0.1:${port}`;
      podman(['volume', 'create', volume]);
      podman(['run', '-d', '--name', receiver, '--network=host', '--read-only', '--cap-drop=ALL', '--security-opt=no-new-privileges',
        '-v', `${volume}:/data`, '-e', `RECEIVER_READ_TOKEN=${READ_TOKEN}`, '-e', `RECEIVER_HMAC_KEY=${HMAC_KEY}`,
        IMAGE, 'receiver', `--addr=127.0.0.1:${port}`, '--db=/data/metrics.db']);
      await waitFor('the receiver', async () => ((await fetch(`${url}/healthz`).catch(() => undefined))?.ok ? true : undefined), 20_000);
      // The job's push token, minted for the example's scope, in a podman secret (podman 4.3 reads a secretKeyRef
      // from a secret holding {"key": base64(value)}; it does not play a Secret manifest into that form).
      const minted = await fetch(`${url}/api/v1/token`, { method: 'POST', body: JSON.stringify(scope),
        headers: { authorization: `Bearer ${READ_TOKEN}`, 'content-type': 'application/json' } });
      assert.equal(minted.status, 200);
      const { token } = await minted.json() as { token: string };
      writeFileSync(`${dir}/secret.json`, JSON.stringify({ token: Buffer.from(token).toString('base64') }), { mode: 0o600 });
      podman(['secret', 'create', secret, `${dir}/secret.json`]);
    });

    after(() => {
      podman(['rm', '-f', receiver], { allowFailure: true });
      podman(['volume', 'rm', '-f', volume], { allowFailure: true });
      podman(['secret', 'rm', secret], { allowFailure: true });
      rmSync(dir, { recursive: true, force: true });
    });

    const variants = [
      { name: 'job and collector as one user (the example as it is): counters through /proc/<pid>/root', runnerUser: undefined,
        patch: undefined },
      { name: 'job as another user, host cgroup mount and --cgroup-root (docs/deploy.md): counters through the mount',
        runnerUser: 1000, patch: 'exact-counters' },
    ] as const;
    for (const [i, variant] of variants.entries()) {
      test(`pod, ${variant.name}: one run stored, CPU-seconds = the cgroup's, limits applied, throttling counted, the collector apart`,
        { timeout: 120_000 }, async (t) => {
          const name = `${tag}-${i}`, podFile = `${dir}/pod-${i}.json`;
          t.after(() => {
            podman(['kube', 'down', podFile], { allowFailure: true });
            podman(['pod', 'rm', '-f', name], { allowFailure: true });
          });
          // The example pod, changed only where this machine needs it (docs/deploy.md, "Trying it with podman").
          let doc = structuredClone(pod!.doc);
          if (variant.patch !== undefined) doc = strategicMerge(doc, deployDocPatch(variant.patch));
          const spec = doc.spec as PodSpec;
          const meta = doc.metadata as { name: string; annotations: Record<string, string> };
          meta.name = name;
          meta.annotations['rrc/run-id'] = `${name}-${Date.now()}`;
          runIds.push(meta.annotations['rrc/run-id']);
          spec.hostNetwork = true; // the receiver listens on the host's 127.0.0.1
          const runner = spec.containers.find((c) => c.name === 'runner')!;
          const collector = spec.containers.find((c) => c.name === 'collector')!;
          Object.assign(runner, { image: IMAGE, imagePullPolicy: 'Never', command: ['/usr/local/bin/node', '-e', WORKLOAD] });
          if (variant.runnerUser !== undefined) runner.securityContext = { ...runner.securityContext, runAsUser: variant.runnerUser };
          collector.args = collector.args!.map((a) => (a.startsWith('--push-endpoint=') ? `--push-endpoint=${url}/api/v1/metrics` : a));
          collector.env!.find((e) => e.name === 'COLLECTOR_PUSH_TOKEN')!.valueFrom!.secretKeyRef!.name = secret;
          writeFileSync(podFile, JSON.stringify(doc, null, 2)); // JSON is YAML

          // Created, then the collector started first (kube play does not keep the YAML's order): it sees the job whole.
          podman(['kube', 'play', '--start=false', podFile]);
          const [runnerName, collectorName] = [`${name}-runner`, `${name}-collector`];
          podman(['start', collectorName]);
          await waitFor('the collector to start', () => (containerLogs(collectorName).stderr.includes('collector started') ? true : undefined), 20_000);
          podman(['start', runnerName]);
          await waitFor('the workload to finish', () => (containerLogs(runnerName).stdout.includes('workload done') ? true : undefined), 60_000);

          // The kernel's own figures for the runner container, once the collector has sampled the idle job.
          const runnerPid = containerState(runnerName)!.pid;
          await new Promise((r) => setTimeout(r, 2_500));
          const counters = cgroupCpuCounters(runnerPid);
          // The kubelet's way of stopping a pod: SIGTERM to every container, SIGKILL when the grace period runs out.
          const grace = spec.terminationGracePeriodSeconds!;
          const stopped = await stopLikeKubelet([runnerName, collectorName], grace);
          t.diagnostic(`stopped in ${stopped.seconds.toFixed(1)} s of a ${grace} s grace period`);
          assert.equal(stopped.killed, false, `collector log:\n${containerLogs(collectorName).stderr}`);
          assert.equal(stopped.states.get(collectorName)?.exitCode, 0);
          assert.equal(stopped.states.get(runnerName)?.exitCode, 0);

          const rows = await runs(url, scope);
          assert.deepEqual(rows.map((r) => r.run_id).sort(), [...runIds].sort(), 'one run stored per pod');
          const summary = rows.find((r) => r.run_id === meta.annotations['rrc/run-id'])!.payload;
          assert.equal(summary.complete, true);
          const byName = (n: string) => summary.containers.find((c) => c.name === n);
          const r: ContainerSummary | undefined = byName('runner');
          assert.ok(r !== undefined, `containers: ${summary.containers.map((c) => c.name).join(', ')}`);

          // CPU-seconds against the runner cgroup's own counter, read from the host: within 5 %.
          t.diagnostic(`runner: cpu_seconds ${r.cpu_seconds} (${r.cpu_source}); its cgroup (${counters.source}): ${counters.cpuSeconds.toFixed(3)} s`);
          assert.equal(r.cpu_source, counters.source, 'the collector read the container\'s own counters');
          assert.ok(r.cpu_seconds !== undefined && Math.abs(r.cpu_seconds - counters.cpuSeconds) <= 0.05 * counters.cpuSeconds,
            `collector ${r.cpu_seconds} s, cgroup ${counters.cpuSeconds} s`);
          assert.ok(counters.cpuSeconds > 3, 'the workload used its 500m for 8 s');

          // Limits as applied, throttling counted.
          assert.deepEqual(r.limits, { cpu_cores: 0.5, memory_bytes: 268435456 });
          t.diagnostic(`runner: cpu_throttling ${JSON.stringify(r.cpu_throttling)}; its cgroup: ${counters.throttledPeriods} of ${counters.periods} periods throttled`);
          assert.ok(r.cpu_throttling !== undefined && r.cpu_throttling.throttled_periods > 0);
          // Read before SIGTERM, the counter may still grow by a period or two while the job exits.
          assert.ok(Math.abs(r.cpu_throttling.throttled_periods - counters.throttledPeriods) <= Math.max(3, 0.1 * counters.throttledPeriods));
          assert.ok(r.cpu_cores.peak <= 0.5 * 1.15, `peak ${r.cpu_cores.peak} cores under a 500m limit`);

          // The collector's own container, apart from the job's.
          const c = byName('collector');
          assert.ok(c !== undefined);
          assert.notEqual(c.cgroup, r.cgroup);
          assert.deepEqual(c.limits, { cpu_cores: 0.25, memory_bytes: 134217728 });
          assert.equal(summary.top_cpu_processes.find((p) => p.cmdline.includes('worker_threads'))?.container, 'runner');
          t.diagnostic(`collector: cpu_seconds ${c.cpu_seconds}, memory peak ${c.memory_bytes.peak} bytes; containers: ${summary.containers.map((x) => x.name).join(', ')}`);
        });
    }

    test('receiver: PID 1 of its container, drains and exits 0 on SIGTERM', async () => {
      const stopped = await stopLikeKubelet([receiver], 15);
      assert.equal(stopped.killed, false);
      assert.equal(stopped.states.get(receiver)?.exitCode, 0);
      assert.ok(stopped.seconds < 6, `receiver stopped in ${stopped.seconds} s`);
    });
  });
});

async function runs(url: string, scope: Record<'organization' | 'repository' | 'workflow' | 'job', string>) {
  const path = [scope.organization, scope.repository, scope.workflow, scope.job].map(encodeURIComponent).join('/');
  const res = await fetch(`${url}/api/v1/metrics/repo/${path}`, { headers: { authorization: `Bearer ${READ_TOKEN}` } });
  assert.equal(res.status, 200);
  return await res.json() as { run_id: string; payload: RunSummary }[];
}

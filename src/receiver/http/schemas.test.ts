import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { findUnstorable, MAX_DEPTH } from './schemas.ts';

describe('schemas', () => {
  const nest = (depth: number): unknown => { let v: unknown = 1; for (let i = 0; i < depth; i++) v = { a: v }; return v; };
  const cases = [
    { name: 'a real summary', value: { containers: [{ name: 'runner', cpu_cores: { peak: 2 } }], note: 'ünïcødé ✓' }, want: undefined },
    { name: 'a NUL in a value', value: { a: ['x', 'y\u0000'] }, want: 'body.a[1]: contains a NUL or an unpaired surrogate' },
    { name: 'a NUL in a key', value: { a: { 'k\u0000': 1 } }, want: 'body.a: a key contains a NUL or an unpaired surrogate' },
    { name: 'an unpaired surrogate', value: { s: 'a\ud800b' }, want: 'body.s: contains a NUL or an unpaired surrogate' },
    { name: 'a paired surrogate (emoji) is fine', value: { s: '😀' }, want: undefined },
    { name: 'Infinity (what 1e400 parses to)', value: { n: Infinity }, want: 'body.n: number out of range' },
    { name: `nesting of ${MAX_DEPTH} levels is fine`, value: nest(MAX_DEPTH), want: undefined },
    { name: `nesting of ${MAX_DEPTH + 1} levels is not`, value: nest(MAX_DEPTH + 1), want: `body${'.a'.repeat(MAX_DEPTH)}: nested deeper than ${MAX_DEPTH} levels` },
  ];
  for (const c of cases) {
    test(`findUnstorable: ${c.name}`, () => assert.equal(findUnstorable(c.value, 'body'), c.want));
  }

  test('findUnstorable: 100 000 levels of nesting give an answer, not a stack overflow', () =>
    assert.match(findUnstorable(JSON.parse('['.repeat(100_000) + ']'.repeat(100_000)), 'body') ?? '', /nested deeper/));
});

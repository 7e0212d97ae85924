import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { randomExecutionId, uuidV4 } from './execution-id.ts';

const V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

test('uuidV4: sets the version and variant bits and keeps the other 122 bits', () => {
  assert.equal(uuidV4(new Uint8Array(16).fill(0xff)), 'ffffffff-ffff-4fff-bfff-ffffffffffff');
  assert.equal(uuidV4(new Uint8Array(16)), '00000000-0000-4000-8000-000000000000');
  const bytes = Uint8Array.from({ length: 16 }, (_, i) => i * 17);
  assert.equal(uuidV4(bytes), '00112233-4455-4677-8899-aabbccddeeff');
  assert.equal(bytes[6], 0x66, 'the caller\'s bytes are not modified');
  assert.throws(() => uuidV4(new Uint8Array(15)), /needs 16 random bytes, got 15/);
});

test('randomExecutionId: a v4 UUID like node:crypto\'s, different every call', () => {
  assert.match(randomUUID(), V4); // the shape the receiver has always seen
  const ids = new Set(Array.from({ length: 1000 }, () => randomExecutionId()));
  assert.equal(ids.size, 1000);
  for (const id of ids) assert.match(id, V4);
});

test('randomExecutionId: without /dev/urandom it falls back to node:crypto', () => {
  assert.match(randomExecutionId('/nonexistent/urandom'), V4);
});

test('randomExecutionId: a device that returns no bytes is an error, not a predictable id', () => {
  assert.throws(() => randomExecutionId('/dev/null'), /\/dev\/null returned no bytes/);
});

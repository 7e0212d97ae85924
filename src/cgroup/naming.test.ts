import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ContainerNamer } from './naming.ts';

const namer = () => new ContainerNamer(new Map([['node', 'runner'], ['MainThread', 'runner'], ['postgres', 'db']]));

test('ContainerNamer: a mapped comm names its cgroup', () => {
  const n = namer();
  assert.deepEqual(n.observe('/a', 'node', undefined), { named: 'runner' });
  assert.equal(n.mapped('/a'), 'runner');
});

test('ContainerNamer: the executable name matches when comm does not (Node 24 calls its main thread MainThread)', () => {
  const n = new ContainerNamer(new Map([['node', 'runner']]));
  assert.deepEqual(n.observe('/a', 'MainThread', 'node'), { named: 'runner' });
});

test('ContainerNamer: comm wins over the executable name', () => {
  const n = new ContainerNamer(new Map([['node', 'runner'], ['npm', 'tools']]));
  n.observe('/a', 'npm', 'node');
  assert.equal(n.mapped('/a'), 'tools');
});

test('ContainerNamer: the first mapping keeps a cgroup; a second name is reported once as a conflict', () => {
  const n = namer();
  n.observe('/a', 'node', undefined);
  assert.deepEqual(n.observe('/a', 'postgres', undefined), { conflict: 'db' });
  assert.deepEqual(n.observe('/a', 'postgres', undefined), {});
  assert.equal(n.mapped('/a'), 'runner');
});

test('ContainerNamer: unmapped processes name nothing', () => {
  const n = namer();
  assert.deepEqual(n.observe('/b', 'sh', 'sh'), {});
  assert.equal(n.mapped('/b'), undefined);
});

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isUnavailable } from './postgres.ts';

describe('postgres errors', () => {
  const cases = [
    { name: 'connection refused', err: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), want: true },
    { name: 'admin shutdown (57P01)', err: { code: '57P01', message: 'terminating connection' }, want: true },
    { name: 'too many connections (53300)', err: { code: '53300', message: 'sorry' }, want: true },
    { name: 'connection exception class 08', err: { code: '08006', message: 'connection failure' }, want: true },
    { name: 'statement timeout (57014)', err: { code: '57014', message: 'canceling statement' }, want: true },
    { name: 'pool connect timeout (no code)', err: new Error('timeout exceeded when trying to connect'), want: true },
    { name: 'connection ended mid-query (no code)', err: new Error('Connection terminated unexpectedly'), want: true },
    { name: 'query timeout on a stalled connection (no code)', err: new Error('Query read timeout'), want: true },
    { name: 'syntax error (42601) is a bug, not an outage', err: { code: '42601', message: 'syntax error' }, want: false },
    { name: 'invalid text (22P05) is a bug, not an outage', err: { code: '22P05', message: 'unsupported Unicode escape' }, want: false },
    { name: 'a plain error', err: new Error('boom'), want: false },
  ];
  for (const c of cases) test(`isUnavailable: ${c.name} → ${c.want}`, () => assert.equal(isUnavailable(c.err), c.want));
});

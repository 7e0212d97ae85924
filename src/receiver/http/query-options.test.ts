import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { HttpError } from '../errors.ts';
import { decodeCursor, encodeCursor, parseQueryOptions, rfc3339ToStoredTime } from './query-options.ts';

describe('query options', () => {
  const times = [
    { name: 'UTC with Z', text: '2026-02-06T14:30:23Z', want: '2026-02-06T14:30:23.000Z' },
    { name: 'milliseconds kept', text: '2026-02-06T14:30:23.056Z', want: '2026-02-06T14:30:23.056Z' },
    { name: 'sub-millisecond digits round up', text: '2026-02-06T14:30:23.0561Z', want: '2026-02-06T14:30:23.057Z' },
    { name: 'zero sub-millisecond digits do not', text: '2026-02-06T14:30:23.056000Z', want: '2026-02-06T14:30:23.056Z' },
    { name: 'positive offset', text: '2026-02-06T16:30:23+02:00', want: '2026-02-06T14:30:23.000Z' },
    { name: 'negative offset across midnight', text: '2026-02-06T22:00:00-05:00', want: '2026-02-07T03:00:00.000Z' },
    { name: 'lower-case t and z', text: '2026-02-06t14:30:23z', want: '2026-02-06T14:30:23.000Z' },
    { name: 'leap day', text: '2024-02-29T00:00:00Z', want: '2024-02-29T00:00:00.000Z' },
    { name: 'leap second', text: '2016-12-31T23:59:60Z', want: '2016-12-31T23:59:59.999Z' },
    { name: 'year 0001 stays four digits', text: '0001-01-01T00:00:00+01:00', want: '0000-12-31T23:00:00.000Z' },
    { name: 'no time', text: '2026-02-06', want: undefined },
    { name: 'no zone', text: '2026-02-06T14:30:23', want: undefined },
    { name: 'February 30', text: '2026-02-30T00:00:00Z', want: undefined },
    { name: 'hour 24', text: '2026-02-06T24:00:00Z', want: undefined },
    { name: 'epoch seconds', text: '1770388223', want: undefined },
    { name: 'space instead of T', text: '2026-02-06 14:30:23Z', want: undefined },
  ];
  for (const c of times) {
    test(`rfc3339ToStoredTime: ${c.name}`, () => assert.equal(rfc3339ToStoredTime(c.text), c.want));
  }

  test('cursor: encodes and decodes a position; anything else decodes to undefined', () => {
    const p = { receivedAt: '2026-02-06T14:30:23.056Z', id: 42 };
    assert.match(encodeCursor(p), /^[A-Za-z0-9_-]+$/);
    assert.deepEqual(decodeCursor(encodeCursor(p)), p);
    for (const bad of ['', 'bm9wZQ', '!!', Buffer.from('[1,2]').toString('base64url'),
      Buffer.from('["2026-02-06T14:30:23Z",1]').toString('base64url'), Buffer.from('["2026-02-06T14:30:23.056Z",0]').toString('base64url'),
      Buffer.from('["2026-02-06T14:30:23.056Z",1.5]').toString('base64url')]) {
      assert.equal(decodeCursor(bad), undefined, bad);
    }
  });

  test('parseQueryOptions: defaults to 100 newest, no bounds', () =>
    assert.deepEqual(parseQueryOptions({}), { limit: 100, since: undefined, until: undefined, after: undefined }));

  const badQueries = [
    { q: { limit: '0' }, message: /^querystring\.limit: / },
    { q: { limit: '1001' }, message: /^querystring\.limit: / },
    { q: { limit: '-1' }, message: /^querystring\.limit: / },
    { q: { limit: '1e2' }, message: /^querystring\.limit: / },
    { q: { since: 'yesterday' }, message: /^querystring\.since: / },
    { q: { until: '2026-13-01T00:00:00Z' }, message: /^querystring\.until: / },
    { q: { cursor: 'xyz' }, message: /^querystring\.cursor: / },
  ];
  for (const c of badQueries) {
    test(`parseQueryOptions: ${JSON.stringify(c.q)} is a 400 naming the parameter`, () =>
      assert.throws(() => parseQueryOptions(c.q), (err: unknown) =>
        err instanceof HttpError && err.statusCode === 400 && c.message.test(err.message)));
  }

  test('parseQueryOptions: limit 1000 and bounds pass through in stored form', () =>
    assert.deepEqual(parseQueryOptions({ limit: '1000', since: '2026-01-01T01:00:00+01:00' }),
      { limit: 1000, since: '2026-01-01T00:00:00.000Z', until: undefined, after: undefined }));
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { millis } from '../units.ts';
import { formatDuration, parseDurationMs } from './duration.ts';

// Mostly Go's own vectors (time_test.go parseDurationTests / parseDurationErrorTests), in milliseconds.
const valid: { text: string; ms: number }[] = [
  { text: '0', ms: 0 }, { text: '+0', ms: 0 }, { text: '-0', ms: 0 }, { text: '0s', ms: 0 }, { text: '-0s', ms: 0 },
  { text: '500ms', ms: 500 }, { text: '2s', ms: 2000 }, { text: '1m', ms: 60_000 }, { text: '1h30m', ms: 5_400_000 },
  { text: '1.5s', ms: 1500 }, { text: '2m3.5s', ms: 123_500 }, { text: '5s', ms: 5000 }, { text: '+5s', ms: 5000 },
  { text: '-5s', ms: -5000 }, { text: '5.0s', ms: 5000 }, { text: '5.s', ms: 5000 }, { text: '1.s', ms: 1000 },
  { text: '.5s', ms: 500 }, { text: '1.004s', ms: 1004 }, { text: '100.00100s', ms: 100_001 },
  { text: '10ns', ms: 0.00001 }, { text: '11us', ms: 0.011 }, { text: '12µs', ms: 0.012 }, { text: '12μs', ms: 0.012 },
  { text: '13ms', ms: 13 }, { text: '15m', ms: 900_000 }, { text: '16h', ms: 57_600_000 },
  { text: '10.5s4m', ms: 250_500 }, { text: '-2m3.4s', ms: -123_400 }, { text: '5s5s', ms: 10_000 },
  { text: '1h2m3s4ms5us6ns', ms: 3_723_004.005006 }, { text: '39h9m14.425s', ms: 140_954_425 },
  { text: '52763797000ns', ms: 52_763.797 }, { text: '00.5s', ms: 500 }, { text: '0h0m', ms: 0 },
  { text: '1.0000000001s', ms: 1000 }, // finer than a nanosecond is cut, as Go's integer Duration
  { text: '1.9999999999ns', ms: 0.000001 },
  { text: '0.3333333333333333333h', ms: 1_200_000 }, // golang.org/issue/6617
  { text: '0.100000000000000000000h', ms: 360_000 }, // golang.org/issue/15011
  { text: '0.830103483285477580700h', ms: 2_988_372.539827 },
  // int64 max and min nanoseconds; a double holds these milliseconds only to about 2 µs
  { text: '9223372036854775807ns', ms: 9_223_372_036_854 + 0.775807 },
  { text: '9223372036s854ms775us807ns', ms: 9_223_372_036_854 + 0.775807 },
  { text: '-9223372036854775808ns', ms: -(9_223_372_036_854 + 0.775808) },
  { text: '-2562047h47m16.854775808s', ms: -(9_223_372_036_854 + 0.775808) }, // golang.org/issue/48629
];
for (const c of valid) {
  void test(`parseDurationMs: ${JSON.stringify(c.text)} is ${c.ms} ms`, () =>
    assert.equal(parseDurationMs(c.text), c.ms));
}

const invalid = [
  '', '2', '3', '-1', '00', '0.0', '.', '-.', '.s', '+.s', '-', '+', 's', 'h', '1x', '1d', '5.6x', '1H', '1Ms',
  '1e3s', '1µ', 'µs', '1.5.s', '1h2', '1hh', '1hm', '1m-1s', '1s+1s', '--1s', '+-1s', '1,5s', '1秒', '１s',
  ' 1s', '1s ', '1 s', '1\ts', '1s\n', // whitespace is not trimmed, as in Go
  '3000000h', '9223372036854775808ns', '9223372036854775.808us', '9223372036854ms775us808ns',
  '-9223372036854775809ns', '2562047h47m16.854775808s', '106751d',
];
for (const text of invalid) {
  void test(`parseDurationMs: ${JSON.stringify(text)} is not a duration`, () =>
    assert.equal(parseDurationMs(text), undefined));
}

const formats: { ms: number; text: string }[] = [
  { ms: 0, text: '0s' }, { ms: 2000, text: '2s' }, { ms: 500, text: '500ms' }, { ms: 90_000, text: '1m30s' },
  { ms: 60_000, text: '1m0s' }, { ms: 3_600_000, text: '1h0m0s' }, { ms: 5_400_000, text: '1h30m0s' },
  { ms: 1500, text: '1.5s' }, { ms: 123_500, text: '2m3.5s' }, { ms: 1.5, text: '1.5ms' }, { ms: 0.5, text: '500µs' },
  { ms: 0.0015, text: '1.5µs' }, { ms: 0.000001, text: '1ns' }, { ms: 0.0000004, text: '0s' },
  { ms: -61_000, text: '-1m1s' }, { ms: 0.1 + 0.2, text: '300µs' }, { ms: 999.999999, text: '999.999999ms' },
  { ms: 3_723_004.005006, text: '1h2m3.004005006s' },
];
for (const c of formats) {
  void test(`formatDuration: ${c.ms} ms is ${c.text}`, () => assert.equal(formatDuration(millis(c.ms)), c.text));
}

void test('formatDuration: its output parses back to the same milliseconds', () => {
  for (const ms of [0, 2000, 500, 90_000, 60_000, 3_600_000, 123_500, 1.5, 0.5, 0.000001, -61_000, 86_400_000]) {
    assert.equal(parseDurationMs(formatDuration(millis(ms))), ms);
  }
});

void test('formatDuration: a non-finite number is a programming error (RangeError)', () =>
  assert.throws(() => formatDuration(millis(Number.NaN)), RangeError));

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { bytes, cores } from '../units.ts';
import {
  formatCpuQuantity, formatMemoryQuantity, parseCpuQuantity, parseMemoryQuantity, parseQuantity,
} from './quantity.ts';

const E = 10n ** 18n, Ei = 2n ** 60n;

// Vectors from kubernetes/apimachinery quantity_test.go (TestQuantityParse), as exact values before
// apimachinery's rounding to nano, which we leave to the cores/bytes read-out.
const valid: { text: string; num: bigint; den?: bigint }[] = [
  { text: '0', num: 0n }, { text: '0Ki', num: 0n }, { text: '-0', num: 0n }, { text: '0.0m', num: 0n },
  { text: '1', num: 1n }, { text: '+1', num: 1n }, { text: '-1', num: -1n }, { text: '00012', num: 12n },
  { text: '1Ki', num: 1024n }, { text: '7Mi', num: 7n * 2n ** 20n }, { text: '6Gi', num: 6n * 2n ** 30n },
  { text: '5Ti', num: 5n * 2n ** 40n }, { text: '4Pi', num: 4n * 2n ** 50n }, { text: '3Ei', num: 3n * Ei },
  { text: '9Ei', num: 9n * Ei }, // apimachinery caps this at 2^63-1; parseMemoryQuantity rejects it
  { text: '5n', num: 1n, den: 200_000_000n }, { text: '4u', num: 1n, den: 250_000n }, { text: '3m', num: 3n, den: 1000n },
  { text: '8k', num: 8000n }, { text: '8K', num: 8000n }, { text: '7M', num: 7_000_000n },
  { text: '6G', num: 6n * 10n ** 9n }, { text: '5T', num: 5n * 10n ** 12n }, { text: '2P', num: 2n * 10n ** 15n },
  { text: '1E', num: E }, { text: '12E', num: 12n * E }, // a lone E is exa, not an exponent
  { text: '1E-3', num: 1n, den: 1000n }, { text: '1e3', num: 1000n }, { text: '1E18', num: E },
  { text: '1.3E+6', num: 1_300_000n }, { text: '1.2e3', num: 1200n }, { text: '0.5e-2', num: 1n, den: 200n },
  { text: '1e0', num: 1n }, { text: '1e-100', num: 1n, den: 10n ** 100n }, { text: '1e+21', num: 10n ** 21n },
  { text: '100.035k', num: 100_035n }, { text: '10.035M', num: 10_035_000n }, { text: '1.01E', num: 101n * 10n ** 16n },
  { text: '0.001', num: 1n, den: 1000n }, { text: '.001', num: 1n, den: 1000n }, { text: '.0001k', num: 1n, den: 10n },
  { text: '1.', num: 1n }, { text: '1.G', num: 10n ** 9n }, { text: '0.5', num: 1n, den: 2n },
  { text: '3.001n', num: 3001n, den: 10n ** 12n }, { text: '0.000000000001Ki', num: 1n, den: 976_562_500n },
  { text: '100.035Ki', num: 2_560_896n, den: 25n }, { text: '0.5Mi', num: 524_288n },
  { text: '-1.025Ti', num: -41n * 2n ** 37n, den: 5n },
];
for (const c of valid) {
  void test(`parseQuantity: ${JSON.stringify(c.text)} is ${c.num}/${c.den ?? 1n}`, () =>
    assert.deepEqual(parseQuantity(c.text), { num: c.num, den: c.den ?? 1n }));
}

const invalid = [
  '', '1.1.M', '1+1.0M', '0.1mi', '0.1am', 'aoeu', '.5i', '1i', '-3.01i', '-3.01e-', ' 1', '1 ', '1\n', '1 Gi',
  '1Gb', '1KB', '1kk', '1ki', '1e', '1e3m', '1ee3', '1e1.5', '1Mi3', '1E3i', '0x10', '1_000', '1,5', '１',
  // apimachinery's scanner reads these as 0; the grammar wants a digit, and a limit "Mi" is a typo
  '.', '-', '+', '-.', 'Mi', '.Ki',
  'NaN', 'Infinity', '-Infinity',
];
for (const text of invalid) {
  void test(`parseQuantity: ${JSON.stringify(text)} is rejected`, () =>
    assert.throws(() => parseQuantity(text), { name: 'QuantityError', message: /is not a Kubernetes quantity/ }));
}

void test('parseQuantity: the message quotes the text and gives examples, for the caller to prefix a path', () =>
  assert.throws(() => parseQuantity('1Gb'),
    { name: 'QuantityError', message: '"1Gb" is not a Kubernetes quantity (examples: 500m, 2, 1.5Gi, 512M)' }));

void test('parseQuantity: an exponent beyond ±1000 is rejected instead of allocating a huge BigInt', () => {
  assert.deepEqual(parseQuantity('1e-1000'), { num: 1n, den: 10n ** 1000n });
  assert.throws(() => parseQuantity('1e999999999'), { name: 'QuantityError', message: /exponent beyond ±1000/ });
});

const cpu: { text: string | number; cores: number }[] = [
  { text: '500m', cores: 0.5 }, { text: '0.5', cores: 0.5 }, { text: 0.5, cores: 0.5 }, { text: '2', cores: 2 },
  { text: 2, cores: 2 }, { text: '1e3', cores: 1000 }, { text: '1k', cores: 1000 }, { text: '100u', cores: 0.001 },
  { text: '3.001n', cores: 0.001 }, { text: '1001u', cores: 0.002 }, { text: '0.0001', cores: 0.001 },
  { text: 1e-7, cores: 0.001 }, { text: 0.007, cores: 0.007 }, { text: '1500m', cores: 1.5 },
  { text: '0', cores: 0 }, { text: '-0', cores: 0 }, { text: '+1', cores: 1 }, { text: '.001', cores: 0.001 },
  { text: '1.', cores: 1 }, { text: '1.G', cores: 1e9 },
];
for (const c of cpu) {
  void test(`parseCpuQuantity: ${JSON.stringify(c.text)} is ${c.cores} cores, rounded up to a millicore`, () =>
    assert.equal(parseCpuQuantity(c.text), c.cores));
}

const memory: { text: string | number; bytes: number }[] = [
  { text: '1Gi', bytes: 1_073_741_824 }, { text: '256Mi', bytes: 268_435_456 }, { text: '1.5Gi', bytes: 1_610_612_736 },
  { text: '1k', bytes: 1000 }, { text: '1K', bytes: 1000 }, { text: '1e3', bytes: 1000 }, { text: '512M', bytes: 512e6 },
  { text: 1_073_741_824, bytes: 1_073_741_824 }, { text: '0', bytes: 0 }, { text: '0.5', bytes: 1 },
  { text: '100m', bytes: 1 }, { text: '0.000000000001Ki', bytes: 1 }, { text: '100.035Ki', bytes: 102_436 },
  { text: '9007199254740991', bytes: Number.MAX_SAFE_INTEGER },
];
for (const c of memory) {
  void test(`parseMemoryQuantity: ${JSON.stringify(c.text)} is ${c.bytes} bytes, rounded up`, () =>
    assert.equal(parseMemoryQuantity(c.text), c.bytes));
}

type Rejection = {
  name: string; parse: (t: string | number) => number; text: string | number; message: string | RegExp;
};
const rejectedLimits: Rejection[] = [
  { name: 'negative CPU', parse: parseCpuQuantity, text: '-500m',
    message: '"-500m" is negative: a CPU limit cannot be below 0' },
  { name: 'negative CPU as a number', parse: parseCpuQuantity, text: -1,
    message: '"-1" is negative: a CPU limit cannot be below 0' },
  { name: 'negative nanocores', parse: parseCpuQuantity, text: '-0.1n', message: /^"-0.1n" is negative/ },
  { name: 'negative memory', parse: parseMemoryQuantity, text: '-1Gi',
    message: '"-1Gi" is negative: a memory limit cannot be below 0' },
  { name: 'memory of 2^53 bytes', parse: parseMemoryQuantity, text: '8Pi',
    message: '"8Pi" is too large for a memory limit (at most 9007199254740991 bytes)' },
  { name: 'memory of 9Ei', parse: parseMemoryQuantity, text: '9Ei', message: /^"9Ei" is too large/ },
  { name: 'memory of 1E (exa)', parse: parseMemoryQuantity, text: '1E', message: /^"1E" is too large/ },
  { name: 'CPU beyond 2^53 millicores', parse: parseCpuQuantity, text: '1E',
    message: '"1E" is too large for a CPU limit (at most 9007199254740991 millicores)' },
  { name: 'NaN from JSON-ish input', parse: parseCpuQuantity, text: Number.NaN, message: /^"NaN" is not a Kubernetes/ },
  { name: 'a unit of bytes', parse: parseMemoryQuantity, text: '1Gb', message: /^"1Gb" is not a Kubernetes/ },
];
for (const c of rejectedLimits) {
  void test(`limits: ${c.name} (${JSON.stringify(c.text)}) is rejected with a clear message`, () =>
    assert.throws(() => c.parse(c.text), { name: 'QuantityError', message: c.message }));
}

const cpuFormats: { cores: number; text: string }[] = [
  { cores: 0, text: '0' }, { cores: 2, text: '2' }, { cores: 1000, text: '1000' }, { cores: 0.5, text: '500m' },
  { cores: 1.5, text: '1500m' }, { cores: 0.001, text: '1m' }, { cores: 0.007, text: '7m' }, { cores: 0.0071, text: '8m' },
  { cores: 1e-7, text: '1m' }, { cores: 0.1 + 0.2, text: '300m' }, { cores: 1.0001, text: '1001m' },
];
for (const c of cpuFormats) {
  void test(`formatCpuQuantity: ${c.cores} cores is ${c.text}`, () =>
    assert.equal(formatCpuQuantity(cores(c.cores)), c.text));
}

const memoryFormats: { bytes: number; text: string }[] = [
  { bytes: 0, text: '0' }, { bytes: 1, text: '1' }, { bytes: 1000, text: '1000' }, { bytes: 1024, text: '1Ki' },
  { bytes: 1536, text: '1536' }, { bytes: 1_610_612_736, text: '1536Mi' }, { bytes: 1_073_741_824, text: '1Gi' },
  { bytes: 268_435_456, text: '256Mi' }, { bytes: 2 ** 60, text: '1Ei' }, { bytes: 3 * 2 ** 50, text: '3Pi' },
  { bytes: 1000.5, text: '1001' }, { bytes: 1023.2, text: '1Ki' },
];
for (const c of memoryFormats) {
  void test(`formatMemoryQuantity: ${c.bytes} bytes is ${c.text}`, () =>
    assert.equal(formatMemoryQuantity(bytes(c.bytes)), c.text));
}

void test('format*: a negative or non-finite amount is a programming error (RangeError)', () => {
  for (const n of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
    assert.throws(() => formatCpuQuantity(cores(n)), RangeError);
    assert.throws(() => formatMemoryQuantity(bytes(n)), RangeError);
  }
});

void test('format then parse gives back every whole millicore and every safe byte count', () => {
  fc.assert(fc.property(fc.integer({ min: 0, max: 1e12 }), (milli) =>
    parseCpuQuantity(formatCpuQuantity(cores(milli / 1000))) === milli / 1000));
  fc.assert(fc.property(fc.oneof(fc.integer({ min: 0, max: 2 ** 40 }).map((n) => n * 1024), fc.maxSafeNat()), (n) =>
    parseMemoryQuantity(formatMemoryQuantity(bytes(n))) === n));
});

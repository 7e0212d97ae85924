import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseReceiverConfig, UsageError } from './config.ts';
import { parseListenAddress } from '../listen-address.ts';

const SECRETS = { RECEIVER_READ_TOKEN: 'env-read', RECEIVER_HMAC_KEY: 'env-key' };

describe('config', () => {
  const addresses = [
    { text: ':8080', want: { host: undefined, port: 8080 } },
    { text: '127.0.0.1:0', want: { host: '127.0.0.1', port: 0 } },
    { text: 'localhost:9090', want: { host: 'localhost', port: 9090 } },
    { text: '[::1]:8080', want: { host: '::1', port: 8080 } },
    { text: '0.0.0.0:65535', want: { host: '0.0.0.0', port: 65535 } },
    { text: '8080', want: undefined },
    { text: ':65536', want: undefined },
    { text: 'host:', want: undefined },
    { text: '::1:8080', want: undefined }, // IPv6 needs brackets
    { text: '[::1]', want: undefined },
    { text: ':-1', want: undefined },
    { text: '', want: undefined },
  ];
  for (const c of addresses) {
    test(`parseListenAddress: ${JSON.stringify(c.text)} → ${JSON.stringify(c.want)}`, () =>
      assert.deepEqual(parseListenAddress(c.text), c.want));
  }

  test('parseReceiverConfig: defaults are :8080, metrics.db (SQLite), info, json, /metrics open; secrets from the environment', () => {
    assert.deepEqual(parseReceiverConfig([], SECRETS), {
      listen: { host: undefined, port: 8080 }, store: { kind: 'sqlite', path: 'metrics.db' },
      readToken: 'env-read', hmacKey: 'env-key', logLevel: 'info', logFormat: 'json', metrics: { enabled: true, token: undefined },
      retentionMs: undefined,
    });
  });

  test('parseReceiverConfig: --no-metrics turns /metrics off; the metrics token comes from the flag or the environment', () => {
    const off = parseReceiverConfig(['--no-metrics'], SECRETS);
    assert.deepEqual(off !== 'help' && off.metrics, { enabled: false, token: undefined });
    const fromEnv = parseReceiverConfig([], { ...SECRETS, RECEIVER_METRICS_TOKEN: 'scrape' });
    assert.deepEqual(fromEnv !== 'help' && fromEnv.metrics, { enabled: true, token: 'scrape' });
    const fromFlag = parseReceiverConfig(['--metrics-token=flag'], { ...SECRETS, RECEIVER_METRICS_TOKEN: 'scrape' });
    assert.deepEqual(fromFlag !== 'help' && fromFlag.metrics, { enabled: true, token: 'flag' });
    assert.throws(() => parseReceiverConfig(['--metrics-token='], SECRETS), { name: 'UsageError', message: '--metrics-token is empty' });
  });

  test('parseReceiverConfig: flags win over the environment; a postgres URL selects PostgreSQL', () => {
    const c = parseReceiverConfig(['--read-token', 'flag-read', '--hmac-key=flag-key', '--db', 'postgresql://u@db:5432/m',
      '--addr', '127.0.0.1:9000', '--log-level', 'debug', '--log-format', 'text'], SECRETS);
    assert.notEqual(c, 'help');
    if (c === 'help') return;
    assert.deepEqual([c.readToken, c.hmacKey, c.store, c.listen, c.logLevel, c.logFormat],
      ['flag-read', 'flag-key', { kind: 'postgres', url: 'postgresql://u@db:5432/m' }, { host: '127.0.0.1', port: 9000 }, 'debug', 'text']);
    assert.equal((parseReceiverConfig(['--db', 'postgres://x/y'], SECRETS) as { store: { kind: string } }).store.kind, 'postgres');
  });

  const retentions = [
    { text: '30d', ms: 30 * 86_400_000 },
    { text: '720h', ms: 720 * 3_600_000 },
    { text: '1h30m', ms: 90 * 60_000 },
    { text: '1d', ms: 86_400_000 },
  ];
  for (const c of retentions) {
    test(`parseReceiverConfig: --retention ${c.text} keeps runs ${c.ms} ms`, () => {
      const config = parseReceiverConfig(['--retention', c.text], SECRETS);
      assert.equal(config !== 'help' && config.retentionMs, c.ms);
    });
  }

  test('parseReceiverConfig: --help and -h ask for help', () => {
    assert.equal(parseReceiverConfig(['--help'], {}), 'help');
    assert.equal(parseReceiverConfig(['-h'], {}), 'help');
  });

  const bad = [
    { name: 'no read token', args: [], env: { RECEIVER_HMAC_KEY: 'k' }, message: '--read-token or RECEIVER_READ_TOKEN is required' },
    { name: 'no hmac key', args: ['--read-token', 'very-secret'], env: {}, message: '--hmac-key or RECEIVER_HMAC_KEY is required' },
    { name: 'empty variable', args: [], env: { ...SECRETS, RECEIVER_HMAC_KEY: '' }, message: 'RECEIVER_HMAC_KEY is empty' },
    { name: 'blank flag', args: ['--read-token', '  '], env: SECRETS, message: '--read-token is empty' },
    { name: 'bare port', args: ['--addr', '8080'], env: SECRETS, message: '--addr: "8080" is not HOST:PORT or :PORT' },
    { name: 'empty db', args: ['--db', ''], env: SECRETS, message: '--db: empty' },
    { name: 'log level', args: ['--log-level', 'loud'], env: SECRETS, message: '--log-level: "loud" is not one of debug, info, warn, error' },
    { name: 'log format', args: ['--log-format', 'xml'], env: SECRETS, message: '--log-format: "xml" is not one of json, text' },
    { name: 'retention without unit', args: ['--retention', '30'], env: SECRETS, message: '--retention: "30" is not a duration such as 30d or 720h' },
    { name: 'retention of 0 days', args: ['--retention', '0d'], env: SECRETS, message: '--retention: "0d" is not a duration such as 30d or 720h' },
    { name: 'negative retention', args: ['--retention=-1h'], env: SECRETS, message: '--retention: "-1h" is not a duration such as 30d or 720h' },
    { name: 'fractional days', args: ['--retention', '1.5d'], env: SECRETS, message: '--retention: "1.5d" is not a duration such as 30d or 720h' },
  ];
  for (const c of bad) {
    test(`parseReceiverConfig: ${c.name} is a UsageError naming the flag, never the secret`, () => {
      assert.throws(() => parseReceiverConfig(c.args, c.env), (err: unknown) => {
        assert.ok(err instanceof UsageError);
        assert.equal(err.message, c.message);
        assert.ok(!err.message.includes('very-secret') && !err.message.includes('env-read'));
        return true;
      });
    });
  }

  test('parseReceiverConfig: an unknown flag is parseArgs\'s ERR_PARSE_ARGS_UNKNOWN_OPTION', () =>
    assert.throws(() => parseReceiverConfig(['--bogus'], SECRETS), { code: 'ERR_PARSE_ARGS_UNKNOWN_OPTION' }));
});

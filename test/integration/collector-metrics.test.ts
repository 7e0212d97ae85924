// The collector's /metrics and /healthz over a real socket: valid exposition, counters that move, bounded
// labels, and a health check that turns 503 once samples stop arriving.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { rmSync } from 'node:fs';
import { Collector } from '../../src/collector/collector.ts';
import { parseCollectorArgs, type CollectorConfig } from '../../src/collector/config.ts';
import { createCollectorMetrics } from '../../src/observability/collector-metrics.ts';
import { startMetricsServer } from '../../src/observability/metrics-server.ts';
import { ticksPerSecond } from '../../src/units.ts';
import { FakeProc } from '../support/fake-proc.ts';
import { promtoolCheck, promtoolMissing } from '../support/promtool.ts';
import { startProgram, waitFor } from '../support/programs.ts';

const OLD = 5_000;
const valueOf = (text: string, series: string) => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

function configFor(procPath: string, map: Record<string, string>): CollectorConfig {
  const parsed = parseCollectorArgs([`--proc-path=${procPath}`, '--interval=50ms', '--metrics-addr=127.0.0.1:0'],
    { CGROUP_PROCESS_MAP: JSON.stringify(map) });
  assert.equal(parsed.kind, 'run');
  return (parsed as { config: CollectorConfig }).config;
}

describe('collector metrics', () => {
  test('/metrics: counters move with samples, containers are labelled by the map or "other", promtool accepts it', async (t) => {
    const proc = new FakeProc();
    t.after(() => proc.cleanup());
    proc.set([
      { pid: 10, comm: 'runner', ppid: 1, utime: 1, start: OLD, cgroup: '/pod/runner', rssPages: 1000 },
      { pid: 20, comm: 'dockerd', ppid: 1, utime: 1, start: OLD, cgroup: '/pod/dind', rssPages: 10 },
      { pid: 30, comm: 'sshd', ppid: 1, utime: 1, start: OLD, cgroup: '/system.slice/ssh.service', rssPages: 20 },
    ], 1000);
    const metrics = createCollectorMetrics('9.9.9');
    metrics.setLimits([['runner', { memory: 1 << 30, cpu: 2 }]]);
    const collector = new Collector(configFor(proc.root, { runner: 'runner' }),
      { clockTicks: ticksPerSecond(100), pageSize: 4096, log: pino({ level: 'silent' }), metrics });
    const server = await startMetricsServer({ host: '127.0.0.1', port: 0 }, metrics.registry, () => collector.health());
    t.after(() => { collector.stop(); return server.close(); });
    collector.start();

    const scrape = async () => (await fetch(`${server.url}/metrics`)).text();
    const first = await waitFor('two samples', async () => valueOf(await scrape(), 'collector_samples_total')! >= 2 ? true : undefined);
    assert.ok(first);
    const text = await scrape();
    assert.equal(valueOf(text, 'collector_info{version="9.9.9"}'), 1);
    assert.equal(valueOf(text, 'collector_processes'), 3);
    assert.equal(valueOf(text, 'collector_container_memory_bytes{container="runner"}'), 1000 * 4096);
    assert.equal(valueOf(text, 'collector_container_memory_bytes{container="other"}'), 30 * 4096);
    assert.equal(valueOf(text, 'collector_container_memory_limit_bytes{container="runner"}'), 1 << 30);
    assert.equal(valueOf(text, 'collector_container_cpu_limit_cores{container="runner"}'), 2);
    assert.equal(valueOf(text, 'collector_push_total{result="error"}'), 0);
    assert.ok(!text.includes('ssh.service') && !text.includes('dockerd'), 'an unmapped name leaked into a label');
    const before = valueOf(text, 'collector_samples_total')!;
    await waitFor('another sample', async () => (valueOf(await scrape(), 'collector_samples_total')! > before ? true : undefined));

    const missing = promtoolMissing();
    if (missing) t.diagnostic(missing);
    else {
      const check = promtoolCheck(await scrape());
      assert.equal(check.status, 0, check.output);
    }
    const health = await fetch(`${server.url}/healthz`);
    assert.deepEqual([health.status, await health.text()], [200, 'ok\n']);
    assert.equal((await fetch(`${server.url}/nope`)).status, 404);
    assert.equal((await fetch(`${server.url}/metrics`, { method: 'POST' })).status, 405);
  });

  test('/healthz: 503 once samples stop arriving for more than three intervals', async (t) => {
    const proc = new FakeProc();
    t.after(() => proc.cleanup());
    proc.set([{ pid: 10, comm: 'runner', ppid: 1, utime: 1, start: OLD, cgroup: '/pod/runner' }], 1000);
    const metrics = createCollectorMetrics('x');
    const collector = new Collector(configFor(proc.root, {}), { clockTicks: ticksPerSecond(100), pageSize: 4096, log: pino({ level: 'silent' }), metrics });
    const server = await startMetricsServer({ host: '127.0.0.1', port: 0 }, metrics.registry, () => collector.health());
    t.after(() => { collector.stop(); return server.close(); });
    collector.start();
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
    rmSync(`${proc.root}/stat`); // every sample fails from now on
    const res = await waitFor('an unhealthy answer', async () => {
      const r = await fetch(`${server.url}/healthz`);
      return r.status === 503 ? r : undefined;
    });
    assert.match(await res.text(), /^unhealthy: no sample for \d+ ms/);
  });

  test('observePush: every result series exists from the start and counts', async () => {
    const m = createCollectorMetrics('x');
    m.observePush('retry');
    m.observePush('success', 0.2);
    const text = await m.registry.metrics();
    assert.deepEqual(['success', 'retry', 'error'].map((r) => valueOf(text, `collector_push_total{result="${r}"}`)), [1, 1, 0]);
    assert.equal(valueOf(text, 'collector_push_duration_seconds_count'), 1);
  });

  test('the program: --metrics-addr serves while it samples, and a bad address is exit 2', async (t) => {
    // A 1 s interval: /healthz turns 503 after three intervals without a sample, and a loaded machine may be slow.
    const c = startProgram('collector', ['--interval=1s', '--metrics-addr=:0', '--log-format=json']);
    t.after(() => c.child.kill('SIGKILL'));
    const url = await waitFor('the metrics url', () => /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(c.stderr)?.[1]);
    const health = await fetch(`${url}/healthz`);
    assert.equal(health.status, 200, `${await health.text()}\n${c.stderr}`);
    assert.match(await (await fetch(`${url}/metrics`)).text(), /^process_cpu_seconds_total \d/m);
    c.child.kill('SIGTERM');
    assert.equal(await c.exited, 0);
    const bad = startProgram('collector', ['--metrics-addr=localhost']);
    assert.equal(await bad.exited, 2);
    assert.match(bad.stderr, /^collector: --metrics-addr: "localhost" is not HOST:PORT or :PORT\n/);
  });
});

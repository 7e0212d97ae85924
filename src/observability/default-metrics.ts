// prom-client's process and Node.js runtime metrics, minus the three whose names promtool rejects: they are
// gauges named `_total`, a suffix Prometheus reserves for counters. `nodejs_active_resources{type}`, which
// prom-client also exports, carries the same information.
import { collectDefaultMetrics, type Registry } from 'prom-client';

const MISNAMED = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

export function registerDefaultMetrics(registry: Registry): void {
  collectDefaultMetrics({ register: registry });
  for (const name of MISNAMED) registry.removeSingleMetric(name);
}

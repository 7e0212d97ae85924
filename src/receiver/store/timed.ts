// A Store that times every operation for receiver_store_duration_seconds and passes everything through.
import type { StoreOperation } from '../../observability/receiver-metrics.ts';
import type { Store } from './types.ts';

export function timedStore(store: Store, time: <T>(operation: StoreOperation, run: () => Promise<T>) => Promise<T>): Store {
  return {
    kind: store.kind,
    put: (run, receivedAt) => time('put', () => store.put(run, receivedAt)),
    query: (q) => time('query', () => store.query(q)),
    queryJson: (q) => time('query', () => store.queryJson(q)),
    queryPage: (q) => time('query', () => store.queryPage(q)),
    history: (q) => time('query', () => store.history(q)),
    saveStats: (rows) => time('put', () => store.saveStats(rows)),
    listJobs: (q) => time('query', () => store.listJobs(q)),
    getRun: (id) => time('query', () => store.getRun(id)),
    countRuns: () => time('count', () => store.countRuns()),
    ping: () => time('ping', () => store.ping()),
    close: () => store.close(),
    exportRuns: (q) => time('query', () => store.exportRuns(q)),
    importRuns: (runs) => time('put', () => store.importRuns(runs)),
    pruneRuns: (before, limit) => time('prune', () => store.pruneRuns(before, limit)),
  };
}

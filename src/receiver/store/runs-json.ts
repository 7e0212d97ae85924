// The query route's response body, written as bytes: each run's stored payload JSON goes in as it is. Parsing 100
// summaries (~600 KB) only to serialise them again was most of a page's cost (docs/benchmarks.md, "Query").
import type { Position, StoredRunJson } from './types.ts';

/**
 * The JSON array fastify would make of the runs with their payloads parsed: the same keys in the same order.
 * `payloadJson` must be JSON text as the stores keep it (JSON.stringify of a checked summary; on PostgreSQL, runs stored
 * before migration 4 hold what jsonb printed, with its key order and spacing), as a string or as its UTF-8 bytes.
 * A Buffer, not a string: a string concatenated from 200 pieces cost fastify 4 ms in Buffer.byteLength alone.
 */
export function runsJson(runs: readonly StoredRunJson[]): Buffer {
  const s = JSON.stringify;
  const parts: (string | Uint8Array)[] = [];
  for (const [i, r] of runs.entries()) {
    parts.push(`${i === 0 ? '[' : '},'}{"id":${r.id},"organization":${s(r.organization)},"repository":${s(r.repository)},` +
      `"workflow":${s(r.workflow)},"job":${s(r.job)},"run_id":${s(r.run_id)},"received_at":${s(r.received_at)},"payload":`,
    r.payloadJson);
  }
  parts.push(runs.length === 0 ? '[]' : '}]');
  let size = 0;
  for (const p of parts) size += typeof p === 'string' ? Buffer.byteLength(p) : p.byteLength;
  // Never from Buffer's shared pool (small sizes): the page is the caller's alone, and the query route frees it.
  const out = Buffer.allocUnsafeSlow(size);
  let at = 0;
  for (const p of parts) {
    if (typeof p === 'string') at += out.write(p, at);
    else {
      out.set(p, at);
      at += p.byteLength;
    }
  }
  return out;
}

/**
 * The next page's start, from the keys of a page asked with one run more than `limit`: its `limit`-th run when that
 * extra run exists, undefined on the last page.
 */
export function nextPosition(found: readonly { readonly id: number; readonly received_at: string }[], limit: number): Position | undefined {
  const last = found[limit - 1];
  return found.length > limit && last !== undefined ? { receivedAt: last.received_at, id: last.id } : undefined;
}

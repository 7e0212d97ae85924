// The query string of GET /api/v1/metrics/repo/...: limit, since/until (RFC 3339) and the opaque
// next-page cursor. Text in, validated values out; a bad value is a 400 naming the parameter.
import { HttpError } from '../errors.ts';
import type { Position } from '../store/types.ts';
import type { QueryString } from './schemas.ts';

export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 1000;

export type QueryOptions = {
  readonly limit: number;
  /** Inclusive, as stored: RFC 3339 UTC with milliseconds. */
  readonly since: string | undefined;
  /** Exclusive, as stored: RFC 3339 UTC with milliseconds. */
  readonly until: string | undefined;
  readonly after: Position | undefined;
};

export function parseQueryOptions(q: QueryString): QueryOptions {
  let limit = DEFAULT_LIMIT;
  if (q.limit !== undefined) {
    limit = /^[0-9]+$/.test(q.limit) ? Number(q.limit) : NaN;
    if (!(limit >= 1 && limit <= MAX_LIMIT)) throw new HttpError(400, `querystring.limit: must be an integer from 1 to ${MAX_LIMIT}`);
  }
  const bound = (name: 'since' | 'until') => {
    const text = q[name];
    if (text === undefined) return undefined;
    const iso = rfc3339ToStoredTime(text);
    if (iso === undefined) throw new HttpError(400, `querystring.${name}: must be an RFC 3339 time such as 2026-02-06T14:30:00Z`);
    return iso;
  };
  let after: Position | undefined;
  if (q.cursor !== undefined) {
    after = decodeCursor(q.cursor);
    if (after === undefined) throw new HttpError(400, 'querystring.cursor: not a cursor from this API');
  }
  return { limit, since: bound('since'), until: bound('until'), after };
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;
const MIN_MS = new Date('0000-01-01T00:00:00.000Z').getTime(); // stored times keep 4-digit years, so text order holds
const MAX_MS = new Date('9999-12-31T23:59:59.999Z').getTime();

/**
 * An RFC 3339 time as the stores keep it (UTC, 3 fractional digits), rounded *up* to the millisecond:
 * right for both bounds, since `received_at >= since` and `received_at < until` then keep exactly the
 * rows the exact bound would. Undefined if the text is not a valid RFC 3339 date-time.
 */
export function rfc3339ToStoredTime(text: string): string | undefined {
  const m = RFC3339.exec(text);
  if (m === null) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const frac = m[7] ?? '';
  const utc = new Date(0);
  utc.setUTCFullYear(y, mo - 1, d); // setUTCFullYear, unlike Date.UTC, does not map years 0-99 to 1900-1999
  if (utc.getUTCMonth() !== mo - 1 || utc.getUTCDate() !== d || h > 23 || mi > 59 || s > 60) return undefined;
  const offsetMin = m[8] !== undefined ? 0 : (m[9] === '-' ? -1 : 1) * (Number(m[10]) * 60 + Number(m[11]));
  if (Math.abs(offsetMin) >= 24 * 60) return undefined;
  const ms = Number(frac.padEnd(3, '0').slice(0, 3));
  const roundUp = /[1-9]/.test(frac.slice(3)) ? 1 : 0;
  // A leap second (:60) counts as the last millisecond of its minute.
  const at = utc.getTime() + h * 3_600_000 + mi * 60_000 + (s === 60 ? 59_999 : s * 1000 + ms + roundUp) - offsetMin * 60_000;
  return new Date(Math.min(MAX_MS, Math.max(MIN_MS, at))).toISOString();
}

/** The cursor for the page after the row at `p`: base64url of `[received_at, id]`, opaque to clients. */
export function encodeCursor(p: Position): string {
  return Buffer.from(JSON.stringify([p.receivedAt, p.id])).toString('base64url');
}

export function decodeCursor(cursor: string): Position | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (!Array.isArray(value) || value.length !== 2) return undefined;
  const [receivedAt, id] = value as unknown[];
  if (typeof receivedAt !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(receivedAt)) return undefined;
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 1) return undefined;
  return { receivedAt, id };
}

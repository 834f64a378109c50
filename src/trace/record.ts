import { parseUri, type Endpoint, type Kind } from './uri.js';

/**
 * One trace request as stored in `trace_requests` (schemas/trace.sql): the column names are the field names.
 * `timestamp` is microseconds since the epoch, UTC.
 */
export interface TraceRow {
  source: string;
  record_index: number;
  timestamp: number;
  method: string;
  uri: string;
  endpoint: Endpoint;
  kind: Kind;
  repository: string | null;
  reference: string | null;
  object_key: string | null;
  status: number | null;
  response_size: number | null;
  duration: number | null;
  host: string | null;
  client: string | null;
  user_agent: string | null;
  request_id: string | null;
}

/** The field names of the source records (JSON keys and CSV headers). */
export const traceFields = {
  host: 'host',
  duration: 'http.request.duration',
  method: 'http.request.method',
  client: 'http.request.remoteaddr',
  uri: 'http.request.uri',
  user_agent: 'http.request.useragent',
  status: 'http.response.status',
  response_size: 'http.response.written',
  request_id: 'id',
  timestamp: 'timestamp',
} as const;

export const requiredFields = [traceFields.timestamp, traceFields.method, traceFields.uri] as const;

/** A problem with one field of a record; the reader adds where the record is. */
export class FieldError extends Error {}

const tsPattern = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/**
 * Parses "2017-06-20T02:41:18.399Z", "2017-06-20 00:00:03.589" (UTC when no zone is given) and offsets
 * such as "+02:00" to microseconds since the epoch.
 */
export function parseTimestamp(text: string): number {
  const m = tsPattern.exec(text.trim());
  if (!m) throw new FieldError(`timestamp ${JSON.stringify(text)} is not of the form YYYY-MM-DD[T ]HH:MM:SS[.fff][Z]`);
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const ms = Date.UTC(+y, +mo - 1, +d, +h, +mi, +s);
  const check = new Date(ms);
  if (Number.isNaN(ms) || check.getUTCDate() !== +d || check.getUTCMonth() !== +mo - 1 || +h > 23 || +mi > 59 || +s > 60) {
    throw new FieldError(`timestamp ${JSON.stringify(text)} is not a valid date and time`);
  }
  let offsetMin = 0;
  if (zone && zone.toUpperCase() !== 'Z') {
    const sign = zone[0] === '-' ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    offsetMin = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || '0'));
  }
  const micros = frac ? Number(frac.padEnd(6, '0').slice(0, 6)) : 0;
  return (ms - offsetMin * 60_000) * 1000 + micros;
}

function text(value: unknown, name: string): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value === '' ? null : value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new FieldError(`${name} should be a string, found ${JSON.stringify(value)}`);
}

function number(value: unknown, name: string): number | null {
  if (value === null || value === undefined || value === '') return null;
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value.trim()) : NaN;
  if (typeof value === 'string' && /^(nan|null|none)$/i.test(value.trim())) return null;
  if (!Number.isFinite(n)) throw new FieldError(`${name} should be a number, found ${JSON.stringify(value)}`);
  return n;
}

function integer(value: unknown, name: string, nonNegative = true): number | null {
  const n = number(value, name);
  if (n === null) return null;
  if (!Number.isInteger(n)) throw new FieldError(`${name} should be a whole number, found ${JSON.stringify(value)}`);
  if (nonNegative && n < 0) throw new FieldError(`${name} should not be negative, found ${JSON.stringify(value)}`);
  return n;
}

/** Builds a row from a record's fields, looked up by source field name. Throws FieldError on bad input. */
export function toTraceRow(get: (field: string) => unknown, source: string, recordIndex: number): TraceRow {
  for (const f of requiredFields) {
    const v = get(f);
    if (v === null || v === undefined || v === '') throw new FieldError(`missing ${f}`);
  }
  const tsValue = get(traceFields.timestamp);
  if (typeof tsValue !== 'string') throw new FieldError(`timestamp should be a string, found ${JSON.stringify(tsValue)}`);
  const uri = text(get(traceFields.uri), traceFields.uri)!;
  const parsed = parseUri(uri);
  return {
    source,
    record_index: recordIndex,
    timestamp: parseTimestamp(tsValue),
    method: text(get(traceFields.method), traceFields.method)!.toUpperCase(),
    uri,
    endpoint: parsed.endpoint,
    kind: parsed.kind,
    repository: parsed.repository,
    reference: parsed.reference,
    object_key: parsed.object_key,
    status: integer(get(traceFields.status), traceFields.status),
    response_size: integer(get(traceFields.response_size), traceFields.response_size),
    duration: number(get(traceFields.duration), traceFields.duration),
    host: text(get(traceFields.host), traceFields.host),
    client: text(get(traceFields.client), traceFields.client),
    user_agent: text(get(traceFields.user_agent), traceFields.user_agent),
    request_id: text(get(traceFields.request_id), traceFields.request_id),
  };
}

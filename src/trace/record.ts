import type { Endpoint, Kind } from './uri.js';

/**
 * One trace request as stored in `trace_requests` (schemas/trace.sql): the column names are the field names.
 * `timestamp` is microseconds since the epoch, UTC.
 */
export interface TraceRow {
  source: string;
  file: string;
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

/** The field names of the source records (JSON keys and CSV headers), by the column each one fills. */
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

export type FieldColumn = keyof typeof traceFields;

export const requiredFields = [traceFields.timestamp, traceFields.method, traceFields.uri] as const;

/**
 * The record checks and conversions, in SQL. The input relation has `record_index` and, for each field, a JSON
 * column `j_<column>` holding the field's value as the record gives it (NULL when the record lacks it; CSV fields
 * are JSON strings). The macros below read those values with these rules:
 *
 * - text: a string (empty means missing), or a number or boolean written as text; an object or array is refused.
 * - number: a JSON number, or a string holding one ("72626.0"); an empty string, "NaN", "null", "None" mean
 *   missing; anything else, and infinities, are refused. Whole numbers must be whole and not negative.
 * - timestamp: a string "2017-06-20T02:41:18.399Z" or "2017-06-20 00:00:03.589" (UTC when no zone is given),
 *   with an optional zone offset ("+02:00", "-0130"), read to the microsecond (further digits are dropped).
 */
export const recordMacros = `
CREATE OR REPLACE TEMP MACRO trace_jtype(v) AS CASE WHEN v IS NULL THEN 'NULL' ELSE json_type(v) END;
CREATE OR REPLACE TEMP MACRO trace_present(v) AS trace_jtype(v) <> 'NULL' AND NOT (trace_jtype(v) = 'VARCHAR' AND (v ->> '$') = '');
CREATE OR REPLACE TEMP MACRO trace_text(v) AS CASE WHEN trace_jtype(v) NOT IN ('NULL', 'OBJECT', 'ARRAY') THEN nullif(v ->> '$', '') END;
CREATE OR REPLACE TEMP MACRO trace_text_bad(v, name) AS
  CASE WHEN trace_jtype(v) IN ('OBJECT', 'ARRAY') THEN name || ' should be a string, found ' || v::VARCHAR END;
CREATE OR REPLACE TEMP MACRO trace_number_missing(v) AS trace_jtype(v) = 'NULL'
  OR (trace_jtype(v) = 'VARCHAR' AND ((v ->> '$') = '' OR lower(trace_trim(v ->> '$')) IN ('nan', 'null', 'none')));
CREATE OR REPLACE TEMP MACRO trace_number_raw(v) AS CASE
  WHEN trace_number_missing(v) THEN NULL
  WHEN trace_jtype(v) IN ('BIGINT', 'UBIGINT', 'DOUBLE') THEN TRY_CAST(v ->> '$' AS DOUBLE)
  WHEN trace_jtype(v) = 'VARCHAR' THEN CASE WHEN trace_trim(v ->> '$') = '' THEN 0 ELSE TRY_CAST(trace_trim(v ->> '$') AS DOUBLE) END
  END;
CREATE OR REPLACE TEMP MACRO trace_number_bad(v, name) AS CASE
  WHEN trace_number_missing(v) THEN NULL
  WHEN trace_number_raw(v) IS NULL OR NOT isfinite(trace_number_raw(v)) THEN name || ' should be a number, found ' || v::VARCHAR
  END;
CREATE OR REPLACE TEMP MACRO trace_integer_bad(v, name, maximum) AS CASE
  WHEN trace_number_bad(v, name) IS NOT NULL THEN trace_number_bad(v, name)
  WHEN trace_number_raw(v) IS NULL THEN NULL
  WHEN trace_number_raw(v) <> trunc(trace_number_raw(v)) THEN name || ' should be a whole number, found ' || v::VARCHAR
  WHEN trace_number_raw(v) < 0 THEN name || ' should not be negative, found ' || v::VARCHAR
  WHEN trace_number_raw(v) > maximum THEN name || ' is too large, found ' || v::VARCHAR
  END;
CREATE OR REPLACE TEMP MACRO trace_ts_parts(s) AS regexp_extract(trace_trim(s),
  '(?i)^(\\d{4})-(\\d{2})-(\\d{2})[T ](\\d{2}):(\\d{2}):(\\d{2})(?:[.,](\\d{1,9}))?\\s*(Z|[+-]\\d{2}(?::?\\d{2})?)?$',
  ['y', 'mo', 'd', 'h', 'mi', 's', 'frac', 'zone']);
CREATE OR REPLACE TEMP MACRO trace_int(s) AS TRY_CAST(s AS INTEGER);
CREATE OR REPLACE TEMP MACRO trace_year(p) AS trace_int(p.y) + CASE WHEN trace_int(p.y) < 100 THEN 1900 ELSE 0 END;
CREATE OR REPLACE TEMP MACRO trace_month_days(y, mo) AS CASE
  WHEN mo = 2 THEN CASE WHEN (y % 4 = 0 AND y % 100 <> 0) OR y % 400 = 0 THEN 29 ELSE 28 END
  WHEN mo IN (4, 6, 9, 11) THEN 30 ELSE 31 END;
CREATE OR REPLACE TEMP MACRO trace_ts_valid(p) AS coalesce(p.y <> ''
  AND trace_int(p.mo) BETWEEN 1 AND 12 AND trace_int(p.d) >= 1 AND trace_int(p.d) <= trace_month_days(trace_year(p), trace_int(p.mo))
  AND trace_int(p.h) <= 23 AND trace_int(p.mi) <= 59 AND trace_int(p.s) <= 60
  AND NOT (trace_int(p.s) = 60 AND trace_int(p.h) = 23 AND trace_int(p.mi) = 59), false);
CREATE OR REPLACE TEMP MACRO trace_ts_offset_min(zone) AS CASE WHEN zone = '' OR upper(zone) = 'Z' THEN 0 ELSE
  (CASE WHEN zone[1] = '-' THEN -1 ELSE 1 END)
  * (trace_int(replace(zone[2:], ':', '')[1:2]) * 60 + coalesce(trace_int(replace(zone[2:], ':', '')[3:4]), 0)) END;
CREATE OR REPLACE TEMP MACRO trace_ts_micros(p) AS CASE WHEN trace_ts_valid(p) THEN
  epoch_us(make_date(trace_year(p), trace_int(p.mo), trace_int(p.d))::TIMESTAMP)
  + ((trace_int(p.h)::BIGINT * 60 + trace_int(p.mi)) * 60 + trace_int(p.s)) * 1000000
  + CASE WHEN p.frac = '' THEN 0 ELSE TRY_CAST(rpad(p.frac, 6, '0')[1:6] AS BIGINT) END
  - trace_ts_offset_min(p.zone)::BIGINT * 60000000 END;
CREATE OR REPLACE TEMP MACRO trace_ts_bad(v, p) AS CASE
  WHEN p.y = '' THEN 'timestamp ' || to_json(v ->> '$')::VARCHAR || ' is not of the form YYYY-MM-DD[T ]HH:MM:SS[.fff][Z]'
  WHEN NOT trace_ts_valid(p) THEN 'timestamp ' || to_json(v ->> '$')::VARCHAR || ' is not a valid date and time'
  END;
`;

const req = (c: FieldColumn) => `WHEN NOT trace_present(j_${c}) THEN 'missing ${traceFields[c]}'`;
const text = (c: FieldColumn) => `trace_text_bad(j_${c}, '${traceFields[c]}')`;

/**
 * The first problem of a record, in the order the checks run (NULL when it has none): a missing required field,
 * a timestamp that is not a string, then each field in turn. `ts` is the column of trace_ts_parts.
 */
export const problemSql = `CASE
  ${req('timestamp')}
  ${req('method')}
  ${req('uri')}
  WHEN trace_jtype(j_timestamp) <> 'VARCHAR' THEN 'timestamp should be a string, found ' || j_timestamp::VARCHAR
  ELSE coalesce(${text('uri')}, trace_ts_bad(j_timestamp, ts), ${text('method')},
    trace_integer_bad(j_status, '${traceFields.status}', 2147483647),
    trace_integer_bad(j_response_size, '${traceFields.response_size}', 9.2e18),
    trace_number_bad(j_duration, '${traceFields.duration}'),
    ${text('host')}, ${text('client')}, ${text('user_agent')}, ${text('request_id')})
  END`;

/** The row's columns, in the order of schemas/trace.sql, from a checked record (`ts`, `upath`, `uquery`, `u` columns). */
export function rowColumnsSql(source: string, file: string): string {
  return `${source} AS source, ${file} AS file, record_index,
    make_timestamp(trace_ts_micros(ts)) AS timestamp,
    upper(trace_text(j_method)) AS method,
    trace_text(j_uri) AS uri,
    u.endpoint, u.kind, u.repository, u.reference, u.object_key,
    TRY_CAST(trace_number_raw(j_status) AS INTEGER) AS status,
    TRY_CAST(trace_number_raw(j_response_size) AS BIGINT) AS response_size,
    trace_number_raw(j_duration) AS duration,
    trace_text(j_host) AS host,
    trace_text(j_client) AS client,
    trace_text(j_user_agent) AS user_agent,
    trace_text(j_request_id) AS request_id`;
}

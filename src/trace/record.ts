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
 * The record checks and conversions, in SQL. The reader's relation gives, for each field, `t_<column>`, the kind
 * of value the record holds ('NULL' when it lacks the field, 'VARCHAR', 'NUMBER', 'BOOLEAN', 'OBJECT', 'ARRAY';
 * CSV fields are all strings) and `s_<column>`, the value as text (a string's characters, else its JSON text).
 * The macros below read those values with these rules:
 *
 * - text: a string (empty means missing), or a number or boolean written as text; an object or array is refused.
 * - number: a JSON number, or a string holding one ("72626.0"); an empty string, "NaN", "null", "None" mean
 *   missing; anything else, and infinities, are refused. Whole numbers must be whole and not negative.
 * - timestamp: a string "2017-06-20T02:41:18.399Z" or "2017-06-20 00:00:03.589" (UTC when no zone is given),
 *   with an optional zone offset ("+02:00", "-0130"), read to the microsecond (further digits are dropped).
 *   `trace_ts_split` cuts those two common forms by position once a regular expression without groups has
 *   matched them (far cheaper than the one with groups, which takes the others); `trace_ts_micros` is NULL
 *   exactly when the parts are not a valid date and time, so it is computed once (`ts_us`) and the check reads it.
 */
export const recordMacros = `
CREATE OR REPLACE TEMP MACRO trace_jkind(j) AS CASE WHEN j IS NULL THEN 'NULL' ELSE CASE left(j::VARCHAR, 1)
  WHEN '"' THEN 'VARCHAR' WHEN '{' THEN 'OBJECT' WHEN '[' THEN 'ARRAY' WHEN 't' THEN 'BOOLEAN' WHEN 'f' THEN 'BOOLEAN'
  WHEN 'n' THEN 'NULL' ELSE 'NUMBER' END END;
CREATE OR REPLACE TEMP MACRO trace_jstr(j) AS CASE WHEN left(j::VARCHAR, 1) <> '"' THEN j::VARCHAR
  WHEN strpos(j::VARCHAR, '\\') > 0 THEN j ->> '$' ELSE substr(j::VARCHAR, 2, length(j::VARCHAR) - 2) END;
CREATE OR REPLACE TEMP MACRO trace_shown(t, s) AS CASE WHEN t = 'VARCHAR' THEN to_json(s)::VARCHAR ELSE s END;
CREATE OR REPLACE TEMP MACRO trace_present(t, s) AS t <> 'NULL' AND NOT (t = 'VARCHAR' AND s = '');
CREATE OR REPLACE TEMP MACRO trace_text(t, s) AS CASE WHEN t NOT IN ('NULL', 'OBJECT', 'ARRAY') THEN nullif(s, '') END;
CREATE OR REPLACE TEMP MACRO trace_text_bad(t, s, name) AS
  CASE WHEN t IN ('OBJECT', 'ARRAY') THEN name || ' should be a string, found ' || s END;
CREATE OR REPLACE TEMP MACRO trace_number_missing(t, s) AS t = 'NULL'
  OR (t = 'VARCHAR' AND (s = '' OR lower(trace_trim(s)) IN ('nan', 'null', 'none')));
CREATE OR REPLACE TEMP MACRO trace_number_slow(t, s) AS CASE
  WHEN trace_number_missing(t, s) THEN NULL
  WHEN t = 'NUMBER' THEN TRY_CAST(s AS DOUBLE)
  WHEN t = 'VARCHAR' THEN CASE WHEN trace_trim(s) = '' THEN 0 ELSE TRY_CAST(trace_trim(s) AS DOUBLE) END
  END;
CREATE OR REPLACE TEMP MACRO trace_number(t, s) AS CASE
  WHEN t IN ('VARCHAR', 'NUMBER') AND isfinite(TRY_CAST(s AS DOUBLE)) THEN TRY_CAST(s AS DOUBLE)
  ELSE trace_number_slow(t, s) END;
CREATE OR REPLACE TEMP MACRO trace_number_bad(t, s, n, name) AS CASE
  WHEN isfinite(n) THEN NULL
  WHEN trace_number_missing(t, s) THEN NULL
  ELSE name || ' should be a number, found ' || trace_shown(t, s)
  END;
CREATE OR REPLACE TEMP MACRO trace_integer_bad(t, s, n, name, maximum) AS CASE
  WHEN NOT coalesce(isfinite(n), false) THEN trace_number_bad(t, s, n, name)
  WHEN n <> trunc(n) THEN name || ' should be a whole number, found ' || trace_shown(t, s)
  WHEN n < 0 THEN name || ' should not be negative, found ' || trace_shown(t, s)
  WHEN n > maximum THEN name || ' is too large, found ' || trace_shown(t, s)
  END;
CREATE OR REPLACE TEMP MACRO trace_ts_split(t) AS CASE
  WHEN strlen(t) IN (23, 24) AND regexp_full_match(t, '\\d{4}-\\d{2}-\\d{2}[T ]\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z?') THEN {y: substr(t, 1, 4),
    mo: substr(t, 6, 2), d: substr(t, 9, 2), h: substr(t, 12, 2), mi: substr(t, 15, 2), s: substr(t, 18, 2), frac: substr(t, 21, 3), zone: substr(t, 24, 1)}
  ELSE regexp_extract(t,
    '(?i)^(\\d{4})-(\\d{2})-(\\d{2})[T ](\\d{2}):(\\d{2}):(\\d{2})(?:[.,](\\d{1,9}))?\\s*(Z|[+-]\\d{2}(?::?\\d{2})?)?$',
    ['y', 'mo', 'd', 'h', 'mi', 's', 'frac', 'zone']) END;
CREATE OR REPLACE TEMP MACRO trace_ts_parts(s) AS trace_ts_split(trace_trim(s));
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
CREATE OR REPLACE TEMP MACRO trace_ts_bad(s, p, micros) AS CASE
  WHEN p.y = '' THEN 'timestamp ' || to_json(s)::VARCHAR || ' is not of the form YYYY-MM-DD[T ]HH:MM:SS[.fff][Z]'
  WHEN micros IS NULL THEN 'timestamp ' || to_json(s)::VARCHAR || ' is not a valid date and time'
  END;
`;

const req = (c: FieldColumn) => `WHEN NOT trace_present(t_${c}, s_${c}) THEN 'missing ${traceFields[c]}'`;
const text = (c: FieldColumn) => `trace_text_bad(t_${c}, s_${c}, '${traceFields[c]}')`;

/** The numbers of a record, each parsed once: the columns `n_<column>` of `numberColumnsSql`. */
export const numberColumnsSql = (['status', 'response_size', 'duration'] as const).map((c) => `trace_number(t_${c}, s_${c}) AS n_${c}`).join(', ');

/**
 * The first problem of a record, in the order the checks run (NULL when it has none): a missing required field,
 * a timestamp that is not a string, then each field in turn. `ts` is the column of trace_ts_parts, `ts_us` of
 * trace_ts_micros over it.
 */
export const problemSql = `CASE
  ${req('timestamp')}
  ${req('method')}
  ${req('uri')}
  WHEN t_timestamp <> 'VARCHAR' THEN 'timestamp should be a string, found ' || s_timestamp
  ELSE coalesce(${text('uri')}, trace_ts_bad(s_timestamp, ts, ts_us), ${text('method')},
    trace_integer_bad(t_status, s_status, n_status, '${traceFields.status}', 2147483647),
    trace_integer_bad(t_response_size, s_response_size, n_response_size, '${traceFields.response_size}', 9.2e18),
    trace_number_bad(t_duration, s_duration, n_duration, '${traceFields.duration}'),
    ${text('host')}, ${text('client')}, ${text('user_agent')}, ${text('request_id')})
  END`;

/** The row's columns, in the order of schemas/trace.sql, from a checked record (`ts_us`, `n_*` and `u` columns). */
export function rowColumnsSql(source: string, file: string): string {
  const t = (c: FieldColumn) => `trace_text(t_${c}, s_${c})`;
  return `${source} AS source, ${file} AS file, record_index,
    make_timestamp(ts_us) AS timestamp,
    upper(${t('method')}) AS method,
    ${t('uri')} AS uri,
    u.endpoint, u.kind, u.repository, u.reference, u.object_key,
    TRY_CAST(n_status AS INTEGER) AS status,
    TRY_CAST(n_response_size AS BIGINT) AS response_size,
    n_duration AS duration,
    ${t('host')} AS host, ${t('client')} AS client, ${t('user_agent')} AS user_agent, ${t('request_id')} AS request_id`;
}

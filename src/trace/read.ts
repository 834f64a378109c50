import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip } from 'node:zlib';
import { ImgscanError } from '../errors.js';
import { readCsv } from './csv-parse.js';
import { readJsonArray } from './json-array.js';
import { requiredFields } from './record.js';

/**
 * What a trace file is, and where its records lie. DuckDB reads the records (src/trace/ingest.ts); this module
 * tells the form from the first significant character (`[` a JSON array, `{` JSON lines, anything else CSV with
 * a header row), reads the CSV header, and, only when something is wrong, walks the file with the streaming
 * readers to name the record and line at fault.
 */
export type TraceFormat = 'json' | 'jsonl' | 'csv';

export interface TraceForm {
  format: TraceFormat;
  gzip: boolean;
  /** CSV: the header's field names (BOM and spaces trimmed), by position. */
  header?: string[];
}

export interface InvalidRecord {
  path: string;
  /** e.g. "record 12 (line 13)" or "line 13 (record 12)". */
  location: string;
  message: string;
}

/** One record's place in its file: index from 0, line from 1; a CSV record's number of fields. */
export interface RecordPlace {
  index: number;
  line: number;
  width?: number;
}

const fail = (path: string, message: string): never => {
  throw new ImgscanError('TRACE_INVALID', message, { path });
};

/** The form of a trace file. Throws TRACE_INVALID on an empty file or a CSV header without the required fields. */
export async function sniffTrace(path: string): Promise<TraceForm> {
  const chunks = textChunks(path);
  const seen: string[] = [];
  let format: TraceFormat | undefined;
  let gzip = false;
  try {
    for (;;) {
      const next = await chunks.next();
      if (next.done) break;
      gzip ||= next.value.gzip;
      seen.push(next.value.text);
      const m = /[^\s\ufeff]/.exec(next.value.text);
      if (m) {
        format = m[0] === '[' ? 'json' : m[0] === '{' ? 'jsonl' : 'csv';
        break;
      }
    }
    if (format === undefined) return fail(path, 'empty file: no CSV header and no JSON records');
    if (format !== 'csv') return { format, gzip };
    const rest = (async function* () {
      yield* seen;
      for await (const c of chunks) yield c.text;
    })();
    for await (const rec of readCsv(rest, path)) return { format, gzip, header: csvHeader(path, rec.fields, rec.line) };
    return fail(path, 'empty file: no CSV header and no JSON records');
  } finally {
    await chunks.return(undefined);
  }
}

function csvHeader(path: string, fields: string[], line: number): string[] {
  const header = fields.map((name) => name.replace(/^\ufeff/, '').trim());
  const missing = requiredFields.filter((f) => !header.includes(f));
  if (missing.length) {
    fail(path, `line ${line}: the CSV header lacks ${missing.join(', ')} (found: ${fields.filter(Boolean).join(', ') || 'no names'})`);
  }
  return header;
}

/**
 * The records of a file in order, with their lines, read by the streaming readers (a few times slower than
 * DuckDB: used to locate problems, never to ingest). Throws TRACE_INVALID, naming the record and line, where the
 * file is not well formed: JSON that does not parse, a record that is not an object, a truncated file, an
 * unclosed CSV quote.
 */
export async function* recordPlaces(path: string, form: TraceForm): AsyncGenerator<RecordPlace> {
  const text = (async function* () {
    for await (const c of textChunks(path)) yield c.text;
  })();
  if (form.format === 'json') {
    for await (const r of readJsonArray(text, path)) yield { index: r.index, line: r.line };
  } else if (form.format === 'jsonl') {
    yield* jsonLines(text, path);
  } else {
    let index = -1;
    for await (const r of readCsv(text, path)) {
      if (index >= 0) yield { index, line: r.line, width: r.fields.length };
      index++;
    }
  }
}

async function* jsonLines(text: AsyncIterable<string>, path: string): AsyncGenerator<RecordPlace> {
  let line = 0;
  let index = 0;
  let rest = '';
  const one = (s: string): RecordPlace | undefined => {
    line++;
    if (/^[\s\ufeff]*$/.test(s)) return undefined;
    let value: unknown;
    try {
      value = JSON.parse(s.replace(/^\ufeff/, ''));
    } catch (err) {
      return fail(path, `record ${index + 1} (line ${line}): invalid JSON: ${(err as Error).message}`);
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) fail(path, `record ${index + 1} (line ${line}): expected an object ('{')`);
    return { index: index++, line };
  };
  for await (const chunk of text) {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop()!;
    for (const s of lines) {
      const p = one(s);
      if (p) yield p;
    }
  }
  const p = one(rest);
  if (p) yield p;
}

/** The lines of the records at the given indexes (those not found are left out). */
export async function linesOf(path: string, form: TraceForm, indexes: number[]): Promise<Map<number, number>> {
  const wanted = new Set(indexes);
  const last = Math.max(-1, ...indexes);
  const found = new Map<number, number>();
  if (last < 0) return found;
  for await (const p of recordPlaces(path, form)) {
    if (wanted.has(p.index)) found.set(p.index, p.line);
    if (p.index >= last) break;
  }
  return found;
}

/** The CSV records whose number of fields differs from the header's. */
export async function csvWidthProblems(path: string, form: TraceForm): Promise<(RecordPlace & { message: string })[]> {
  const width = form.header?.length ?? 0;
  const out: (RecordPlace & { message: string })[] = [];
  for await (const p of recordPlaces(path, form)) {
    if (p.width !== undefined && p.width !== width) out.push({ ...p, message: `expected ${width} fields as in the header, found ${p.width}` });
  }
  return out;
}

/** Where a record is, as messages name it: `record 7 (line 8)` for JSON, `line 8 (record 7)` for CSV (from 1). */
export function placeName(format: TraceFormat, index: number, line: number | undefined): string {
  if (line === undefined) return `record ${index + 1}`;
  return format === 'csv' ? `line ${line} (record ${index + 1})` : `record ${index + 1} (line ${line})`;
}

/** UTF-8 text of a file in chunks, gunzipped when it starts with the gzip magic bytes. */
async function* textChunks(path: string): AsyncGenerator<{ text: string; gzip: boolean }> {
  const raw = createReadStream(path, { highWaterMark: 1 << 20 });
  const counted = (async function* () {
    try {
      for await (const b of raw) yield b as Buffer;
    } catch (err) {
      throw new ImgscanError('TRACE_INVALID', `cannot read: ${(err as Error).message}`, { path }, { cause: err });
    }
  })();
  const first = await counted.next();
  if (first.done) return;
  const head = first.value;
  const all = (async function* () {
    yield head;
    yield* counted;
  })();
  const gzip = head[0] === 0x1f && head[1] === 0x8b;
  let bytes: AsyncIterable<Buffer> = all;
  let done: Promise<void> | undefined;
  if (gzip) {
    const gunzip = createGunzip();
    done = pipeline(Readable.from(all), gunzip).catch(() => undefined);
    bytes = gunzip;
  }
  const decoder = new StringDecoder('utf8');
  try {
    for await (const b of bytes) {
      const s = decoder.write(b);
      if (s) yield { text: s, gzip };
    }
  } catch (err) {
    if (err instanceof ImgscanError) throw err;
    throw new ImgscanError('TRACE_INVALID', `cannot decompress: ${(err as Error).message}`, { path }, { cause: err });
  } finally {
    raw.destroy();
  }
  await done;
  const rest = decoder.end();
  if (rest) yield { text: rest, gzip };
}

import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip } from 'node:zlib';
import { ImgscanError } from '../errors.js';
import { readCsv } from './csv-parse.js';
import { readJsonArray } from './json-array.js';
import { FieldError, requiredFields, toTraceRow, type TraceRow } from './record.js';

/**
 * Reads one trace file in either published form, streamed: a JSON array of records (the full traces) or a
 * pandas CSV export with a header row (leading index columns are ignored; fields are found by header name).
 * The form is sniffed from the first character (`[` means JSON); gzip-compressed files are accepted.
 */
export type TraceFormat = 'json' | 'csv';

export interface InvalidRecord {
  path: string;
  /** e.g. "record 12 (line 13)" or "line 13". */
  location: string;
  message: string;
}

export interface ReadTraceOptions {
  /** Source name stored with each row; default the file's base name. */
  source?: string;
  /** Called with the size of each chunk read from disk (compressed bytes for gzip files). */
  onBytes?: (n: number) => void;
  /** Called once the form is known. */
  onFormat?: (format: TraceFormat) => void;
  /** When given, a record with bad fields is reported here and skipped; otherwise reading stops with an error. */
  onInvalid?: (problem: InvalidRecord) => void;
  /** Read size; default 1 MiB. */
  chunkSize?: number;
}

/** Yields the rows of one trace file. Throws ImgscanError TRACE_INVALID naming the file and record on bad input. */
export async function* readTraceFile(path: string, options: ReadTraceOptions = {}): AsyncGenerator<TraceRow> {
  const source = options.source ?? basename(path);
  const { format, chunks } = await sniff(textChunks(path, options), path);
  options.onFormat?.(format);
  const bad = (location: string, err: unknown): void => {
    if (!(err instanceof FieldError)) throw err;
    if (!options.onInvalid) throw new ImgscanError('TRACE_INVALID', `${location}: ${err.message}`, { path });
    options.onInvalid({ path, location, message: err.message });
  };
  if (format === 'json') {
    for await (const rec of readJsonArray(chunks, path)) {
      let row: TraceRow;
      try {
        row = toTraceRow((f) => rec.value[f], source, rec.index);
      } catch (err) {
        bad(`record ${rec.index + 1} (line ${rec.line})`, err);
        continue;
      }
      yield row;
    }
    return;
  }
  let header: Map<string, number> | undefined;
  let width = 0;
  let index = 0;
  for await (const rec of readCsv(chunks, path)) {
    if (!header) {
      header = new Map(rec.fields.map((name, i) => [name.replace(/^\ufeff/, '').trim(), i]));
      width = rec.fields.length;
      const missing = requiredFields.filter((f) => !header!.has(f));
      if (missing.length) {
        throw new ImgscanError(
          'TRACE_INVALID',
          `line ${rec.line}: the CSV header lacks ${missing.join(', ')} (found: ${rec.fields.filter(Boolean).join(', ') || 'no names'})`,
          { path },
        );
      }
      continue;
    }
    if (rec.fields.length !== width) {
      const problem = new FieldError(`expected ${width} fields as in the header, found ${rec.fields.length}`);
      bad(`line ${rec.line} (record ${index + 1})`, problem);
      index++;
      continue;
    }
    const cols = header;
    let row: TraceRow;
    try {
      row = toTraceRow(
        (f) => {
          const i = cols.get(f);
          return i === undefined ? undefined : rec.fields[i];
        },
        source,
        index,
      );
    } catch (err) {
      bad(`line ${rec.line} (record ${index + 1})`, err);
      index++;
      continue;
    }
    index++;
    yield row;
  }
  if (!header) throw new ImgscanError('TRACE_INVALID', 'empty file: no CSV header and no JSON array', { path });
}

/** UTF-8 text of a file in chunks, gunzipped when it starts with the gzip magic bytes. */
async function* textChunks(path: string, options: ReadTraceOptions): AsyncGenerator<string> {
  const raw = createReadStream(path, { highWaterMark: options.chunkSize ?? 1 << 20 });
  const counted = (async function* () {
    try {
      for await (const b of raw) {
        options.onBytes?.((b as Buffer).length);
        yield b as Buffer;
      }
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
  let bytes: AsyncIterable<Buffer> = all;
  let done: Promise<void> | undefined;
  if (head[0] === 0x1f && head[1] === 0x8b) {
    const gunzip = createGunzip();
    done = pipeline(Readable.from(all), gunzip).catch(() => undefined);
    bytes = gunzip;
  }
  const decoder = new StringDecoder('utf8');
  try {
    for await (const b of bytes) {
      const s = decoder.write(b);
      if (s) yield s;
    }
  } catch (err) {
    if (err instanceof ImgscanError) throw err;
    throw new ImgscanError('TRACE_INVALID', `cannot decompress: ${(err as Error).message}`, { path }, { cause: err });
  } finally {
    raw.destroy();
  }
  await done;
  const rest = decoder.end();
  if (rest) yield rest;
}

/** Finds the first significant character to tell the form, and gives back every chunk. */
async function sniff(chunks: AsyncGenerator<string>, path: string): Promise<{ format: TraceFormat; chunks: AsyncIterable<string> }> {
  const seen: string[] = [];
  let format: TraceFormat | undefined;
  while (format === undefined) {
    const next = await chunks.next();
    if (next.done) break;
    seen.push(next.value);
    const m = /[^\s\ufeff]/.exec(next.value);
    if (m) format = m[0] === '[' ? 'json' : 'csv';
  }
  if (format === undefined) throw new ImgscanError('TRACE_INVALID', 'empty file: no CSV header and no JSON array', { path });
  return {
    format,
    chunks: (async function* () {
      yield* seen;
      yield* chunks;
    })(),
  };
}

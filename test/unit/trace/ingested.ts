import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Db, num } from '../../../src/store/duckdb.js';
import { ingestTraces, type IngestSummary } from '../../../src/trace/ingest.js';
import type { TraceRow } from '../../../src/trace/record.js';
import { openTrace } from '../../../src/trace/store.js';
import { type ParsedUri, uriMacros } from '../../../src/trace/uri.js';

/** Every stored row of DATA, in file and record order, with the timestamp as microseconds since the epoch. */
export async function storedRows(dataDir: string): Promise<TraceRow[]> {
  const db = await openTrace(dataDir);
  try {
    const rows = await db.all<Record<string, unknown>>('SELECT * EXCLUDE (timestamp), epoch_us(timestamp) AS timestamp FROM trace_requests ORDER BY file, record_index');
    return rows.map((r) => ({
      ...(r as unknown as TraceRow),
      record_index: num(r.record_index),
      timestamp: num(r.timestamp),
      response_size: r.response_size === null ? null : num(r.response_size),
    }));
  } finally {
    db.close();
  }
}

let counter = 0;

/** Writes records as JSON lines (or any text given) to a fresh file, ingests it, and returns the rows stored. */
export async function ingestText(
  text: string,
  options: { name?: string; skipInvalid?: boolean } = {},
): Promise<{ summary: IngestSummary; rows: TraceRow[]; path: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'imgscan-trace-records-'));
  const path = join(dir, options.name ?? `records-${counter++}.jsonl`);
  writeFileSync(path, text);
  const summary = await ingestTraces([path], { dataDir: join(dir, 'data'), skipInvalid: options.skipInvalid });
  const rows = summary.records > 0 ? await storedRows(join(dir, 'data')) : [];
  return { summary, rows, path };
}

let uriDb: Promise<Db> | undefined;

/** Runs URIs through the ingest's SQL macro (src/trace/uri.ts), in one database kept for the test file. */
export async function parseUris(uris: string[]): Promise<ParsedUri[]> {
  uriDb ??= Db.open(':memory:').then(async (db) => {
    await db.run(uriMacros);
    return db;
  });
  const db = await uriDb;
  const values = uris.map((u, i) => `(${i}, '${u.replaceAll("'", "''")}')`).join(', ');
  const rows = await db.all<{ p: ParsedUri }>(`SELECT trace_uri(uri) AS p FROM (VALUES ${values}) AS u(i, uri) ORDER BY i`);
  return rows.map((r) => ({ ...r.p }));
}

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { ImgscanError } from '../../../src/errors.js';
import { type InvalidRecord, readTraceFile, type TraceFormat } from '../../../src/trace/read.js';
import type { TraceRow } from '../../../src/trace/record.js';
import { makeRecords, writeJsonArray } from './gen.js';
import { readSample, samplePath } from './sample.js';

const dir = mkdtempSync(join(tmpdir(), 'imgscan-trace-read-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function rows(path: string, options: Parameters<typeof readTraceFile>[1] = {}): Promise<TraceRow[]> {
  const out: TraceRow[] = [];
  for await (const r of readTraceFile(path, options)) out.push(r);
  return out;
}

async function failure(path: string): Promise<ImgscanError> {
  const err = await rows(path).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ImgscanError);
  return err as ImgscanError;
}

describe('reading the real CSV sample', () => {
  it('gives one row per request with the fields a simple reader finds', async () => {
    const expected = readSample();
    let format: TraceFormat | undefined;
    const got = await rows(samplePath, { onFormat: (f) => (format = f) });
    expect(format).toBe('csv');
    expect(got).toHaveLength(expected.length);
    expect(got).toHaveLength(999);
    got.forEach((r, i) => {
      const e = expected[i];
      expect(r.record_index).toBe(i);
      expect(r.source).toBe('ibm-dal09-blobs-sample.csv');
      expect(r.method).toBe(e.method);
      expect(r.uri).toBe(e.uri);
      expect(r.kind).toBe('blob');
      expect(r.repository).toBe(e.repository);
      expect(r.reference).toBe(e.digest);
      expect(r.object_key).toBe(`blob:${e.digest}`);
      expect(r.status).toBe(e.status);
      expect(r.response_size).toBe(e.size);
      expect(r.client).toBe(e.client);
      expect(r.timestamp).toBe(e.time * 1000);
    });
    expect(got[0].repository).toBe('64431afe/eec8974d');
    expect(got[0].reference).toBe('793c8a2b');
  });

  it('reads the gzipped sample the same', async () => {
    const gz = join(dir, 'sample.csv.gz');
    writeFileSync(gz, gzipSync(readFileSync(samplePath)));
    const [plain, zipped] = [await rows(samplePath), await rows(gz, { source: 'ibm-dal09-blobs-sample.csv' })];
    expect(zipped).toEqual(plain);
  });
});

describe('reading JSON arrays', () => {
  it('reads generated records of every kind', async () => {
    const records = makeRecords(2000, 3);
    const path = join(dir, 'gen.json');
    await writeJsonArray(path, records.length, (i) => records[i]);
    const got = await rows(path, { chunkSize: 4096 });
    expect(got).toHaveLength(records.length);
    got.forEach((r, i) => {
      const rec = records[i];
      const uri = String(rec['http.request.uri']);
      expect(r.uri).toBe(uri);
      expect(r.timestamp).toBe(Date.parse(String(rec.timestamp)) * 1000);
      expect(r.response_size).toBe(Number(rec['http.response.written']));
      expect(r.status).toBe(rec['http.response.status']);
      expect(r.method).toBe(rec['http.request.method']);
      const kind = uri.includes('/blobs/') ? 'blob' : uri.includes('/manifests/') ? 'manifest' : 'other';
      expect(r.kind).toBe(kind);
    });
  });

  it('stops at a bad record naming the file, record and line', async () => {
    const records = makeRecords(10, 4);
    records[6]['http.response.written'] = 'lots';
    const path = join(dir, 'bad.json');
    await writeJsonArray(path, records.length, (i) => records[i]);
    const err = await failure(path);
    expect(err.code).toBe('TRACE_INVALID');
    expect(err.context.path).toBe(path);
    // writeJsonArray puts record i on line i + 2.
    expect(err.message).toBe('record 7 (line 8): http.response.written should be a number, found "lots"');
    expect(err.describe()).toContain(path);
  });

  it('skips bad records when asked, reporting each', async () => {
    const records = makeRecords(10, 5);
    delete records[2].timestamp;
    records[5].timestamp = 'not a time';
    const path = join(dir, 'skip.json');
    await writeJsonArray(path, records.length, (i) => records[i]);
    const problems: InvalidRecord[] = [];
    const got = await rows(path, { onInvalid: (p) => problems.push(p) });
    expect(got.map((r) => r.record_index)).toEqual([0, 1, 3, 4, 6, 7, 8, 9]);
    expect(problems.map((p) => p.location)).toEqual(['record 3 (line 4)', 'record 6 (line 7)']);
    expect(problems[0].message).toBe('missing timestamp');
  });
});

describe('bad files', () => {
  it('names the missing CSV columns', async () => {
    const path = join(dir, 'nocols.csv');
    writeFileSync(path, 'a,b,timestamp\n1,2,2017-06-20 00:00:00\n');
    const err = await failure(path);
    expect(err.message).toMatch(/^line 1: the CSV header lacks http.request.method, http.request.uri/);
  });

  it('names the line of a CSV record with the wrong number of fields', async () => {
    const path = join(dir, 'width.csv');
    writeFileSync(path, 'timestamp,http.request.method,http.request.uri\n2017-06-20 00:00:00,GET,v2/a/blobs/b\n2017-06-20 00:00:01,GET\n');
    const err = await failure(path);
    expect(err.message).toBe('line 3 (record 2): expected 3 fields as in the header, found 2');
  });

  it('names the line of a CSV record with a bad timestamp', async () => {
    const path = join(dir, 'ts.csv');
    writeFileSync(path, 'timestamp,http.request.method,http.request.uri\n2017-06-20 00:00:00,GET,v2/a/blobs/b\n06/20/2017,GET,v2/a/blobs/b\n');
    expect((await failure(path)).message).toMatch(/^line 3 \(record 2\): timestamp "06\/20\/2017"/);
  });

  it('refuses empty files, broken gzip and missing files', async () => {
    const empty = join(dir, 'empty.json');
    writeFileSync(empty, ' \n');
    expect((await failure(empty)).message).toMatch(/empty file/);
    const broken = join(dir, 'broken.json.gz');
    writeFileSync(broken, gzipSync(Buffer.from('[{"a":1}]')).subarray(0, 12));
    expect((await failure(broken)).code).toBe('TRACE_INVALID');
    expect((await failure(join(dir, 'absent.json'))).message).toMatch(/cannot read/);
  });
});

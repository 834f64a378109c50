import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImgscanError } from '../../../src/errors.js';
import { ingestTraces, type IngestSummary, sourceOf } from '../../../src/trace/ingest.js';
import type { TraceRow } from '../../../src/trace/record.js';
import { makeRecords, writeJsonArray } from './gen.js';
import { storedRows } from './ingested.js';
import { readSample, samplePath } from './sample.js';

/** Trace files read through DuckDB as `trace ingest` reads them, checked against what a simple reader finds. */
const dir = mkdtempSync(join(tmpdir(), 'imgscan-trace-read-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let runs = 0;

async function ingest(paths: string[], options: { skipInvalid?: boolean; source?: string } = {}): Promise<{ summary: IngestSummary; rows: TraceRow[] }> {
  const data = join(dir, `data-${runs++}`);
  const summary = await ingestTraces(paths, { dataDir: data, ...options });
  return { summary, rows: summary.records ? await storedRows(data) : [] };
}

async function failure(path: string): Promise<ImgscanError> {
  const err = await ingest([path]).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ImgscanError);
  return err as ImgscanError;
}

/** The sample's rows without the columns that name the file. */
const content = (rows: TraceRow[]) => rows.map(({ source: _s, file: _f, ...rest }) => rest);

describe('reading the real CSV sample', () => {
  let csv: TraceRow[];
  beforeAll(async () => {
    csv = (await ingest([samplePath])).rows;
  });

  it('gives one row per request with the fields a simple reader finds', () => {
    const expected = readSample();
    expect(csv).toHaveLength(expected.length);
    expect(csv).toHaveLength(999);
    csv.forEach((r, i) => {
      const e = expected[i];
      expect(r.record_index).toBe(i);
      expect(r.file).toBe('ibm-dal09-blobs-sample.csv');
      expect(r.source).toBe('dal09');
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
    expect(csv[0].repository).toBe('64431afe/eec8974d');
    expect(csv[0].reference).toBe('793c8a2b');
  });

  it('reads the gzipped sample the same', async () => {
    const gz = join(dir, 'ibm-dal09-blobs-sample.csv.gz');
    writeFileSync(gz, gzipSync(readFileSync(samplePath)));
    const { summary, rows } = await ingest([gz]);
    expect(summary.files[0].format).toBe('csv');
    expect(content(rows)).toEqual(content(csv));
  });

  describe('as JSON lines and as a JSON array, converted by Python', () => {
    // Python's csv and json modules convert the sample, as its publishers' pandas would: numbers as numbers.
    const convert = (form: 'lines' | 'array', out: string) => {
      const script = `
import csv, json, sys
def num(s):
    f = float(s)
    return int(f) if f.is_integer() and 'e' not in s.lower() and s.count('.') == 0 else f
rows = []
with open(sys.argv[1], newline='') as f:
    for r in csv.DictReader(f):
        rec = {k: v for k, v in r.items() if k and k != 'Unnamed: 0'}
        rec['http.response.status'] = int(rec['http.response.status'])
        rec['http.response.written'] = num(rec['http.response.written'])
        rec['http.request.duration'] = float(rec['http.request.duration'])
        rows.append(rec)
with open(sys.argv[2], 'w') as f:
    if sys.argv[3] == 'lines':
        f.write(''.join(json.dumps(r) + '\\n' for r in rows))
    else:
        json.dump(rows, f)
`;
      execFileSync('python3', ['-c', script, samplePath, out, form]);
    };

    it.each(['lines', 'array'] as const)('JSON %s give the same rows as the CSV', async (form) => {
      const out = join(dir, `ibm-dal09-blobs-sample.${form === 'lines' ? 'jsonl' : 'json'}`);
      convert(form, out);
      const { summary, rows } = await ingest([out]);
      expect(summary.files[0].format).toBe(form === 'lines' ? 'jsonl' : 'json');
      expect(rows.every((r) => r.source === 'dal09')).toBe(true);
      expect(content(rows)).toEqual(content(csv));
    });
  });
});

describe('reading JSON arrays', () => {
  it('reads generated records of every kind', async () => {
    const records = makeRecords(2000, 3);
    const path = join(dir, 'gen.json');
    await writeJsonArray(path, records.length, (i) => records[i]);
    const { rows: got } = await ingest([path]);
    expect(got).toHaveLength(records.length);
    got.forEach((r, i) => {
      const rec = records[i];
      const uri = String(rec['http.request.uri']);
      expect(r.record_index).toBe(i);
      expect(r.uri).toBe(uri);
      expect(r.timestamp).toBe(Date.parse(String(rec.timestamp)) * 1000);
      expect(r.response_size).toBe(Number(rec['http.response.written']));
      expect(r.status).toBe(rec['http.response.status']);
      expect(r.method).toBe(rec['http.request.method']);
      expect(r.request_id).toBe(rec.id);
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
    const { summary, rows } = await ingest([path], { skipInvalid: true });
    expect(rows.map((r) => r.record_index)).toEqual([0, 1, 3, 4, 6, 7, 8, 9]);
    expect(summary.invalid).toBe(2);
    expect(summary.problems.map((p) => p.location)).toEqual(['record 3 (line 4)', 'record 6 (line 7)']);
    expect(summary.problems[0].message).toBe('missing timestamp');
  });

  it('names the record where a truncated file ends, and leaves no rows', async () => {
    const path = join(dir, 'truncated.json');
    writeFileSync(path, '[{"timestamp":"2017-06-20T00:00:00Z","http.request.method":"GET","http.request.uri":"v2/a/blobs/b"},\n{"timestamp":');
    expect((await failure(path)).message).toBe('record 2 (line 2) is not closed: the file ends inside it (truncated?)');
    const skipping = await ingest([path], { skipInvalid: true }).catch((e: unknown) => e);
    expect((skipping as ImgscanError).message).toMatch(/^record 2 \(line 2\) is not closed/);
  });
});

describe('reading JSON lines', () => {
  it('names the line of a record that is not JSON', async () => {
    const path = join(dir, 'broken.jsonl');
    const good = JSON.stringify(makeRecords(1, 6)[0]);
    writeFileSync(path, `${good}\n\n${good}\n{"timestamp": "2017-06-20T00:00:00Z", \n${good}\n`);
    expect((await failure(path)).message).toMatch(/^record 3 \(line 4\): invalid JSON/);
  });

  it('skips bad records when asked, naming each by record and line, blank lines not counted', async () => {
    const records = makeRecords(6, 7);
    records[1]['http.request.method'] = '';
    records[4]['http.response.status'] = -3;
    const path = join(dir, 'skip.jsonl');
    writeFileSync(path, records.map((r, i) => (i === 3 ? '\n' : '') + JSON.stringify(r)).join('\n') + '\n');
    const { summary, rows } = await ingest([path], { skipInvalid: true });
    expect(rows.map((r) => r.record_index)).toEqual([0, 2, 3, 5]);
    expect(summary.problems.map((p) => [p.location, p.message])).toEqual([
      ['record 2 (line 2)', 'missing http.request.method'],
      ['record 5 (line 6)', 'http.response.status should not be negative, found -3'],
    ]);
  });
});

describe('sources', () => {
  it.each([
    ['prod-dal09-logstash-2017.06.20-0.json', 'prod-dal09'],
    ['/traces/stage-dal09/part-1.json.gz', 'part-1'],
    ['data_centers/syd01/prestage-mon01.jsonl', 'prestage-mon01'],
    ['ibm-dal09-blobs-sample.csv', 'dal09'],
    ['trace.json.gz', 'trace'],
  ])('%s is source %s', (path, source) => {
    expect(sourceOf(path)).toBe(source);
  });

  it('--source names the source of every file', async () => {
    const { summary, rows } = await ingest([samplePath], { source: 'prod-dal09' });
    expect(summary.files[0]).toMatchObject({ source: 'prod-dal09', file: 'ibm-dal09-blobs-sample.csv' });
    expect(new Set(rows.map((r) => r.source))).toEqual(new Set(['prod-dal09']));
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

  it('skips CSV records of the wrong width when asked, and the others keep their record index', async () => {
    const path = join(dir, 'width-skip.csv');
    const ok = (s: number) => `2017-06-20 00:00:0${s},GET,"v2/a/blobs/b${s}"`;
    writeFileSync(path, `timestamp,http.request.method,http.request.uri\n${ok(0)}\n2017-06-20 00:00:01,GET\n${ok(2)}\n${ok(3)},x\n${ok(4)}\n`);
    const { summary, rows } = await ingest([path], { skipInvalid: true });
    expect(rows.map((r) => [r.record_index, r.reference])).toEqual([[0, 'b0'], [2, 'b2'], [4, 'b4']]);
    expect(summary.problems.map((p) => p.location)).toEqual(['line 3 (record 2)', 'line 5 (record 4)']);
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

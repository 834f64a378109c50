import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImgscanError } from '../../../src/errors.js';
import { num } from '../../../src/store/duckdb.js';
import { analyzeTrace, type TraceAnalysis } from '../../../src/trace/analysis/analyze.js';
import { ingestTraces } from '../../../src/trace/ingest.js';
import { openTrace, traceSchema } from '../../../src/trace/store.js';
import type { TraceRow } from '../../../src/trace/record.js';
import { makeRecords, writeJsonArray } from './gen.js';
import { readSample, samplePath } from './sample.js';
import { countBy, quantilesOf, topShare, zipfFit } from './stats.js';

const dir = mkdtempSync(join(tmpdir(), 'imgscan-trace-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const sample = readSample();
/** Sample requests in replay order: by time, then by position in the file. */
const ordered = sample.map((r, i) => ({ ...r, i })).sort((a, b) => a.time - b.time || a.i - b.i);

describe('ingest', () => {
  const data = join(dir, 'ingest');

  it('declares its columns in schemas/trace.sql with the names of TraceRow', () => {
    const row: Record<keyof TraceRow, true> = {
      source: true, file: true, record_index: true, timestamp: true, method: true, uri: true, endpoint: true, kind: true, repository: true,
      reference: true, object_key: true, status: true, response_size: true, duration: true, host: true, client: true,
      user_agent: true, request_id: true,
    };
    expect(traceSchema().columns.map((c) => c.name).sort()).toEqual(Object.keys(row).sort());
  });

  describe('the sample, in parts of 100 rows, then again in one', () => {
    const progress: number[] = [];
    let first: Awaited<ReturnType<typeof ingestTraces>>;

    beforeAll(async () => {
      first = await ingestTraces([samplePath], { dataDir: data, partRows: 100, onProgress: (p) => progress.push(p.records) });
      await ingestTraces([samplePath], { dataDir: data });
    });

    it('reads every record of the file into parts, and reports progress up to the last', () => {
      expect(first.records).toBe(sample.length);
      expect(first.files[0]).toMatchObject({ format: 'csv', records: 999, invalid: 0, bytes: readFileSync(samplePath).length });
      expect(first.files[0].parts).toBeGreaterThan(1);
      expect(progress[progress.length - 1]).toBe(999);
    });

    it('re-ingesting replaces the parts of the file', () => {
      const parts = readdirSync(join(data, 'trace_requests'));
      expect(parts).toHaveLength(1);
      expect(parts[0]).toMatch(/^ibm-dal09-blobs-sample\.csv-[0-9a-f]{10}-.*\.parquet$/);
    });

    it('stores every request once, with its object and size', async () => {
      const db = await openTrace(data);
      try {
        const [c] = await db.all('SELECT count(*) AS n, count(DISTINCT object_key) AS objects, sum(response_size) AS bytes FROM trace_requests');
        expect(num(c.n)).toBe(999);
        expect(num(c.objects)).toBe(new Set(sample.map((r) => r.digest)).size);
        expect(num(c.bytes)).toBe(sample.reduce((s, r) => s + r.size, 0));
      } finally {
        db.close();
      }
    });

    it('stores the repository of every request', async () => {
      const db = await openTrace(data);
      try {
        const perRepo = await db.all<{ repository: string; n: bigint }>('SELECT repository, count(*) AS n FROM trace_requests GROUP BY 1');
        const expected = countBy(sample, (r) => r.repository);
        expect(new Map(perRepo.map((r) => [r.repository, num(r.n)]))).toEqual(expected);
      } finally {
        db.close();
      }
    });
  });

  it('keys blobs by digest, so a layer pulled through two repositories is one object', async () => {
    const repos = new Map<string, Set<string>>();
    for (const r of sample) repos.set(r.digest, (repos.get(r.digest) ?? new Set()).add(r.repository));
    const shared = [...repos].filter(([, s]) => s.size > 1).map(([d]) => d);
    expect(shared.length).toBeGreaterThan(0);
    const db = await openTrace(data);
    try {
      const rows = await db.all<{ k: string; repos: bigint }>(
        `SELECT object_key AS k, count(DISTINCT repository) AS repos FROM trace_requests GROUP BY 1 HAVING count(DISTINCT repository) > 1 ORDER BY 1`,
      );
      expect(rows.map((r) => r.k)).toEqual(shared.map((d) => `blob:${d}`).sort());
    } finally {
      db.close();
    }
  });

  it('keeps the data it had when a file fails, and names the file', async () => {
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, 'timestamp,http.request.method,http.request.uri\n2017-06-20 00:00:00,GET,v2/a/blobs/b\nbad,GET,v2/a/blobs/c\n');
    const err = await ingestTraces([samplePath, bad], { dataDir: data }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImgscanError);
    expect((err as ImgscanError).describe()).toMatch(/bad\.csv: line 3 \(record 2\): timestamp "bad"/);
    const leftovers = readdirSync(join(data, 'trace_requests'));
    expect(leftovers.filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(leftovers.filter((f) => f.startsWith('bad.csv'))).toEqual([]);
    const skipped = await ingestTraces([bad], { dataDir: join(dir, 'skip'), skipInvalid: true });
    expect(skipped.records).toBe(1);
    expect(skipped.invalid).toBe(1);
    expect(skipped.problems[0].location).toBe('line 3 (record 2)');
  });

  it('refuses two files of the same name', async () => {
    const other = join(dir, 'x', 'ibm-dal09-blobs-sample.csv');
    await expect(ingestTraces([samplePath, other], { dataDir: data })).rejects.toThrow(/share the file name/);
  });

  it('refuses to read a directory without data', async () => {
    await expect(openTrace(join(dir, 'nothing'))).rejects.toMatchObject({ code: 'USAGE' });
  });
});

describe('analysis of the real sample', () => {
  let a: TraceAnalysis;
  const data = join(dir, 'sample-data');

  beforeAll(async () => {
    await ingestTraces([samplePath], { dataDir: data });
    a = await analyzeTrace({ dataDir: data, bucketSeconds: 60, top: 5 });
  });

  it('has the request mix and status codes of the file', () => {
    expect(a.overview.requests).toBe(999);
    expect(a.overview.cacheable).toBe(sample.filter((r) => r.method === 'GET' && r.status >= 200 && r.status < 300).length);
    expect(a.mix).toEqual([{ method: 'GET', kind: 'blob', requests: 999, bytes: sample.reduce((s, r) => s + r.size, 0), share: 1 }]);
    const statuses = countBy(sample, (r) => String(r.status));
    expect(a.statuses.map((s) => [String(s.status), s.requests])).toEqual([...statuses]);
    expect(a.overview.first).toBe(new Date(ordered[0].time).toISOString().replace('T', ' ').replace('Z', ''));
  });

  it('has the popularity skew and Zipf fit a plain computation gives', () => {
    const counts = [...countBy(sample, (r) => r.digest).values()];
    const fit = zipfFit(counts);
    const p = a.popularity;
    expect(p.objects).toBe(counts.length);
    expect(p.requests).toBe(999);
    expect(p.single_request_objects).toBe(counts.filter((c) => c === 1).length);
    expect(p.top1_share).toBeCloseTo(topShare(counts, 0.01), 12);
    expect(p.top10_share).toBeCloseTo(topShare(counts, 0.1), 12);
    expect(p.zipf_alpha).toBeCloseTo(fit.alpha, 9);
    expect(p.zipf_r2).toBeCloseTo(fit.r2, 9);
    expect(p.zipf_c).toBeCloseTo(fit.c, 9);
    expect(p.max_hit_ratio).toBeCloseTo(1 - counts.length / 999, 12);
    const sorted = [...counts].sort((x, y) => y - x);
    for (const [rank, n] of p.rank_frequency) expect(n).toBe(sorted[rank - 1]);
    expect(p.rank_frequency[0]).toEqual([1, sorted[0]]);
    expect(p.rank_frequency[p.rank_frequency.length - 1]).toEqual([counts.length, sorted[counts.length - 1]]);
  });

  it('has the response size quantiles of the sorted sizes', () => {
    const sizes = sample.map((r) => r.size);
    expect(a.sizes).toHaveLength(1);
    expect(a.sizes[0].kind).toBe('blob');
    expect(a.sizes[0].quantiles).toEqual(quantilesOf(sizes));
    expect(a.sizes[0].mean).toBeCloseTo(sizes.reduce((x, y) => x + y, 0) / sizes.length, 6);
  });

  it('has the re-access distances of a walk through the requests in time order', () => {
    const last = new Map<string, { time: number; pos: number }>();
    const seconds: number[] = [];
    const between: number[] = [];
    ordered.forEach((r, pos) => {
      const prev = last.get(r.digest);
      if (prev) {
        seconds.push((r.time - prev.time) / 1000);
        between.push(pos - prev.pos);
      }
      last.set(r.digest, { time: r.time, pos });
    });
    expect(a.reaccess.reaccesses).toBe(seconds.length);
    expect(a.reaccess.requests_between).toEqual(quantilesOf(between));
    quantilesOf(seconds).forEach((s, k) => expect(a.reaccess.seconds[k]).toBeCloseTo(s, 9));
  });

  it('has client and repository activity', () => {
    for (const [act, key] of [
      [a.clients, (r: (typeof sample)[0]) => r.client],
      [a.repositories, (r: (typeof sample)[0]) => r.repository],
    ] as const) {
      const counts = countBy(sample, key);
      expect(act.count).toBe(counts.size);
      expect(act.top1_share).toBeCloseTo(topShare([...counts.values()], 0.01), 12);
      expect(act.top10_share).toBeCloseTo(topShare([...counts.values()], 0.1), 12);
      const top = [...counts].sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1)).slice(0, 5);
      expect(act.top.map((t) => [t.name, t.requests])).toEqual(top);
      expect(act.per_entity).toEqual(quantilesOf([...counts.values()]));
    }
  });

  it('has the request rate per minute, empty minutes included', () => {
    const perMinute = countBy(sample, (r) => String(Math.floor(r.time / 60_000)));
    const minutes = [...perMinute.keys()].map(Number);
    const first = Math.min(...minutes);
    const last = Math.max(...minutes);
    expect(a.rate.points.map((p) => [p.time, p.requests])).toEqual(
      Array.from({ length: last - first + 1 }, (_, i) => [(first + i) * 60_000, perMinute.get(String(first + i)) ?? 0]),
    );
    expect(a.rate.peak_rps).toBe(Math.max(...perMinute.values()) / 60);
  });
});

describe('analysis of a generated JSON trace with every kind of request', () => {
  const records = makeRecords(5000, 9);
  let a: TraceAnalysis;

  beforeAll(async () => {
    const file = join(dir, 'mixed.json');
    await writeJsonArray(file, records.length, (i) => records[i]);
    await ingestTraces([file], { dataDir: join(dir, 'mixed') });
    a = await analyzeTrace({ dataDir: join(dir, 'mixed') });
  });

  it('splits the mix by method and kind as the URIs say', () => {
    const kind = (uri: string) => (/\/blobs\//.test(uri) ? 'blob' : /\/manifests\//.test(uri) ? 'manifest' : 'other');
    const expected = countBy(records, (r) => `${r['http.request.method']} ${kind(String(r['http.request.uri']))}`);
    expect(new Map(a.mix.map((m) => [`${m.method} ${m.kind}`, m.requests]))).toEqual(expected);
    expect(a.mix.reduce((s, m) => s + m.share, 0)).toBeCloseTo(1, 12);
    const tags = records.filter((r) => String(r['http.request.uri']).endsWith('/tags/list')).length;
    expect(a.endpoints.find((e) => e.kind === 'tags_list')?.requests).toBe(tags);
  });

  it('counts as cacheable only successful blob and manifest GETs', () => {
    const cacheable = records.filter((r) => r['http.request.method'] === 'GET' && r['http.response.status'] === 200 && /\/(blobs|manifests)\//.test(String(r['http.request.uri'])));
    expect(a.overview.cacheable).toBe(cacheable.length);
    expect(a.popularity.requests).toBe(cacheable.length);
    expect(a.sizes.map((s) => s.kind)).toEqual(['blob', 'manifest']);
  });
});

describe('upload endpoints', () => {
  it('are not blob GETs: an upload status GET naming a digest is neither cacheable nor counted as a layer pull', async () => {
    const base = makeRecords(1, 3)[0]!;
    const at = (s: number) => new Date(Date.UTC(2017, 5, 20, 0, 0, s)).toISOString();
    const digest = 'sha256:' + 'ab'.repeat(32);
    const records = [
      { ...base, timestamp: at(0), 'http.request.method': 'GET', 'http.request.uri': `v2/r/blobs/${digest}`, 'http.response.status': 200, 'http.response.written': 500 },
      { ...base, timestamp: at(1), 'http.request.method': 'GET', 'http.request.uri': `v2/r/blobs/uploads/5a1c?digest=${encodeURIComponent(digest)}`, 'http.response.status': 204, 'http.response.written': 0 },
      { ...base, timestamp: at(2), 'http.request.method': 'PUT', 'http.request.uri': `v2/r/blobs/uploads/5a1c?digest=${encodeURIComponent(digest)}`, 'http.response.status': 201, 'http.response.written': 0 },
    ];
    const file = join(dir, 'uploads.json');
    await writeJsonArray(file, records.length, (i) => records[i]!);
    await ingestTraces([file], { dataDir: join(dir, 'uploads') });
    const u = await analyzeTrace({ dataDir: join(dir, 'uploads') });
    expect(u.overview.cacheable).toBe(1);
    expect(u.rate.points.reduce((s, p) => s + p.blob_gets, 0)).toBe(1);
  });
});

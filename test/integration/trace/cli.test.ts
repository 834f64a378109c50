import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readChart, seriesOf } from '../../unit/report/chart-data.js';
import { makeRecords, type TraceRecord, writeJsonArray } from '../../unit/trace/gen.js';
import { readSample, samplePath } from '../../unit/trace/sample.js';

/** End to end through the built CLI (`node bin/run.js trace ...`), as a user runs it. */
const root = join(import.meta.dirname, '..', '..', '..');
const bin = join(root, 'bin', 'run.js');
const dir = mkdtempSync(join(tmpdir(), 'imgscan-trace-cli-'));
const run = promisify(execFile);

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(args: string[], nodeArgs: string[] = []): Promise<Run> {
  try {
    const { stdout, stderr } = await run(process.execPath, [...nodeArgs, bin, ...args], { cwd: dir, maxBuffer: 64 << 20, env: { ...process.env, NO_COLOR: '1' } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout, stderr: e.stderr };
  }
}

/** oclif wraps long error lines with a "›" prefix; this joins them back. */
function flat(stderr: string): string {
  return stderr.replace(/\s*\n\s*›\s*/g, ' ').replace(/^\s*›\s*/, '').trim();
}

/** Compiles when a source of the trace commands is newer than its build output. */
function buildIfStale(): void {
  const pairs = [
    ['commands/trace/ingest.ts', 'dist/commands/trace/ingest.js'],
    ['commands/trace/analyze.ts', 'dist/commands/trace/analyze.js'],
    ['commands/trace/simulate.ts', 'dist/commands/trace/simulate.js'],
  ];
  const stale = pairs.some(([src, out]) => !existsSync(join(root, out)) || statSync(join(root, src)).mtimeMs > statSync(join(root, out)).mtimeMs);
  if (!stale) return;
  try {
    execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', root], { stdio: 'pipe' });
  } catch {
    // Type errors elsewhere in the tree do not stop emitting; the check below is what matters.
  }
  for (const [, out] of pairs) if (!existsSync(join(root, out))) throw new Error(`build did not produce ${out}`);
}

beforeAll(buildIfStale);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Keys of a JSON value that are not snake_case (HTTP methods, all capitals, are data and pass). */
function camelKeys(v: unknown, path = '$'): string[] {
  if (Array.isArray(v)) return v.flatMap((x, i) => camelKeys(x, `${path}[${i}]`));
  if (v === null || typeof v !== 'object') return [];
  return Object.entries(v).flatMap(([k, x]) => [...(/^[a-z0-9_]+$|^[A-Z]+$/.test(k) ? [] : [`${path}.${k}`]), ...camelKeys(x, `${path}.${k}`)]);
}

describe('trace ingest, analyze and simulate', () => {
  const data = join(dir, 'data');
  const out = join(dir, 'report');
  const mixed = makeRecords(3000, 17);
  const mixedPath = join(dir, 'mixed.json');

  beforeAll(async () => {
    await writeJsonArray(mixedPath, mixed.length, (i) => mixed[i]);
  });

  it('ingests the CSV sample and a JSON array, printing a typed summary with --json and nothing on stderr', async () => {
    const r = await cli(['trace', 'ingest', samplePath, mixedPath, '--data', data, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(camelKeys(s)).toEqual([]);
    expect(s.records).toBe(999 + mixed.length);
    expect(s.files.map((f: { format: string; records: number }) => [f.format, f.records])).toEqual([
      ['csv', 999],
      ['json', mixed.length],
    ]);
    expect(s.bytes).toBe(statSync(samplePath).size + statSync(mixedPath).size);
  });

  it('shows progress on stderr and a summary on stdout without --json', async () => {
    const r = await cli(['trace', 'ingest', samplePath, '--data', join(dir, 'data-progress')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('999 records');
    expect(r.stderr).toMatch(/files 1\/1 {2}records 999 {2}256\.5 KiB\/256\.5 KiB/);
  });

  it('analyzes: typed summary, Markdown, HTML, CSV and SVG charts holding the data', async () => {
    const r = await cli(['trace', 'analyze', '--data', data, '--out', out, '--json', '--bucket', '5m']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const a = JSON.parse(r.stdout);
    expect(camelKeys(a)).toEqual([]);
    expect(a.overview.requests).toBe(999 + mixed.length);
    expect(a.rate.bucket_s).toBe(300);
    const getBlobs = readSample().length + mixed.filter((m) => m['http.request.method'] === 'GET' && String(m['http.request.uri']).includes('/blobs/')).length;
    expect(a.mix.find((m: { method: string; kind: string }) => m.method === 'GET' && m.kind === 'blob').requests).toBe(getBlobs);
    const md = readFileSync(join(out, 'analyze.md'), 'utf8');
    for (const h of ['## Request mix', '## Response sizes', '## Request rate', '## Popularity', '## Re-access distance', '## Clients', '## Repositories']) expect(md).toContain(h);
    for (const f of a.files.filter((p: string) => p.endsWith('.svg'))) await readChart(readFileSync(f, 'utf8'));
    expect(a.files).toContain(join(out, 'analyze.html'));
    const cdf = seriesOf((await readChart(readFileSync(join(out, 'response-size-cdf.svg'), 'utf8'))).sets.points);
    expect([...cdf.keys()]).toEqual(['blob', 'manifest']);
    expect(cdf.get('blob')).toEqual([[a.sizes[0].quantiles[0], 0], ...a.sizes[0].quantiles.map((v: number, k: number) => [v, k / 200])]);
    // The mixed trace has several endpoints: the mix chart holds each endpoint's share of requests and of bytes.
    const eps = a.endpoints as { method: string; kind: string; requests: number; bytes: number }[];
    expect(eps.length).toBeGreaterThan(1);
    const requests = eps.reduce((n, m) => n + m.requests, 0);
    const bytes = eps.reduce((n, m) => n + m.bytes, 0);
    const mixRows = (await readChart(readFileSync(join(out, 'request-mix.svg'), 'utf8'))).sets.points;
    expect(mixRows.filter((r) => r.series === 'share of requests').map((r) => [r.category, r.value])).toEqual(eps.slice(0, 16).map((m) => [`${m.method} ${m.kind}`, m.requests / requests]));
    expect(mixRows.filter((r) => r.series === 'share of bytes').map((r) => [r.category, r.value])).toEqual(eps.slice(0, 16).map((m) => [`${m.method} ${m.kind}`, m.bytes / bytes]));
    expect([...new Set(mixRows.map((r) => r.series))]).toEqual(['share of requests', 'share of bytes']);
  });

  it('analyzes each source alone beside all together, as if each had been ingested alone', async () => {
    const r = await cli(['trace', 'analyze', '--data', data, '--out', join(dir, 'report-sources'), '--json', '--bucket', '5m']);
    expect(r.code, r.stdout).toBe(0);
    const a = JSON.parse(r.stdout);
    expect(a.per_source.length).toBe(2);
    expect(a.per_source.reduce((n: number, x: { overview: { requests: number } }) => n + x.overview.requests, 0)).toBe(a.overview.requests);
    for (const [i, file] of [samplePath, mixedPath].entries()) {
      const alone = join(dir, `alone-${i}`);
      expect((await cli(['trace', 'ingest', file, '--data', alone, '--json'])).code).toBe(0);
      const one = JSON.parse((await cli(['trace', 'analyze', '--data', alone, '--out', join(dir, `report-alone-${i}`), '--json', '--bucket', '5m'])).stdout);
      const { schema_version: _v, data_dir: _d, per_source: _p, out_dir: _o, files: _f, ...figures } = one;
      const mine = a.per_source.find((x: { overview: { requests: number; first: string } }) => x.overview.first === one.overview.first && x.overview.requests === one.overview.requests);
      expect(mine, file).toBeDefined();
      const { source: _s, ...theirs } = mine;
      expect(theirs).toEqual(figures);
    }
    expect(readFileSync(join(dir, 'report-sources', 'analyze.md'), 'utf8')).toContain('## Sources side by side');
  });

  it('simulates each source alone beside all together, as if each had been ingested alone', async () => {
    const args = ['--policies', 'lru,two-level,opt,pfoo-l,prefetch', '--sizes', '16MiB,256MiB', '--prefetch-timeouts', '1m', '--json'];
    const r = await cli(['trace', 'simulate', '--data', data, '--out', join(dir, 'sim-sources'), ...args]);
    expect(r.code, r.stdout).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.per_source.length).toBe(2);
    expect(s.per_source.reduce((n: number, x: { cacheable: number }) => n + x.cacheable, 0)).toBe(s.cacheable);
    for (const [i, file] of [samplePath, mixedPath].entries()) {
      const alone = join(dir, `sim-alone-${i}`);
      expect((await cli(['trace', 'ingest', file, '--data', alone, '--json'])).code).toBe(0);
      const one = JSON.parse((await cli(['trace', 'simulate', '--data', alone, '--out', join(dir, `sim-alone-report-${i}`), ...args])).stdout);
      const mine = s.per_source.find((x: { cacheable: number; results: unknown[] }) => x.cacheable === one.cacheable);
      expect(mine, file).toBeDefined();
      expect(mine.results).toEqual(one.results);
      expect(one.per_source).toEqual([]);
    }
    expect(readFileSync(join(dir, 'sim-sources', 'simulate.md'), 'utf8')).toContain('## Sources side by side');
  });

  it('simulates with the latency model given by flags, and reports it', async () => {
    const base = ['trace', 'simulate', '--data', data, '--policies', 'lru,arc,two-level,prefetch', '--sizes', '16MiB,256MiB,4GiB', '--prefetch-timeouts', '1m,1h', '--json'];
    const a = await cli([...base, '--out', out]);
    const b = await cli([...base, '--backend-ms', '130', '--out', join(dir, 'report-b')]);
    expect(b.code, b.stdout).toBe(0);
    expect(a.stderr).toBe('');
    expect(a.code, a.stdout).toBe(0);
    const sa = JSON.parse(a.stdout);
    const sb = JSON.parse(b.stdout);
    expect(camelKeys(sa)).toEqual([]);
    expect(sa.sizes).toEqual([16 * 2 ** 20, 256 * 2 ** 20, 4 * 2 ** 30]);
    expect(sa.results.map((r: { label: string }) => r.label)).toEqual([
      ...Array(3).fill('lru'),
      ...Array(3).fill('arc'),
      ...Array(3).fill('two-level'),
      ...Array(3).fill('lru+prefetch 60s'),
      ...Array(3).fill('lru+prefetch 3600s'),
    ]);
    // 100 ms more per backend request: every cacheable request costs 0.1 s more without a cache, and every miss with it.
    for (const [i, ra] of sa.results.entries()) {
      const rb = sb.results[i];
      expect(rb.hits).toBe(ra.hits);
      expect(rb.backend_latency_s - ra.backend_latency_s).toBeCloseTo(0.1 * ra.requests, 6);
      expect(rb.latency_s - ra.latency_s).toBeCloseTo(0.1 * (ra.requests - ra.hits), 6);
    }
    expect(sb.latency.backend_ms).toBe(130);
    expect(readFileSync(join(dir, 'report-b', 'simulate.md'), 'utf8')).toContain('| backend | 130 | 10 |');
    // The generated trace has manifest GETs after layer pulls by other clients: prefetching fires, and every
    // prefetch ends one of four ways.
    expect(sa.manifest_gets).toBeGreaterThan(0);
    expect(sa.results.filter((r: { prefetches: number }) => r.prefetches > 0).length).toBeGreaterThan(0);
    for (const r of sa.results) expect(r.prefetch_hits + r.prefetch_expired + r.prefetch_evicted + r.prefetch_pending).toBe(r.prefetches);
    expect(readFileSync(join(out, 'simulate.md'), 'utf8')).toContain('Every prefetch ends as used');
  });

  it('simulates the offline bounds beside every policy by default', async () => {
    const r = await cli(['trace', 'simulate', '--data', data, '--out', join(dir, 'report-bounds'), '--sizes', '16MiB,256MiB,4GiB', '--prefetch-timeouts', '1m', '--json']);
    expect(r.code, r.stdout).toBe(0);
    const s = JSON.parse(r.stdout);
    const labels = [...new Set(s.results.map((x: { label: string }) => x.label))];
    expect(labels).toEqual(['lru', 'lfu', 'fifo', 'arc', 'rcache', 'two-level', 'opt', 'pfoo-l', 'lru+prefetch 60s', 'lru+prefetch-miss 60s']);
    type Row = { label: string; cache_size: number; hits: number; hit_bytes: number; requests: number };
    const rows: Row[] = s.results;
    for (const size of s.sizes) {
      const bound = rows.find((x) => x.label === 'pfoo-l' && x.cache_size === size)!;
      // Every cache that fills on demand within its size is at or below the bound (two-level holds more, prefetching fills ahead).
      for (const x of rows.filter((y) => y.cache_size === size && !['two-level', 'lru+prefetch 60s', 'lru+prefetch-miss 60s'].includes(y.label))) {
        expect(bound.hits, x.label).toBeGreaterThanOrEqual(x.hits);
        expect(bound.hit_bytes, x.label).toBeGreaterThanOrEqual(x.hit_bytes);
        expect(x.requests).toBe(s.cacheable);
      }
    }
    expect(readFileSync(join(dir, 'report-bounds', 'simulate.md'), 'utf8')).toContain('## Distance from the best possible');
  });

  it('leaves a warm-up out of every figure, the bound included', async () => {
    const all = JSON.parse((await cli(['trace', 'simulate', '--data', data, '--out', join(dir, 'report-all'), '--policies', 'lru,pfoo-l', '--sizes', '64MiB', '--json'])).stdout);
    const r = await cli(['trace', 'simulate', '--data', data, '--out', join(dir, 'report-warm'), '--policies', 'lru,pfoo-l', '--sizes', '64MiB', '--warmup', '10m', '--json']);
    expect(r.code, r.stdout).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.warmup_s).toBe(600);
    const [lru, bound] = s.results;
    expect(lru.requests).toBeGreaterThan(0);
    expect(lru.requests).toBeLessThan(all.results[0].requests);
    expect(bound.requests).toBe(lru.requests);
    expect(bound.hits).toBeGreaterThanOrEqual(lru.hits);
    expect(readFileSync(join(dir, 'report-warm', 'simulate.md'), 'utf8')).toContain('Warm-up: the first 600 s');
  });

  it("reproduces the FAST'18 player's cache simulation with --model fast18, its counts and the corrected ones", async () => {
    const r = await cli(['trace', 'simulate', '--data', data, '--out', join(dir, 'report-fast18'), '--model', 'fast18', '--sizes', '16MiB,256MiB', '--json']);
    expect(r.code, r.stdout).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(camelKeys(s)).toEqual([]);
    expect(s.model).toBe('fast18');
    expect(s.rows.map((x: { memory_size: number; disk_ratio: number; faithful: boolean }) => [x.memory_size, x.disk_ratio, x.faithful])).toEqual(
      [16, 256].flatMap((m) => [10, 15, 20].flatMap((ratio) => [[m * 2 ** 20, ratio, true], [m * 2 ** 20, ratio, false]])),
    );
    // Every blob request that wrote bytes is one memory hit or miss, in every run.
    for (const x of s.rows) expect(x.counts.memory_hits + x.counts.memory_misses).toBe(s.rows[0].counts.memory_hits + s.rows[0].counts.memory_misses);
    expect(readFileSync(join(dir, 'report-fast18', 'fast18.md'), 'utf8')).toContain("The FAST'18 trace player's cache simulation");
    // The same sections as one page: both tables, each a row per run, nothing fetched from the network.
    const html = readFileSync(join(dir, 'report-fast18', 'fast18.html'), 'utf8');
    expect(html.match(/<table class="data">/g)?.length).toBe(2);
    expect(html.match(/<td class="left">corrected<\/td>/g)?.length).toBe(s.rows.filter((x: { faithful: boolean }) => !x.faithful).length);
    expect(html).not.toMatch(/<script[^>]+src=/);
    // Its prefetching: every layer GET is a hit, a miss or neither, and every prefetch ends good or bad.
    expect(s.prefetch.layer_gets).toBeGreaterThanOrEqual(s.prefetch.misses);
    // Its layer GETs are among the blob requests its cache replays (those and the blob PUTs).
    expect(s.prefetch.layer_gets).toBeGreaterThan(0);
    expect(s.prefetch.layer_gets).toBeLessThanOrEqual(s.rows[0].counts.memory_hits + s.rows[0].counts.memory_misses);
  });

  describe('a record that is not valid', () => {
    let path: string;
    beforeAll(async () => {
      const bad: TraceRecord[] = makeRecords(5, 2);
      bad[3]['http.response.written'] = 'n/a';
      path = join(dir, 'broken.json');
      await writeJsonArray(path, bad.length, (i) => bad[i]);
    });

    it('fails the ingest naming the file, record and line, exit 1', async () => {
      const r = await cli(['trace', 'ingest', path, '--data', join(dir, 'data-bad')]);
      expect(r.code).toBe(1);
      expect(flat(r.stderr)).toContain(`at ${path}: record 4 (line 5): http.response.written should be a number, found "n/a" [TRACE_INVALID]`);
    });

    it('with --json, fails with the error as JSON and nothing on stderr', async () => {
      const j = await cli(['trace', 'ingest', path, '--data', join(dir, 'data-bad'), '--json']);
      expect(j.code).toBe(1);
      expect(j.stderr).toBe('');
      expect(JSON.parse(j.stdout).error).toMatchObject({ code: 'TRACE_INVALID', message: expect.stringContaining('record 4 (line 5)'), context: { path } });
    });
  });

  it('fails the ingest of a truncated file naming the record not closed, exit 1', async () => {
    writeFileSync(join(dir, 'truncated.json'), '[{"timestamp":"2017-06-20T00:00:00Z","http.request.method":"GET","http.request.uri":"v2/a/blobs/b"},{"timestamp":');
    const t = await cli(['trace', 'ingest', join(dir, 'truncated.json'), '--data', join(dir, 'data-bad')]);
    expect(t.code).toBe(1);
    expect(flat(t.stderr)).toMatch(/record 2 \(line 1\) is not closed/);
  });

  describe('exits 2 on usage errors', () => {
    it('analyze of a data dir that does not exist', async () => {
      expect((await cli(['trace', 'analyze', '--data', join(dir, 'empty'), '--out', out])).code).toBe(2);
    });

    it('simulate with an unknown policy', async () => {
      expect((await cli(['trace', 'simulate', '--data', data, '--out', out, '--policies', 'lru,nope'])).code).toBe(2);
    });

    it('simulate prefetching into an offline policy', async () => {
      expect((await cli(['trace', 'simulate', '--data', data, '--out', out, '--policies', 'prefetch', '--prefetch-policy', 'opt'])).code).toBe(2);
    });

    it('simulate with a size that is not one', async () => {
      expect((await cli(['trace', 'simulate', '--data', data, '--out', out, '--sizes', 'huge'])).code).toBe(2);
    });
  });
});

describe('streaming a large JSON array', () => {
  const count = 200_000;
  const path = join(dir, 'large.json');
  let bytes = 0;
  let expectedBytes = 0;

  beforeAll(async () => {
    // Generated in batches so the test itself never holds the whole trace either.
    let batch: TraceRecord[] = [];
    bytes = await writeJsonArray(path, count, (i) => {
      if (i % 10_000 === 0) batch = makeRecords(10_000, 1000 + i / 10_000, Date.UTC(2017, 5, 20) + i * 1000);
      const rec = batch[i % 10_000];
      expectedBytes += Number(rec['http.response.written']);
      return rec;
    });
  });

  it('is larger than the heap limit used below, so it cannot be loaded whole', () => {
    expect(bytes).toBeGreaterThan(64 << 20);
    const control = (() => {
      try {
        execFileSync(process.execPath, ['--max-old-space-size=48', '-e', `JSON.parse(require('fs').readFileSync(${JSON.stringify(path)}, 'utf8')).length`], { stdio: 'pipe' });
        return 0;
      } catch (err) {
        return (err as { status: number }).status;
      }
    })();
    expect(control).not.toBe(0);
  });

  it('ingests 200k records with a 48 MB JavaScript heap', async () => {
    const data = join(dir, 'large-data');
    const r = await cli(['trace', 'ingest', path, '--data', data, '--json'], ['--max-old-space-size=48']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.records).toBe(count);
    expect(s.bytes).toBe(bytes);
    const a = JSON.parse((await cli(['trace', 'analyze', '--data', data, '--out', join(dir, 'large-report'), '--json'])).stdout);
    expect(a.overview.requests).toBe(count);
    expect(a.mix.reduce((sum: number, m: { bytes: number }) => sum + m.bytes, 0)).toBe(expectedBytes);
  });
});

import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { traceWorkloadReport } from '../../../src/report/trace-workload/index.js';
import { chartScripts, writeReport } from '../../../src/report/write.js';
import { readChart, seriesOf } from './chart-data.js';
import { analyzeTrace, type TraceAnalysis } from '../../../src/trace/analysis/analyze.js';
import { ingestTraces } from '../../../src/trace/ingest.js';
import { readSample, samplePath } from '../trace/sample.js';

const dir = mkdtempSync(join(tmpdir(), 'imgscan-trace-workload-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the trace workload report of the real sample', () => {
  let a: TraceAnalysis;
  let files: string[];
  const out = join(dir, 'sample-report');

  beforeAll(async () => {
    const data = join(dir, 'sample-data');
    await ingestTraces([samplePath], { dataDir: data });
    a = await analyzeTrace({ dataDir: data, bucketSeconds: 60, top: 5 });
    files = writeReport(out, await traceWorkloadReport(a, chartScripts()));
  });

  it('writes the report files', () => {
    for (const f of ['analyze.md', 'analyze.html', 'request-mix.csv', 'response-sizes.csv', 'popularity.csv', 'reaccess.csv', 'clients.csv', 'repositories.csv', 'response-size-cdf.svg', 'request-rate.svg', 'popularity.svg', 'reaccess-cdf.svg', 'top-clients.svg', 'top-repositories.svg']) {
      expect(existsSync(join(out, f)), f).toBe(true);
    }
    expect(files).toContain(join(out, 'analyze.md'));
    const md = readFileSync(join(out, 'analyze.md'), 'utf8');
    expect(md).toContain('| GET | blob | 999 | 100.0% |');
  });

  it('is analyze.md first; each chart sits in its section, the CSV files are listed at the end', async () => {
    const report = await traceWorkloadReport(a, chartScripts());
    const names = Object.keys(report);
    expect(names[0]).toBe('analyze.md');
    expect(files).toEqual(names.map((n) => join(out, n)));
    const md = report['analyze.md'];
    const files_ = md.slice(md.indexOf('## Files'));
    for (const n of names.filter((x) => x.endsWith('.csv'))) expect(files_).toContain(`- [${n}](${n})`);
    expect(files_).not.toContain('.svg');
    const section = (file: string) => md.slice(0, md.indexOf(`](${file})`)).match(/^## .*$/gm)!.pop();
    expect(Object.fromEntries(names.filter((x) => x.endsWith('.svg')).map((f) => [f, section(f)]))).toEqual({
      'response-size-cdf.svg': '## Response sizes',
      'request-rate.svg': '## Request rate',
      'popularity.svg': '## Popularity',
      'reaccess-cdf.svg': '## Re-access distance',
      'top-clients.svg': '## Clients',
      'top-repositories.svg': '## Repositories',
    });
    // The sample holds GETs of blobs only: no mix to chart, and the report says so.
    expect(names).not.toContain('request-mix.svg');
    expect(md).toContain('Every request is GET blob: a single endpoint, no mix to chart.');
  });

  it('charts hold the figures of the analysis: size and re-access CDFs as steps, rate stacked under the total', async () => {
    const chart = async (f: string) => readChart(readFileSync(join(out, f), 'utf8'));
    const steps = (q: number[]) => [[q[0], 0], ...q.map((v, k) => [v, k / 200])];
    expect([...seriesOf((await chart('response-size-cdf.svg')).sets.points)]).toEqual(a.sizes.map((s) => [s.kind, steps(s.quantiles)]));
    expect([...seriesOf((await chart('reaccess-cdf.svg')).sets.points)]).toEqual([['seconds', steps(a.reaccess.seconds)]]);
    const rate = seriesOf((await chart('request-rate.svg')).sets.points, 'time', 'rate');
    const per = (n: number) => n / a.rate.bucket_s;
    expect(rate.get('all requests')).toEqual(a.rate.points.map((p) => [p.time, per(p.requests)]));
    expect(rate.get('blob GET')).toEqual(a.rate.points.map((p) => [p.time, per(p.blob_gets)]));
    expect(rate.get('manifest GET')).toEqual(a.rate.points.map((p) => [p.time, per(p.manifest_gets)]));
    // The stacked kinds add up to the total at every time.
    a.rate.points.forEach((p, i) => expect(rate.get('blob GET')![i][1] + rate.get('manifest GET')![i][1] + rate.get('other requests')![i][1]).toBeCloseTo(per(p.requests), 12));
    const top = (await chart('top-clients.svg')).sets.points;
    expect(top.map((r) => [r.category, r.value])).toEqual(a.clients.top.map((r) => [r.name, r.requests]));
  });

  it('popularity draws the ranks and the Zipf fit its title names, from the fit over all objects', async () => {
    const c = await readChart(readFileSync(join(out, 'popularity.svg'), 'utf8'));
    const alpha = a.popularity.zipf_alpha;
    expect((c.spec.title as { text: string }).text).toContain(`alpha = ${alpha.toFixed(2)}`);
    expect(c.sets.points.map((r) => [r.x, r.y])).toEqual(a.popularity.rank_frequency);
    // The fit, independently: least squares of ln(requests) on ln(rank) over every object of the sample.
    const counts = new Map<string, number>();
    for (const r of readSample()) if (r.method === 'GET' && r.status >= 200 && r.status < 300) counts.set(r.digest, (counts.get(r.digest) ?? 0) + 1);
    const ys = [...counts.values()].sort((x, y) => y - x).map(Math.log);
    const xs = ys.map((_, i) => Math.log(i + 1));
    const mx = xs.reduce((s, x) => s + x, 0) / xs.length;
    const my = ys.reduce((s, y) => s + y, 0) / ys.length;
    const slope = xs.reduce((s, x, i) => s + (x - mx) * (ys[i] - my), 0) / xs.reduce((s, x) => s + (x - mx) ** 2, 0);
    const fit = c.sets.fit;
    expect(fit.length).toBe(2);
    for (const p of fit) expect(Math.log(Number(p.y))).toBeCloseTo(my - slope * mx + slope * Math.log(Number(p.x)), 9);
    expect(fit.map((p) => p.x)).toEqual([1, Math.max(...a.popularity.rank_frequency.map((r) => r[0]))]);
  });
});

import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { traceWorkloadReport } from '../../../src/report/trace-workload/index.js';
import { writeReport } from '../../../src/report/write.js';
import { analyzeTrace, type TraceAnalysis } from '../../../src/trace/analysis/analyze.js';
import { ingestTraces } from '../../../src/trace/ingest.js';
import { samplePath } from '../trace/sample.js';

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
    files = writeReport(out, traceWorkloadReport(a));
  });

  it('writes the report files', () => {
    for (const f of ['analyze.md', 'request-mix.csv', 'response-sizes.csv', 'popularity.csv', 'reaccess.csv', 'clients.csv', 'repositories.csv', 'response-size-cdf.svg', 'request-rate.svg', 'popularity.svg', 'reaccess-cdf.svg', 'top-clients.svg', 'top-repositories.svg']) {
      expect(existsSync(join(out, f)), f).toBe(true);
    }
    expect(files).toContain(join(out, 'analyze.md'));
    const md = readFileSync(join(out, 'analyze.md'), 'utf8');
    expect(md).toContain('| GET | blob | 999 | 100.0% |');
  });

  it('is analyze.md first, then every other file, each listed at the end of analyze.md', () => {
    const report = traceWorkloadReport(a);
    const names = Object.keys(report);
    expect(names[0]).toBe('analyze.md');
    expect(files).toEqual(names.map((n) => join(out, n)));
    for (const n of names.slice(1)) expect(report['analyze.md']).toContain(`(${n})`);
  });
});

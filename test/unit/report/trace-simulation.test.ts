import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { traceSimulationReport } from '../../../src/report/trace-simulation/index.js';
import { writeReport } from '../../../src/report/write.js';
import { ingestTraces } from '../../../src/trace/ingest.js';
import { simulateTrace, type SimulateSummary } from '../../../src/trace/sweep.js';
import { samplePath } from '../trace/sample.js';
import { chartData, checkXml } from './xml-check.js';

const dir = mkdtempSync(join(tmpdir(), 'imgscan-trace-simulation-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the simulation report of the real sample', () => {
  let s: SimulateSummary;
  let files: string[];
  const out = join(dir, 'report');
  const policies = ['lru', 'lfu', 'fifo', 'arc', 'rcache', 'two-level', 'opt', 'pfoo-l'];

  beforeAll(async () => {
    await ingestTraces([samplePath], { dataDir: join(dir, 'data') });
    s = await simulateTrace({ dataDir: join(dir, 'data'), policies: [...policies, 'prefetch'], prefetchTimeouts: [60, 600] });
    files = writeReport(out, traceSimulationReport(s, policies));
  });

  it('charts hit ratio vs cache size per policy with the simulated values', () => {
    const svg = readFileSync(join(out, 'hit-ratio.svg'), 'utf8');
    checkXml(svg);
    const data = chartData<{ series: { name: string; points: [number, number][] }[] }>(svg);
    // Two-level is drawn at its total capacity, memory and disk tiers together.
    const name = (r: (typeof s.results)[number]) => (r.disk_size === null ? r.label : `${r.label} (memory + disk)`);
    const labels = [...new Set(s.results.map(name))];
    expect(data.series.map((x) => x.name)).toEqual(labels);
    for (const series of data.series) {
      const expected = s.results.filter((r) => name(r) === series.name).map((r) => [r.cache_size + (r.disk_size ?? 0), r.hit_ratio]);
      expect(series.points).toEqual(expected);
    }
    for (const f of ['byte-hit-ratio.svg', 'latency-saved.svg', 'prefetch-timeout.svg']) checkXml(readFileSync(join(out, f), 'utf8'));
    // The bounds are lines beside the policies, in the order given, prefetching last.
    expect(data.series.map((x) => x.name).slice(6, 8)).toEqual(['opt', 'pfoo-l']);
  });

  it('says how far each policy is from the upper bound, in points of hit ratio and byte hit ratio', () => {
    const md = readFileSync(join(out, 'simulate.md'), 'utf8');
    const section = md.slice(md.indexOf('## Distance from the best possible'), md.indexOf('## Prefetching'));
    expect(section).toContain('Belady-Size');
    const table = (heading: string) =>
      section
        .slice(section.indexOf(heading))
        .split('\n')
        .filter((l) => l.startsWith('|'))
        .slice(2, 2 + s.sizes.length)
        .map((l) => l.split('|').slice(2, -1).map((c) => c.trim()));
    const labels = [...new Set(s.results.filter((r) => r.policy !== 'pfoo-l').map((r) => r.label))];
    for (const [heading, metric] of [
      ['### Hit ratio', (r: { hit_ratio: number }) => r.hit_ratio],
      ['### Byte hit ratio', (r: { byte_hit_ratio: number }) => r.byte_hit_ratio],
    ] as const) {
      const rows = table(heading);
      for (const [i, size] of s.sizes.entries()) {
        const bound = s.results.find((r) => r.policy === 'pfoo-l' && r.cache_size === size)!;
        const expected = labels.map((l) => {
          const r = s.results.find((x) => x.label === l && x.cache_size === size)!;
          return `${((metric(bound) - metric(r)) * 100).toFixed(1)} pp`;
        });
        expect(rows[i]).toEqual(expected);
      }
    }
  });

  it('writes the parameters and a table per metric into simulate.md, every result into simulate.csv', () => {
    const md = readFileSync(join(out, 'simulate.md'), 'utf8');
    expect(md).toContain('| memory | 0.1 | 0.1 |');
    expect(md).toContain('| backend | 30 | 10 |');
    expect(md).toContain('## Hit ratio');
    expect(md).toContain('## Byte hit ratio');
    expect(md).toContain('## Latency saved');
    expect(md).toContain('## Prefetching');
    expect(md).toContain('| pfoo-l | upper bound');
    const csv = readFileSync(join(out, 'simulate.csv'), 'utf8').trimEnd().split('\r\n');
    expect(csv).toHaveLength(1 + s.results.length);
    expect(csv[0].split(',')).toContain('byte_hit_ratio');
  });

  it('is simulate.md first, then simulate.csv and the charts, each listed at the end of simulate.md', () => {
    expect(files.map((f) => f.slice(out.length + 1))).toEqual(['simulate.md', 'simulate.csv', 'hit-ratio.svg', 'byte-hit-ratio.svg', 'latency-saved.svg', 'prefetch-timeout.svg']);
    const md = readFileSync(join(out, 'simulate.md'), 'utf8');
    for (const f of files.slice(1)) expect(md).toContain(`- [${f.slice(out.length + 1)}]`);
  });
});

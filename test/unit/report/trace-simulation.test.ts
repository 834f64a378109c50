import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { traceSimulationReport } from '../../../src/report/trace-simulation/index.js';
import { chartScripts, writeReport } from '../../../src/report/write.js';
import { ingestTraces } from '../../../src/trace/ingest.js';
import { simulateTrace, type SimulateSummary } from '../../../src/trace/sweep.js';
import { samplePath } from '../trace/sample.js';
import { readChart, seriesOf } from './chart-data.js';
import { formatBytes } from '../../../src/format/text.js';

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
    files = writeReport(out, await traceSimulationReport(s, policies, chartScripts()));
  });

  it('charts each metric vs cache size per policy with the simulated values', async () => {
    // Two-level is drawn at its total capacity, memory and disk tiers together.
    const name = (r: (typeof s.results)[number]) => (r.disk_size === null ? r.label : `${r.label} (memory + disk)`);
    const labels = [...new Set(s.results.map(name))];
    for (const [file, metric] of [['hit-ratio.svg', (r: (typeof s.results)[number]) => r.hit_ratio], ['byte-hit-ratio.svg', (r: (typeof s.results)[number]) => r.byte_hit_ratio], ['latency-saved.svg', (r: (typeof s.results)[number]) => r.latency_saved_ratio]] as const) {
      const series = seriesOf((await readChart(readFileSync(join(out, file), 'utf8'))).sets.points);
      expect([...series.keys()]).toEqual(labels);
      for (const [n, points] of series) {
        const expected = s.results.filter((r) => name(r) === n).map((r) => [r.cache_size + (r.disk_size ?? 0), metric(r)]).sort((a, b) => a[0] - b[0]);
        expect(points, `${file} ${n}`).toEqual(expected);
      }
    }
    // The bounds are lines beside the policies, in the order given, prefetching last.
    expect(labels.slice(6, 8)).toEqual(['opt', 'pfoo-l']);
    const timeouts = seriesOf((await readChart(readFileSync(join(out, 'prefetch-timeout.svg'), 'utf8'))).sets.points);
    const prefetched = s.results.filter((r) => r.prefetch_timeout !== null);
    const timeoutName = (r: (typeof s.results)[number]) => `cache ${formatBytes(r.cache_size)}${r.prefetch_trigger === 'layer-miss' ? ', on layer miss' : ''}`;
    expect([...timeouts.keys()]).toEqual([...new Set(prefetched.map(timeoutName))]);
    for (const [n, points] of timeouts) {
      expect(points).toEqual(prefetched.filter((r) => timeoutName(r) === n).map((r) => [r.prefetch_timeout, r.hit_ratio]).sort((x, y) => x[0]! - y[0]!));
    }
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

  it('is simulate.md first, then simulate.html, simulate.csv (listed at the end) and the charts, each in its section', () => {
    expect(files.map((f) => f.slice(out.length + 1))).toEqual(['simulate.md', 'simulate.html', 'simulate.csv', 'hit-ratio.svg', 'byte-hit-ratio.svg', 'latency-saved.svg', 'prefetch-timeout.svg']);
    const md = readFileSync(join(out, 'simulate.md'), 'utf8');
    expect(md.slice(md.indexOf('## Files'))).toContain('- [simulate.csv](simulate.csv)');
    const section = (file: string) => {
      const at = md.indexOf(`](${file})`);
      expect(at, file).toBeGreaterThan(0);
      return md.slice(0, at).match(/^## .*$/gm)!.pop();
    };
    expect([section('hit-ratio.svg'), section('byte-hit-ratio.svg'), section('latency-saved.svg'), section('prefetch-timeout.svg')]).toEqual(['## Hit ratio', '## Byte hit ratio', '## Latency saved', '## Prefetching']);
    const html = readFileSync(join(out, 'simulate.html'), 'utf8');
    expect((html.match(/<div class="chart" data-chart=/g) ?? []).length).toBe(4);
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestTraces } from '../../../src/trace/ingest.js';
import { defaultPolicyParams } from '../../../src/trace/policies/index.js';
import { defaultSizeFractions, simulateTrace, type SimulateSummary } from '../../../src/trace/sweep.js';
import { refFifo, refLfu, refLru, refTwoLevel } from './reference.js';
import { readSample, samplePath } from './sample.js';

const dir = mkdtempSync(join(tmpdir(), 'imgscan-trace-sweep-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const ordered = readSample()
  .map((r, i) => ({ ...r, i }))
  .sort((a, b) => a.time - b.time || a.i - b.i);
const reqs = ordered.map((r) => ({ key: `blob:${r.digest}`, size: r.size }));

describe('simulating the real sample', () => {
  let s: SimulateSummary;

  beforeAll(async () => {
    await ingestTraces([samplePath], { dataDir: join(dir, 'data') });
    s = await simulateTrace({
      dataDir: join(dir, 'data'),
      policies: ['lru', 'lfu', 'fifo', 'arc', 'rcache', 'two-level', 'prefetch'],
      prefetchTimeouts: [60, 600],
    });
  });

  it('sweeps fractions of the footprint: distinct objects at their largest size', () => {
    const largest = new Map<string, number>();
    for (const r of reqs) largest.set(r.key, Math.max(largest.get(r.key) ?? 0, r.size));
    const footprint = [...largest.values()].reduce((a, b) => a + b, 0);
    expect(s.objects).toBe(largest.size);
    expect(s.footprint_bytes).toBe(footprint);
    expect(s.sizes).toEqual(defaultSizeFractions.map((f) => Math.round(footprint * f)));
    expect(s.cacheable).toBe(999);
  });

  it('gives each policy the hits of its reference at every size', () => {
    for (const size of s.sizes) {
      const hits = (label: string) => s.results.find((r) => r.label === label && r.cache_size === size)!.hits;
      const count = (h: unknown[]) => h.filter(Boolean).length;
      expect(hits('lru')).toBe(count(refLru(size, reqs)));
      expect(hits('fifo')).toBe(count(refFifo(size, reqs)));
      expect(hits('lfu')).toBe(count(refLfu(size, reqs)));
      expect(hits('two-level')).toBe(count(refTwoLevel(size, defaultPolicyParams.diskRatio, defaultPolicyParams.twoLevelMaxObject, reqs)));
      // The sample has no manifest GETs, so prefetching never fires and changes nothing.
      expect(hits('lru+prefetch 60s')).toBe(hits('lru'));
    }
    const all = s.sizes[s.sizes.length - 1];
    // At 100% of the footprint every policy that admits everything misses each object once.
    for (const label of ['lru', 'lfu', 'fifo', 'arc', 'two-level']) {
      expect(s.results.find((r) => r.label === label && r.cache_size === all)!.hits).toBe(999 - s.objects);
    }
  });

  it('refuses an unknown policy before reading anything', async () => {
    await expect(simulateTrace({ dataDir: join(dir, 'data'), policies: ['lru', 'belady'], prefetchTimeouts: [] })).rejects.toThrow(/unknown cache policy belady/);
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestTraces } from '../../../src/trace/ingest.js';
import { defaultPolicyParams } from '../../../src/trace/policies/index.js';
import { defaultSizeFractions, simulateTrace, type SimulateSummary } from '../../../src/trace/sweep.js';
import { refBelady, refPfooL } from './offline-reference.js';
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
      policies: ['lru', 'lfu', 'fifo', 'arc', 'rcache', 'two-level', 'opt', 'pfoo-l', 'prefetch'],
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
      expect(hits('two-level')).toBe(count(refTwoLevel(size, defaultPolicyParams.disk_ratio, defaultPolicyParams.two_level_max_object, reqs)));
      // The sample has no manifest GETs, so prefetching never fires and changes nothing.
      expect(hits('lru+prefetch 60s')).toBe(hits('lru'));
    }
    const all = s.sizes[s.sizes.length - 1];
    // At 100% of the footprint every policy that admits everything misses each object once.
    for (const label of ['lru', 'lfu', 'fifo', 'arc', 'two-level']) {
      expect(s.results.find((r) => r.label === label && r.cache_size === all)!.hits).toBe(999 - s.objects);
    }
  });

  it('gives opt the hits of the furthest-in-future reference and pfoo-l the bound from its definition', () => {
    const count = (h: unknown[]) => h.filter(Boolean).length;
    const at = (label: string, size: number) => s.results.find((r) => r.label === label && r.cache_size === size)!;
    for (const size of s.sizes) {
      const opt = refBelady(size, reqs);
      expect(at('opt', size).hits).toBe(count(opt));
      expect(at('opt', size).hit_bytes).toBe(reqs.reduce((sum, r, i) => (opt[i] ? sum + r.size : sum), 0));
      const bound = refPfooL(size, reqs);
      expect(at('pfoo-l', size).hits).toBe(Math.floor(bound.hits + 1e-9));
      expect(at('pfoo-l', size).hit_bytes).toBe(Math.floor(bound.hitBytes + 1e-6));
      // No single-tier policy is above the bound (two-level holds 11 times its size).
      for (const label of ['lru', 'lfu', 'fifo', 'arc', 'rcache', 'opt']) {
        expect(at('pfoo-l', size).hits).toBeGreaterThanOrEqual(at(label, size).hits);
        expect(at('pfoo-l', size).hit_bytes).toBeGreaterThanOrEqual(at(label, size).hit_bytes);
        expect(at('pfoo-l', size).latency_saved_s).toBeGreaterThanOrEqual(at(label, size).latency_saved_s - 1e-9);
      }
    }
    // At 100% of the footprint both miss each object once only.
    const all = s.sizes[s.sizes.length - 1];
    expect(at('opt', all).hits).toBe(reqs.length - s.objects);
    expect(at('pfoo-l', all).hits).toBe(reqs.length - s.objects);
  });

  it('refuses prefetching into an offline policy', async () => {
    await expect(simulateTrace({ dataDir: join(dir, 'data'), policies: ['prefetch'], prefetchPolicy: 'opt', prefetchTimeouts: [60] })).rejects.toThrow(/online policy, not opt/);
  });

  it('refuses an unknown policy before reading anything', async () => {
    await expect(simulateTrace({ dataDir: join(dir, 'data'), policies: ['lru', 'belady'], prefetchTimeouts: [] })).rejects.toThrow(/unknown cache policy belady/);
  });
});

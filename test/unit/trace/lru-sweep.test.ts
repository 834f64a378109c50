import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ingestTraces } from '../../../src/trace/ingest.js';
import { defaultLatency, type LatencyModel } from '../../../src/trace/latency.js';
import { LruSweep } from '../../../src/trace/lru-sweep.js';
import { ThreadedLruSweep } from '../../../src/trace/lru-threads.js';
import { opBlobGet, opInvalidate, opManifestGet, opOther, type RequestColumns, type SimRequest, streamRequests } from '../../../src/trace/requests.js';
import { replay, type SimResult } from '../../../src/trace/simulate.js';
import { openTrace, selectSource } from '../../../src/trace/store.js';
import { simulateTrace } from '../../../src/trace/sweep.js';
import { makeRecords, rng } from './gen.js';
import { refLru } from './reference.js';

const latency: LatencyModel = { ...defaultLatency, memory_ms: 0.3, backend_ms: 17 };

/** One request of a random trace, with its object number and what it does to a cache. */
interface Row {
  time: number;
  object: number;
  size: number;
  op: number;
}

/**
 * A random trace over `objects` objects: skewed popularity, sizes from 0 to past the largest cache, an object's
 * size changing now and then, manifest PUTs (invalidations), failed GETs and HEADs (no effect), a few requests
 * out of time order.
 */
function randomTrace(seed: number, n: number, objects: number): Row[] {
  const rand = rng(seed);
  const sizes = Array.from({ length: objects }, () => Math.floor(rand() ** 3 * 5000));
  const rows: Row[] = [];
  let time = 0;
  for (let i = 0; i < n; i++) {
    time += rand() < 0.02 ? -30 : Math.floor(rand() * 20);
    const object = Math.floor(rand() ** 2 * objects);
    if (rand() < 0.05) sizes[object] = Math.floor(rand() * 3000);
    const x = rand();
    const op = x < 0.6 ? opBlobGet : x < 0.85 ? opManifestGet : x < 0.92 ? opInvalidate : opOther;
    rows.push({ time, object, size: sizes[object], op });
  }
  return rows;
}

/** The rows as the requests `replay` takes (object n is key `k<n>`). */
function asRequests(rows: Row[]): SimRequest[] {
  return rows.map((r) => {
    const manifest = r.op === opManifestGet || r.op === opInvalidate;
    const method = r.op === opInvalidate ? 'PUT' : 'GET';
    const status = r.op === opOther ? 404 : r.op === opInvalidate ? 201 : 200;
    return { time: r.time, method, kind: manifest ? 'manifest' : 'blob', key: `k${r.object}`, size: r.size, status, repository: 'r', client: 'c' };
  });
}

/** The rows as typed column batches of `batch` rows. */
function asColumns(rows: Row[], batch: number): RequestColumns[] {
  const out: RequestColumns[] = [];
  for (let at = 0; at < rows.length; at += batch) {
    const part = rows.slice(at, at + batch);
    out.push({
      length: part.length,
      time: Float64Array.from(part, (r) => r.time),
      object: Int32Array.from(part, (r) => r.object),
      size: Float64Array.from(part, (r) => r.size),
      op: Uint8Array.from(part, (r) => r.op),
    });
  }
  return out;
}

function sweep(rows: Row[], objects: number, capacities: number[], batch: number, warmupUntil?: number): SimResult[] {
  const lru = new LruSweep(objects, capacities, latency, warmupUntil);
  for (const b of asColumns(rows, batch)) lru.push(b);
  return lru.finish();
}

describe('LRU at every size in one pass (LruSweep)', () => {
  const capacities = [0, 1, 500, 2000, 4999, 5000, 20_000, 100_000];

  it('gives every figure of LruPolicy replayed size by size, on random traces with size changes and invalidations', async () => {
    for (const seed of [1, 2, 3, 4]) {
      const objects = [5, 40, 300, 2000][seed - 1];
      const rows = randomTrace(seed, 6000, objects);
      const expected = await replay([asRequests(rows)], capacities.map((capacity) => ({ policy: 'lru', capacity })), { latency });
      expect(sweep(rows, objects, capacities, 977)).toEqual(expected.results);
      // The same with a warm-up: the first part of the trace fills the caches and is counted nowhere.
      const warm = await replay([asRequests(rows)], capacities.map((capacity) => ({ policy: 'lru', capacity })), { latency, warmupUntil: 20_000 });
      expect(sweep(rows, objects, capacities, 4096, 20_000)).toEqual(warm.results);
      expect(warm.results.some((r) => r.requests > 0 && r.requests < expected.results[0].requests)).toBe(true);
    }
  });

  it('gives the hits of the independent reference LRU, request by request summed', () => {
    const rows = randomTrace(9, 4000, 150);
    const results = sweep(rows, 150, capacities, 1000);
    const cacheable = rows.filter((r) => r.op === opBlobGet || r.op === opManifestGet || r.op === opInvalidate);
    const refReqs = cacheable.map((r) => ({ key: `k${r.object}`, size: r.size, remove: r.op === opInvalidate }));
    capacities.forEach((c, k) => {
      const hits = refLru(c, refReqs);
      const hitBytes = cacheable.reduce((sum, r, i) => sum + (hits[i] ? r.size : 0), 0);
      expect(results[k].hits).toBe(hits.filter(Boolean).length);
      expect(results[k].hit_bytes).toBe(hitBytes);
      expect(results[k].requests).toBe(cacheable.filter((r) => r.op !== opInvalidate).length);
    });
    // Some sizes hit and some miss: the comparison is not between empty results.
    expect(results.at(-1)!.hits).toBeGreaterThan(results[2].hits);
    expect(results[0].hits).toBeGreaterThan(0); // objects of size 0 fit a cache of 0 bytes
  });

  it('refuses an object number outside the trace and a negative size', () => {
    const lru = new LruSweep(3, [10], latency);
    expect(() => lru.push(asColumns([{ time: 0, object: 3, size: 1, op: opBlobGet }], 1)[0])).toThrow(/object number 3/);
    expect(() => new LruSweep(3, [-1], latency)).toThrow(/cache size/);
  });
});

describe('LRU at every size on two threads (ThreadedLruSweep)', () => {
  const capacities = [0, 1, 500, 2000, 4999, 5000, 20_000, 100_000, 7];

  async function threaded(rows: Row[], objects: number, batch: number, slotRows: number, warmupUntil?: number): Promise<SimResult[]> {
    const lru = new ThreadedLruSweep(objects, capacities, latency, warmupUntil, slotRows);
    try {
      for (const b of asColumns(rows, batch)) await lru.push(b);
      return await lru.finish();
    } finally {
      await lru.close();
    }
  }

  it('gives every figure of LruSweep and of LruPolicy, bit for bit, through a ring of slots used many times over', async () => {
    for (const seed of [5, 6]) {
      const objects = [60, 1500][seed - 5];
      const rows = randomTrace(seed, 8000, objects);
      const expected = await replay([asRequests(rows)], capacities.map((capacity) => ({ policy: 'lru', capacity })), { latency, warmupUntil: 10_000 });
      // Batches larger than a slot are replayed in parts; smaller ones take a slot each.
      for (const [batch, slotRows] of [[977, 250], [100, 4096]]) {
        const results = await threaded(rows, objects, batch, slotRows, 10_000);
        expect(results).toEqual(sweep(rows, objects, capacities, batch, 10_000));
        expect(results).toEqual(expected.results);
      }
      expect(expected.results.filter((r) => r.hits > 0 && r.hits < r.requests).length).toBeGreaterThan(3);
    }
  });

  it('refuses an object number outside the trace, and stops its worker when abandoned', async () => {
    const lru = new ThreadedLruSweep(3, [10, 20], latency);
    await expect(lru.push(asColumns([{ time: 0, object: 3, size: 1, op: opBlobGet }], 1)[0])).rejects.toThrow(/object number 3/);
    await lru.close();
    expect(() => new ThreadedLruSweep(3, [-1], latency)).toThrow(/cache size/);
  });
});

describe('trace simulate with LRU streamed from Parquet', () => {
  const dir = mkdtempSync(join(tmpdir(), 'imgscan-trace-lru-sweep-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('equals replaying the stored requests as objects through LruPolicy, for the whole trace and per source, with a warm-up', async () => {
    const files = ['prod-dal09-a.jsonl', 'prod-fra02-b.jsonl'].map((name, i) => {
      const path = join(dir, name);
      const records = makeRecords(3000, 11 + i, Date.UTC(2017, 5, 20) + i * 1000);
      writeFileSync(path, records.map((r) => JSON.stringify(r)).join('\n'));
      return path;
    });
    const data = join(dir, 'data');
    await ingestTraces(files, { dataDir: data });
    const sizes = [1 << 20, 8 << 20, 64 << 20, 256 << 20, 1 << 30];
    const warmup = 600;
    const s = await simulateTrace({ dataDir: data, policies: ['lru', 'fifo'], sizes, prefetchTimeouts: [], latency, warmup });
    const db = await openTrace(data);
    try {
      const first = Number((await db.all<{ t: number }>('SELECT epoch_us(min(timestamp)) / 1000.0 AS t FROM trace_requests'))[0].t);
      const configs = sizes.map((capacity) => ({ policy: 'lru', capacity }));
      const expected = async () => replay(streamRequests(db), configs, { latency, warmupUntil: first + warmup * 1000 });
      const all = await expected();
      expect(s.results.filter((r) => r.policy === 'lru')).toEqual(all.results);
      expect({ cacheable: s.cacheable, invalidations: s.invalidations, out_of_order: s.out_of_order, manifest_gets: s.manifest_gets }).toEqual({
        cacheable: all.cacheable,
        invalidations: all.invalidations,
        out_of_order: all.out_of_order,
        manifest_gets: all.manifest_gets,
      });
      expect(all.invalidations).toBeGreaterThan(0);
      expect(s.per_source.map((p) => p.source)).toEqual(['prod-dal09', 'prod-fra02']);
      for (const p of s.per_source) {
        await selectSource(db, p.source);
        const alone = await expected();
        expect(p.results.filter((r) => r.policy === 'lru')).toEqual(alone.results);
        expect(p.cacheable).toBe(alone.cacheable);
      }
      // The same with LRU's sizes on two threads.
      const threaded = await simulateTrace({ dataDir: data, policies: ['lru', 'fifo'], sizes, prefetchTimeouts: [], latency, warmup, lruThreads: true });
      expect({ ...threaded, data_dir: '' }).toEqual({ ...s, data_dir: '' });
      // fifo went through the object replay in the same pass, in the order of the policies given.
      expect(s.results.map((r) => r.policy)).toEqual([...sizes.map(() => 'lru'), ...sizes.map(() => 'fifo')]);
    } finally {
      db.close();
    }
  });
});

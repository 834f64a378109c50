import type { Db } from '../store/duckdb.js';

/**
 * The FAST'18 trace player's cache simulation (`cache.py` of the IBM registry study's player), reproduced to
 * give its counts, beside imgscan's own model (docs/trace.md, "The FAST'18 player's model"). What differs from
 * `trace simulate`'s two-level policy:
 *
 * - Requests: GETs and PUTs whose URI names a manifest or a blob and whose response wrote bytes, whatever their
 *   status; manifests are then dropped. An object is keyed by the last segment of its URI (the digest of a blob
 *   GET; an upload's id for a blob PUT), its size is the bytes written.
 * - Memory tier: LRU over objects below 100 MiB (or the memory size, when smaller); larger objects go straight
 *   to the disk tier. A memory miss looks in the disk tier: a hit there moves the object to memory (a
 *   promotion). Objects evicted from memory go to the disk tier, an LRU `ratio` times the memory size.
 * - Counting: `lmu` figures are the memory tier's, `h` the two tiers'; hits and misses before a tier first
 *   evicts (its warm-up) are left out of them.
 * - Its defect: a promotion removes the object from the disk tier but leaves its entries in the disk tier's
 *   eviction list. When the object comes back to the disk tier, an old entry reaching the head of the list
 *   counts against the new one and can evict it early. `faithful: true` keeps that; `false` ignores old entries.
 */
export interface Fast18Counts {
  memory_hits: number;
  memory_misses: number;
  initial_memory_misses: number;
  memory_evictions: number;
  disk_hits: number;
  disk_misses: number;
  initial_disk_misses: number;
  disk_evictions: number;
  initial_memory_hits: number;
  initial_memory_disk_hits: number;
  initial_disk_hits: number;
}

/** An LRU as the player keeps it: a list with an entry per access, and per object its size and entry count. */
interface Tier {
  list: string[];
  head: number;
  held: Map<string, { size: number; entries: number; generation: number }>;
  /** Per list entry, the generation of the object it was made for (old entries are ignored when not faithful). */
  generations: number[];
  size: number;
  capacity: number;
  warm: boolean;
}

function tier(capacity: number): Tier {
  return { list: [], head: 0, held: new Map(), generations: [], size: 0, capacity, warm: true };
}

export class Fast18Cache {
  readonly counts: Fast18Counts = {
    memory_hits: 0, memory_misses: 0, initial_memory_misses: 0, memory_evictions: 0, disk_hits: 0, disk_misses: 0,
    initial_disk_misses: 0, disk_evictions: 0, initial_memory_hits: 0, initial_memory_disk_hits: 0, initial_disk_hits: 0,
  };
  private readonly mem: Tier;
  private readonly disk: Tier;
  private readonly restrict: number;
  private generation = 0;

  constructor(readonly memoryBytes: number, readonly ratio: number, readonly faithful: boolean, restrictBytes = 100 * 2 ** 20) {
    this.mem = tier(memoryBytes);
    this.disk = tier(memoryBytes * ratio);
    this.restrict = Math.min(restrictBytes, memoryBytes);
  }

  /** One request for `key` of `size` bytes. */
  place(key: string, size: number): void {
    const c = this.counts;
    const m = this.mem.held.get(key);
    if (m !== undefined) {
      this.append(this.mem, key, m);
      c.memory_hits++;
      if (this.mem.warm) c.initial_memory_hits++;
      if (this.disk.warm) c.initial_memory_disk_hits++;
      return;
    }
    c.memory_misses++;
    if (this.mem.warm) c.initial_memory_misses++;
    if (size >= this.restrict) return this.diskPlace(key, size, false);
    this.diskCheck(key);
    if (size + this.mem.size > this.mem.capacity) {
      this.mem.warm = false;
      while (size + this.mem.size > this.mem.capacity) this.evictMemory();
    }
    this.admit(this.mem, key, size);
  }

  /** The figures the player prints: hits and misses after warm-up, of memory (`lmu`) and of both tiers (`h`). */
  figures(): { lmu_hits: number; lmu_misses: number; h_hits: number; h_misses: number } {
    const c = this.counts;
    return {
      lmu_hits: c.memory_hits - c.initial_memory_hits,
      lmu_misses: c.memory_misses - c.initial_memory_misses,
      h_hits: c.memory_hits + c.disk_hits - c.initial_memory_disk_hits - c.initial_disk_hits,
      h_misses: c.disk_misses - c.initial_disk_misses,
    };
  }

  private evictMemory(): void {
    const key = this.pop(this.mem);
    if (key === null) return;
    const e = this.mem.held.get(key)!;
    this.diskPlace(key, e.size, true);
    this.mem.size -= e.size;
    this.mem.held.delete(key);
    this.counts.memory_evictions++;
  }

  /** A memory miss looks in the disk tier; a hit there leaves it (a promotion), its list entries left behind. */
  private diskCheck(key: string): void {
    const d = this.disk.held.get(key);
    if (d === undefined) return this.diskMiss();
    this.disk.size -= d.size;
    this.disk.held.delete(key);
    this.diskHit();
  }

  private diskHit(): void {
    this.counts.disk_hits++;
    if (this.disk.warm) this.counts.initial_disk_hits++;
  }

  private diskMiss(): void {
    this.counts.disk_misses++;
    if (this.disk.warm) this.counts.initial_disk_misses++;
  }

  private diskPlace(key: string, size: number, ejected: boolean): void {
    const c = this.counts;
    const d = this.disk.held.get(key);
    if (d !== undefined) {
      this.append(this.disk, key, d);
      return this.diskHit();
    }
    if (!ejected) this.diskMiss();
    if (size + this.disk.size > this.disk.capacity) {
      if (this.disk.capacity < size) return;
      this.disk.warm = false;
      while (size + this.disk.size > this.disk.capacity) {
        const eject = this.pop(this.disk);
        if (eject === null) break;
        const e = this.disk.held.get(eject)!;
        this.disk.size -= e.size;
        this.disk.held.delete(eject);
        c.disk_evictions++;
      }
    }
    this.admit(this.disk, key, size);
  }

  private admit(t: Tier, key: string, size: number): void {
    const e = { size, entries: 0, generation: ++this.generation };
    t.held.set(key, e);
    t.size += size;
    this.append(t, key, e);
  }

  private append(t: Tier, key: string, e: { entries: number; generation: number }): void {
    t.list.push(key);
    t.generations.push(e.generation);
    e.entries++;
  }

  /**
   * Pops list entries from the head until one is an object's last entry, and returns that object (null when
   * the list runs out). An entry of an object not held is skipped; when not faithful, so is an entry made for an
   * earlier stay of the object in the tier.
   */
  private pop(t: Tier): string | null {
    while (t.head < t.list.length) {
      const key = t.list[t.head]!;
      const generation = t.generations[t.head]!;
      t.head++;
      if (t.head > 4096 && t.head * 2 > t.list.length) {
        t.list = t.list.slice(t.head);
        t.generations = t.generations.slice(t.head);
        t.head = 0;
      }
      const e = t.held.get(key);
      if (e === undefined || (!this.faithful && e.generation !== generation)) continue;
      if (--e.entries > 0) continue;
      return key;
    }
    return null;
  }
}

/** The player's requests: GET/PUT of a manifest or blob URI that wrote bytes, whatever the status, manifests then dropped. */
export const fast18RequestsSql = `
  SELECT uri, response_size::DOUBLE AS size
  FROM trace_requests
  WHERE method IN ('GET', 'PUT') AND (contains(uri, 'manifest') OR contains(uri, 'blobs')) AND response_size > 0
    AND NOT contains(uri, 'manifest')
  ORDER BY timestamp, source, file, record_index`;

/** The last segment of a URI, as the player keys objects. */
export function fast18Key(uri: string): string {
  return uri.slice(uri.lastIndexOf('/') + 1);
}

/** One row of `trace simulate --model fast18`: a memory size, a disk ratio, the faithful or the corrected run. */
export interface Fast18Row {
  memory_size: number;
  disk_ratio: number;
  /** true: with the player's stale disk-list entries; false: corrected. */
  faithful: boolean;
  lmu_hits: number;
  lmu_misses: number;
  h_hits: number;
  h_misses: number;
  counts: Fast18Counts;
}

/** The player's disk tiers, as multiples of the memory size. */
export const fast18Ratios = [10, 15, 20] as const;

/** Replays the trace through the player's caches: every size, ratios 10, 15 and 20, faithful and corrected. */
export async function simulateFast18(db: Db, sizes: number[]): Promise<Fast18Row[]> {
  const caches = sizes.flatMap((size) => fast18Ratios.flatMap((ratio) => [true, false].map((faithful) => new Fast18Cache(size, ratio, faithful))));
  for await (const chunk of db.stream(fast18RequestsSql)) {
    const [uris, bytes] = chunk.getColumns() as [string[], number[]];
    for (let i = 0; i < chunk.rowCount; i++) {
      const key = fast18Key(uris[i]!);
      for (const c of caches) c.place(key, bytes[i]!);
    }
  }
  return caches.map((c) => ({ memory_size: c.memoryBytes, disk_ratio: c.ratio, faithful: c.faithful, ...c.figures(), counts: c.counts }));
}

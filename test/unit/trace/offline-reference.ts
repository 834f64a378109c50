/**
 * Plain references for the offline bounds, written from their definitions and sharing no code with
 * src/trace: an exhaustive search over every caching decision (tiny traces only), Belady's furthest-in-future
 * rule by linear scans, and the PFOO-L relaxation by listing and sorting intervals.
 */
import type { Req } from './reference.js';

export interface Best {
  hits: number;
  hitBytes: number;
}

/**
 * The best any cache of `capacity` bytes can do on `reqs` (sizes fixed per key, no removals): at each miss it
 * may bypass the object, or admit it after evicting any set of held objects that leaves room for it. Evicting
 * only when admitting loses nothing (holding an object longer never costs a hit). Memoized on (time, held set);
 * the maximum hits and the maximum hit bytes are searched separately (they may need different schedules).
 */
export function bruteForce(capacity: number, reqs: Req[]): Best {
  const keys = [...new Set(reqs.map((r) => r.key))];
  const sizeOf = new Map(reqs.map((r) => [r.key, r.size]));
  const bit = new Map(keys.map((k, i) => [k, 1 << i]));
  const bytesOf = (held: number) => keys.reduce((s, k, i) => (held & (1 << i) ? s + sizeOf.get(k)! : s), 0);
  const search = (weight: (r: Req) => number) => {
    const memo = new Map<string, number>();
    const best = (t: number, held: number): number => {
      if (t === reqs.length) return 0;
      const id = `${t}:${held}`;
      const known = memo.get(id);
      if (known !== undefined) return known;
      const r = reqs[t];
      const b = bit.get(r.key)!;
      let value: number;
      if (held & b) value = weight(r) + best(t + 1, held);
      else {
        value = best(t + 1, held); // bypass
        // Every subset of the held objects may be evicted to admit this one.
        for (let evict = held; ; evict = (evict - 1) & held) {
          const kept = held & ~evict;
          if (bytesOf(kept) + r.size <= capacity) value = Math.max(value, best(t + 1, kept | b));
          if (evict === 0) break;
        }
      }
      memo.set(id, value);
      return value;
    };
    return best(0, 0);
  };
  return { hits: search(() => 1), hitBytes: search((r) => r.size) };
}

/** Position of the next request of reqs[t]'s key, Infinity when none comes before a removal of it. */
function nextUse(reqs: Req[], t: number): number {
  for (let u = t + 1; u < reqs.length; u++) {
    if (reqs[u].key !== reqs[t].key) continue;
    return reqs[u].remove ? Infinity : u;
  }
  return Infinity;
}

/**
 * Belady's rule for objects of any size, with bypass: a miss is admitted only if evicting held objects whose
 * next request comes after its own, furthest first, makes room; an object with no next request is never kept.
 * Entries with `remove` drop the key (an invalidation) and are not requests. One boolean per entry.
 */
export function refBelady(capacity: number, reqs: Req[]): boolean[] {
  let held: { key: string; size: number; next: number }[] = [];
  const used = () => held.reduce((s, e) => s + e.size, 0);
  return reqs.map((r, t) => {
    if (r.remove) {
      held = held.filter((e) => e.key !== r.key);
      return false;
    }
    const n = nextUse(reqs, t);
    const mine = held.find((e) => e.key === r.key);
    if (mine) {
      mine.next = n;
      held = held.filter((e) => e.next !== Infinity);
      return true;
    }
    if (r.size > capacity || n === Infinity) return false;
    const later = held.filter((e) => e.next > n).sort((a, b) => b.next - a.next);
    const victims: string[] = [];
    let room = capacity - used();
    for (const e of later) {
      if (room >= r.size) break;
      victims.push(e.key);
      room += e.size;
    }
    if (room < r.size) return false;
    held = held.filter((e) => !victims.includes(e.key));
    held.push({ key: r.key, size: r.size, next: n });
    return false;
  });
}

/**
 * PFOO-L from its definition: every pair of consecutive requests of a key (no removal between) is an interval
 * of cost (smallest size the key was requested with so far) × (distance in requests); a cache of C bytes over
 * N requests has C × (N - 1) to spend. Intervals sorted by value per cost, taken greedily, the last one in part.
 * Removal entries are not requests (they do not count in N) but end the key's interval chain.
 */
export function refPfooL(capacity: number, reqs: Req[]): { hits: number; hitBytes: number } {
  const last = new Map<string, { at: number; smallest: number }>();
  const intervals: { cost: number; size: number }[] = [];
  let j = 0; // position among requests (removals are not requests)
  for (const r of reqs) {
    if (r.remove) {
      last.delete(r.key);
      continue;
    }
    const prev = last.get(r.key);
    if (prev && prev.smallest <= capacity) intervals.push({ cost: prev.smallest * (j - prev.at), size: r.size });
    last.set(r.key, { at: j, smallest: Math.min(prev?.smallest ?? Infinity, r.size) });
    j++;
  }
  return knapsacks(capacity * Math.max(0, j - 1), intervals);
}

function knapsacks(budget: number, intervals: { cost: number; size: number }[]): { hits: number; hitBytes: number } {
  const greedy = (value: (i: { cost: number; size: number }) => number) => {
    const items = intervals.filter((i) => value(i) > 0).map((i) => ({ v: value(i), c: i.cost, r: i.cost === 0 ? Infinity : value(i) / i.cost }));
    items.sort((a, b) => (a.r > b.r ? -1 : a.r < b.r ? 1 : 0));
    let left = budget;
    let total = 0;
    for (const it of items) {
      if (it.c <= left) {
        left -= it.c;
        total += it.v;
      } else {
        total += (it.v * left) / it.c;
        break;
      }
    }
    return total;
  };
  return { hits: greedy(() => 1), hitBytes: greedy((i) => i.size) };
}

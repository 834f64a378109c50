/**
 * Straightforward reference caches for the tests: arrays and linear scans, written from the definitions and
 * sharing no code with src/trace/policies. Each returns one boolean per request (hit or miss).
 */
export interface Req {
  key: string;
  size: number;
  /** refLru only: drop the key (an invalidation) instead of requesting it; its result is false. */
  remove?: boolean;
}

type Entry = { key: string; size: number; count: number; last: number };

const total = (list: { size: number }[]) => list.reduce((s, e) => s + e.size, 0);

/** LRU: on a hit move to the back; on a miss drop from the front until the object fits. */
export function refLru(capacity: number, reqs: Req[]): boolean[] {
  const list: Entry[] = [];
  return reqs.map((r, t) => {
    const i = list.findIndex((e) => e.key === r.key);
    if (r.remove) {
      if (i >= 0) list.splice(i, 1);
      return false;
    }
    if (i >= 0) {
      list.push(...list.splice(i, 1));
      return true;
    }
    if (r.size > capacity) return false;
    while (total(list) + r.size > capacity) list.shift();
    list.push({ key: r.key, size: r.size, count: 1, last: t });
    return false;
  });
}

/** FIFO: hits change nothing; misses drop the oldest admissions. */
export function refFifo(capacity: number, reqs: Req[]): boolean[] {
  const list: Entry[] = [];
  return reqs.map((r, t) => {
    if (list.some((e) => e.key === r.key)) return true;
    if (r.size > capacity) return false;
    while (total(list) + r.size > capacity) list.shift();
    list.push({ key: r.key, size: r.size, count: 1, last: t });
    return false;
  });
}

/** LFU: evict the fewest requests since admission, the least recently requested among equals. */
export function refLfu(capacity: number, reqs: Req[]): boolean[] {
  const list: Entry[] = [];
  return reqs.map((r, t) => {
    const e = list.find((x) => x.key === r.key);
    if (e) {
      e.count++;
      e.last = t;
      return true;
    }
    if (r.size > capacity) return false;
    while (total(list) + r.size > capacity) {
      let victim = 0;
      for (let i = 1; i < list.length; i++) {
        if (list[i].count < list[victim].count || (list[i].count === list[victim].count && list[i].last < list[victim].last)) victim = i;
      }
      list.splice(victim, 1);
    }
    list.push({ key: r.key, size: r.size, count: 1, last: t });
    return false;
  });
}

/**
 * ARC for pages of size 1, transcribed from Megiddo and Modha, "ARC: A Self-Tuning, Low Overhead Replacement
 * Cache" (FAST 2003), Fig. 4. Lists keep the LRU end at index 0.
 */
export function refArc(c: number, keys: string[]): boolean[] {
  const T1: string[] = [];
  const T2: string[] = [];
  const B1: string[] = [];
  const B2: string[] = [];
  let p = 0;
  const del = (list: string[], x: string) => list.splice(list.indexOf(x), 1);
  const replace = (x: string) => {
    if (T1.length >= 1 && ((B2.includes(x) && T1.length === p) || T1.length > p)) B1.push(T1.shift()!);
    else B2.push(T2.shift()!);
  };
  return keys.map((x) => {
    if (T1.includes(x)) {
      del(T1, x);
      T2.push(x);
      return true;
    }
    if (T2.includes(x)) {
      del(T2, x);
      T2.push(x);
      return true;
    }
    if (B1.includes(x)) {
      p = Math.min(c, p + Math.max(B2.length / B1.length, 1));
      replace(x);
      del(B1, x);
      T2.push(x);
      return false;
    }
    if (B2.includes(x)) {
      p = Math.max(0, p - Math.max(B1.length / B2.length, 1));
      replace(x);
      del(B2, x);
      T2.push(x);
      return false;
    }
    const L1 = T1.length + B1.length;
    const L = L1 + T2.length + B2.length;
    if (L1 === c) {
      if (T1.length < c) {
        B1.shift();
        replace(x);
      } else {
        T1.shift();
      }
    } else if (L1 < c && L >= c) {
      if (L === 2 * c) B2.shift();
      replace(x);
    }
    T1.push(x);
    return false;
  });
}

/** R-cache: count every request; admit on the Nth if small enough; LRU among admitted objects. */
export function refRCache(capacity: number, maxObject: number, minRequests: number, reqs: Req[]): boolean[] {
  const counts = new Map<string, number>();
  const list: Req[] = [];
  return reqs.map((r) => {
    const n = (counts.get(r.key) ?? 0) + 1;
    counts.set(r.key, n);
    const i = list.findIndex((e) => e.key === r.key);
    if (i >= 0) {
      list.push(...list.splice(i, 1));
      return true;
    }
    if (r.size <= maxObject && n >= minRequests && r.size <= capacity) {
      while (total(list) + r.size > capacity) list.shift();
      list.push(r);
    }
    return false;
  });
}

/**
 * Two exclusive LRU tiers: memory (objects <= maxObject) spills its evictions to disk (ratio x larger);
 * a disk hit on a small object moves it back to memory. Returns 'memory', 'disk' or false per request.
 */
export function refTwoLevel(memCap: number, ratio: number, maxObject: number, reqs: Req[]): ('memory' | 'disk' | false)[] {
  const mem: Req[] = [];
  const disk: Req[] = [];
  const diskCap = memCap * ratio;
  const toDisk = (o: Req) => {
    if (o.size > diskCap) return;
    while (total(disk) + o.size > diskCap) disk.shift();
    disk.push(o);
  };
  const toMem = (o: Req) => {
    while (total(mem) + o.size > memCap) toDisk(mem.shift()!);
    mem.push(o);
  };
  const small = (o: Req) => o.size <= maxObject && o.size <= memCap;
  return reqs.map((r) => {
    const m = mem.findIndex((e) => e.key === r.key);
    if (m >= 0) {
      mem.push(...mem.splice(m, 1));
      return 'memory';
    }
    const d = disk.findIndex((e) => e.key === r.key);
    if (d >= 0) {
      const [o] = disk.splice(d, 1);
      if (small(r)) toMem({ key: r.key, size: r.size });
      else disk.push(o);
      return 'disk';
    }
    if (small(r)) toMem(r);
    else toDisk(r);
    return false;
  });
}

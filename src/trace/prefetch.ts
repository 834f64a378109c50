import type { CachePolicy } from './policies/policy.js';
import type { SimRequest } from './requests.js';

/**
 * Prefetching on manifest GET, after the FAST'18 registry study: when a client fetches a manifest of a
 * repository, the registry loads into its cache the layers (blobs) fetched through that repository before,
 * except those this client has fetched itself (a Docker client does not pull a layer it already has).
 * Only the `maxLayers` layers fetched most recently through the repository are remembered, which bounds
 * the work per manifest GET (a busy repository accumulates the layers of all its tags).
 * A prefetched object not requested within the timeout is dropped from the cache.
 *
 * `LayerHistory` is what the registry knows from the trace so far; it is shared by every simulated cache.
 */
export interface PrefetchCandidate {
  key: string;
  size: number;
}

export const defaultPrefetchMaxLayers = 32;

export class LayerHistory {
  constructor(private readonly maxLayers = defaultPrefetchMaxLayers) {}

  /** repository -> blob key -> last size seen, least recently fetched first. */
  private readonly byRepository = new Map<string, Map<string, number>>();
  /** client -> blob keys it fetched. */
  private readonly byClient = new Map<string, Set<string>>();

  /** The blobs to prefetch for a manifest GET (call before `record` of the same request). */
  candidates(r: SimRequest): PrefetchCandidate[] {
    if (r.kind !== 'manifest' || r.repository === null) return [];
    const blobs = this.byRepository.get(r.repository);
    if (!blobs) return [];
    const known = r.client === null ? undefined : this.byClient.get(r.client);
    const out: PrefetchCandidate[] = [];
    for (const [key, size] of blobs) if (!known?.has(key)) out.push({ key, size });
    return out;
  }

  /** Learns from a cacheable request: a blob GET ties the blob to its repository and client. */
  record(r: SimRequest): void {
    if (r.kind !== 'blob') return;
    if (r.repository !== null) {
      let blobs = this.byRepository.get(r.repository);
      if (!blobs) this.byRepository.set(r.repository, (blobs = new Map()));
      blobs.delete(r.key);
      blobs.set(r.key, r.size);
      if (blobs.size > this.maxLayers) blobs.delete(blobs.keys().next().value as string);
    }
    if (r.client !== null) {
      let keys = this.byClient.get(r.client);
      if (!keys) this.byClient.set(r.client, (keys = new Set()));
      keys.add(r.key);
    }
  }
}

/** The prefetch state of one simulated cache: objects prefetched and not yet requested, with their deadlines. */
export class Prefetcher {
  /** key -> deadline (ms) of objects prefetched and not requested since. */
  private readonly pending = new Map<string, number>();
  /** Prefetched keys and their deadlines, in deadline order (the timeout is the same for all). */
  private queueKeys: string[] = [];
  private queueDeadlines: number[] = [];
  private head = 0;
  prefetches = 0;
  prefetchBytes = 0;
  prefetchHits = 0;
  expired = 0;

  constructor(
    private readonly policy: CachePolicy,
    private readonly timeoutMs: number,
  ) {}

  /** Drops prefetched objects whose deadline has passed without a request. */
  expire(now: number): void {
    const keys = this.queueKeys;
    const deadlines = this.queueDeadlines;
    while (this.head < keys.length && deadlines[this.head] < now) {
      const key = keys[this.head];
      const deadline = deadlines[this.head++];
      if (this.pending.get(key) !== deadline) continue;
      this.pending.delete(key);
      if (this.policy.remove(key)) this.expired++;
    }
    if (this.head > 4096 && this.head * 2 > keys.length) {
      this.queueKeys = keys.slice(this.head);
      this.queueDeadlines = deadlines.slice(this.head);
      this.head = 0;
    }
  }

  /** Notes a request for `key`; true when it is the first request of an object this cache prefetched. */
  requested(key: string, hit: boolean): boolean {
    if (!this.pending.delete(key)) return false;
    if (hit) this.prefetchHits++;
    return hit;
  }

  /** Loads the candidates that are not cached yet. */
  prefetch(candidates: PrefetchCandidate[], now: number): void {
    for (const c of candidates) {
      if (this.policy.has(c.key)) continue;
      this.policy.access(c.key, c.size);
      if (!this.policy.has(c.key)) continue;
      this.prefetches++;
      this.prefetchBytes += c.size;
      const deadline = now + this.timeoutMs;
      this.pending.set(c.key, deadline);
      this.queueKeys.push(c.key);
      this.queueDeadlines.push(deadline);
    }
  }
}

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
  /** client -> the repository of its last manifest GET and that GET's number (for prefetch on a layer miss). */
  private readonly lastManifest = new Map<string, { repository: string; seq: number }>();
  private manifestGets = 0;

  /**
   * For prefetch on a layer miss (LCPA-style): the manifest GET a blob GET follows, when the client's last
   * manifest GET was of the same repository; its number tells one pull from the next. Null otherwise.
   */
  pullOf(r: SimRequest): number | null {
    if (r.kind !== 'blob' || r.client === null || r.repository === null) return null;
    const last = this.lastManifest.get(r.client);
    return last !== undefined && last.repository === r.repository ? last.seq : null;
  }

  /** The blobs to prefetch on a layer miss of `r`: as for a manifest GET of its repository, but `r` itself. */
  missCandidates(r: SimRequest): PrefetchCandidate[] {
    return this.candidates({ ...r, kind: 'manifest' }).filter((c) => c.key !== r.key);
  }

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
    if (r.kind === 'manifest' && r.client !== null && r.repository !== null) this.lastManifest.set(r.client, { repository: r.repository, seq: ++this.manifestGets });
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

/** What starts prefetching: a manifest GET, or the first layer miss of a pull that follows one (LCPA-style). */
export type PrefetchTrigger = 'manifest' | 'layer-miss';

/** The prefetch state of one simulated cache: objects prefetched and not yet requested, with their deadlines. */
export class Prefetcher {
  /** For the layer-miss trigger: the pull (manifest GET number) each client last prefetched for. */
  private readonly firedFor = new Map<string, number>();

  /** key -> deadline (ms) of objects prefetched and not requested since. */
  private readonly pending = new Map<string, number>();
  /** Prefetched keys and their deadlines, in deadline order (the timeout is the same for all). */
  private queueKeys: string[] = [];
  private queueDeadlines: number[] = [];
  private head = 0;
  /** Every prefetch ends as one of: a hit, expired (dropped at its deadline), evicted (by the cache before its
   * first request), or still pending when the trace ends. */
  prefetches = 0;
  prefetchBytes = 0;
  prefetchHits = 0;
  expired = 0;
  evicted = 0;

  constructor(
    private readonly policy: CachePolicy,
    private readonly timeoutMs: number,
    readonly trigger: PrefetchTrigger = 'manifest',
  ) {}

  /** For the layer-miss trigger: true once per pull, at its first layer miss (the caller then prefetches). */
  firstMissOf(client: string, pull: number): boolean {
    if (this.firedFor.get(client) === pull) return false;
    this.firedFor.set(client, pull);
    return true;
  }

  /** Prefetched objects still waiting for their first request (at the end of a trace: neither used nor dropped). */
  get pendingCount(): number {
    return this.pending.size;
  }

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
      else this.evicted++;
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
    else this.evicted++;
    return hit;
  }

  /**
   * Loads the candidates that are not cached yet. One prefetched earlier and still waiting for its first
   * request gets a new deadline: another client's manifest GET announces it again. One prefetched earlier that
   * the cache has evicted since, unrequested, ends as evicted before it is prefetched again.
   */
  prefetch(candidates: PrefetchCandidate[], now: number): void {
    for (const c of candidates) {
      if (this.policy.has(c.key)) {
        if (this.pending.has(c.key)) this.schedule(c.key, now + this.timeoutMs);
        continue;
      }
      if (this.pending.delete(c.key)) this.evicted++;
      this.policy.access(c.key, c.size);
      if (!this.policy.has(c.key)) continue;
      this.prefetches++;
      this.prefetchBytes += c.size;
      this.schedule(c.key, now + this.timeoutMs);
    }
  }

  private schedule(key: string, deadline: number): void {
    this.pending.set(key, deadline);
    this.queueKeys.push(key);
    this.queueDeadlines.push(deadline);
  }
}

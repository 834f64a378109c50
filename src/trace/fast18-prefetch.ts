import type { Db } from '../store/duckdb.js';

/**
 * The FAST'18 trace player's prefetching simulation (`prefetch.py`), reproduced to give its counts (docs/trace.md,
 * "The FAST'18 player's model"). Its rules, each kept:
 *
 * - Requests: as for its cache (GET or PUT of a manifest or blob URI that wrote bytes, whatever the status), then
 *   those naming `blobs` are layers and those naming `manifests` manifests; a "repository" is the URI's first two
 *   segments (`v2/NAMESPACE`), so the repositories of one namespace share one.
 * - A PUT (of a layer or a manifest) records a layer of that size for the repository.
 * - A manifest GET "prefetches" every layer recorded for the repository that this client has not prefetched
 *   before: a layer of a size already prefetched for the repository only renews it.
 * - A layer GET of a repository with prefetched layers counts a hit for every prefetched layer within 1000 bytes
 *   of its size (several, or none: then neither a hit nor a miss); of a repository without any, a miss.
 * - Timeouts are off (the player's calls are commented out), so prefetched layers stay to the end, where each
 *   counts good (requested at least once) or bad. Its figure is hits / (good + bad); its memory, the largest sum
 *   of prefetched sizes.
 */
export interface Fast18PrefetchCounts {
  hits: number;
  misses: number;
  good_prefetches: number;
  bad_prefetches: number;
  /** Largest sum of the sizes of the layers prefetched at once. */
  max_prefetched_bytes: number;
  puts: number;
  layer_gets: number;
  manifest_gets: number;
  /** hits / (good + bad), as the player prints it (can exceed 1: one GET may match several layers); null without prefetches. */
  hits_per_prefetch: number | null;
}

interface Pushed {
  clients: Set<string>;
  size: number;
}

interface Prefetched {
  count: number;
  size: number;
}

export class Fast18Prefetch {
  private readonly pushed = new Map<string, Pushed[]>();
  private readonly prefetched = new Map<string, Prefetched[]>();
  private held = 0;
  private readonly c = { hits: 0, misses: 0, good_prefetches: 0, bad_prefetches: 0, max_prefetched_bytes: 0, puts: 0, layer_gets: 0, manifest_gets: 0 };

  /** One request: its method, whether its URI names a manifest, its player repository, client and size. */
  put(method: string, manifest: boolean, repo: string, client: string, size: number): void {
    if (method === 'PUT') {
      this.c.puts++;
      const list = this.pushed.get(repo) ?? this.pushed.set(repo, []).get(repo)!;
      list.push({ clients: new Set([client]), size });
    } else if (manifest) {
      this.c.manifest_gets++;
      this.manifestGet(repo, client);
    } else {
      this.c.layer_gets++;
      this.layerGet(repo, size);
    }
  }

  private manifestGet(repo: string, client: string): void {
    for (const layer of this.pushed.get(repo) ?? []) {
      if (layer.clients.has(client)) continue;
      layer.clients.add(client);
      const list = this.prefetched.get(repo) ?? this.prefetched.set(repo, []).get(repo)!;
      if (list.some((p) => p.size === layer.size)) continue;
      list.push({ count: 0, size: layer.size });
      this.held += layer.size;
      this.c.max_prefetched_bytes = Math.max(this.c.max_prefetched_bytes, this.held);
    }
  }

  private layerGet(repo: string, size: number): void {
    const list = this.prefetched.get(repo);
    if (list === undefined) {
      this.c.misses++;
      return;
    }
    for (const p of list) {
      if (size - 1000 < p.size && size + 1000 > p.size) {
        this.c.hits++;
        p.count++;
      }
    }
  }

  /** Ends the trace: every prefetched layer counts good or bad. */
  finish(): Fast18PrefetchCounts {
    for (const list of this.prefetched.values()) for (const p of list) p.count > 0 ? this.c.good_prefetches++ : this.c.bad_prefetches++;
    this.prefetched.clear();
    const prefetches = this.c.good_prefetches + this.c.bad_prefetches;
    return { ...this.c, hits_per_prefetch: prefetches > 0 ? this.c.hits / prefetches : null };
  }
}

/** The player's repository of a URI: its first two segments (`/v2/library/ubuntu/...` gives `v2/library`). */
export function fast18Repository(uri: string): string {
  const parts = uri.split('/');
  return `${parts[1] ?? ''}/${parts[2] ?? ''}`;
}

/** The player's prefetch requests, in time order (its cache's filter, then `blobs` or `manifests` in the URI). */
const requestsSql = `
  SELECT method, uri, coalesce(client, '') AS client, response_size::DOUBLE AS size
  FROM trace_requests
  WHERE method IN ('GET', 'PUT') AND (contains(uri, 'manifest') OR contains(uri, 'blobs')) AND response_size > 0
    AND (contains(uri, 'blobs') OR contains(uri, 'manifests'))
  ORDER BY timestamp, source, file, record_index`;

/** Replays the trace through the player's prefetching. */
export async function simulateFast18Prefetch(db: Db): Promise<Fast18PrefetchCounts> {
  const p = new Fast18Prefetch();
  for await (const chunk of db.stream(requestsSql)) {
    const [methods, uris, clients, sizes] = chunk.getColumns() as [string[], string[], string[], number[]];
    for (let i = 0; i < chunk.rowCount; i++) {
      const uri = uris[i]!;
      p.put(methods[i]!, !uri.includes('blobs'), fast18Repository(uri), clients[i]!, sizes[i]!);
    }
  }
  return p.finish();
}

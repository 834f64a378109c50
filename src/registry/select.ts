import { ImgscanError } from '../errors.js';

/**
 * Which tags of a repository to read.
 * - latest: the tag "latest" only (a repository without it contributes nothing and is reported as skipped);
 * - all: every tag;
 * - newest: the `count` newest tags. By default "newest" means the image config's `created` (every tag's
 *   manifest and config are fetched to sort; no layer is read); `by: 'listing'` takes the last `count` tags in
 *   the order the registry lists them instead, which costs nothing but is only meaningful where that order is
 *   chronological;
 * - glob: tags matching a pattern with `*` (any run of characters) and `?` (one character).
 */
export type TagSelection =
  | { kind: 'latest' }
  | { kind: 'all' }
  | { kind: 'newest'; count: number; by?: 'created' | 'listing' }
  | { kind: 'glob'; pattern: string };

/** The tags to fetch for a selection, before "newest by created" (which needs the configs) is applied. */
export function candidateTags(tags: string[], selection: TagSelection): string[] {
  switch (selection.kind) {
    case 'latest':
      return tags.includes('latest') ? ['latest'] : [];
    case 'all':
      return tags;
    case 'glob': {
      const re = globRegExp(selection.pattern);
      return tags.filter((t) => re.test(t));
    }
    case 'newest':
      if (!Number.isInteger(selection.count) || selection.count < 1) throw new ImgscanError('USAGE', `newest tag count must be a positive integer, not ${selection.count}`);
      return selection.by === 'listing' ? tags.slice(-selection.count) : tags;
  }
}

export function globRegExp(pattern: string): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

/** Orders tags newest first by `created` (missing last), ties by tag name descending; keeps `count`. */
export function newestTags(created: Map<string, string | undefined>, count: number): string[] {
  const time = (t: string) => {
    const ms = Date.parse(created.get(t) ?? '');
    return Number.isNaN(ms) ? -Infinity : ms;
  };
  return [...created.keys()].sort((a, b) => time(b) - time(a) || (a < b ? 1 : a > b ? -1 : 0)).slice(0, count);
}

export { formatPlatform, parsePlatform, platformMatches, platformSelected, selectPlatforms, type PlatformSelection } from '../oci/platform.js';

/** A deterministic split of repositories among machines: which of `count` shards a repository belongs to. */
export interface Shard {
  index: number;
  count: number;
}

/** 32-bit FNV-1a over the UTF-8 bytes of a name: the same on every machine and Node version. */
export function fnv1a32(text: string): number {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export function inShard(repository: string, shard: Shard | undefined): boolean {
  if (!shard) return true;
  if (!Number.isInteger(shard.count) || shard.count < 1 || !Number.isInteger(shard.index) || shard.index < 0 || shard.index >= shard.count) {
    throw new ImgscanError('USAGE', `bad shard ${shard.index}/${shard.count}: need 0 <= index < count`);
  }
  return fnv1a32(repository) % shard.count === shard.index;
}

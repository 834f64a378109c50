import { ImgscanError } from '../errors.js';
import type { Descriptor, Platform } from '../oci/types.js';
import { isAttestation } from '../oci/artifact.js';

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

/**
 * Platforms to take from an index: "default" (linux/amd64 when the index has it, else all), "all", or
 * selectors "os/arch[/variant]" (a selector without a variant matches every variant).
 */
export type PlatformSelection = 'default' | 'all' | string | string[];

/** Parses "os/arch[/variant]". */
export function parsePlatform(selector: string): Platform {
  const parts = selector.split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => !p)) {
    throw new ImgscanError('USAGE', `bad platform "${selector}": expected os/arch[/variant], e.g. linux/arm64/v8`);
  }
  return { os: parts[0], architecture: parts[1], ...(parts[2] ? { variant: parts[2] } : {}) };
}

export function formatPlatform(p: Platform | undefined): string {
  if (!p) return 'unknown';
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}

export function platformMatches(p: Platform | undefined, want: Platform): boolean {
  if (!p) return false;
  if (p.os !== want.os || p.architecture !== want.architecture) return false;
  return want.variant === undefined || (p.variant ?? (p.architecture === 'arm64' ? 'v8' : undefined)) === want.variant;
}

/** The index entries a selection takes, in index order. */
export function selectPlatforms(entries: Descriptor[], selection: PlatformSelection): Descriptor[] {
  const images = entries.filter((d) => !isAttestation(d));
  if (selection === 'all') return images;
  if (selection === 'default') {
    const amd64 = images.filter((d) => platformMatches(d.platform, { os: 'linux', architecture: 'amd64' }));
    return amd64.length > 0 ? amd64.slice(0, 1) : images;
  }
  const wanted = (Array.isArray(selection) ? selection : [selection]).map(parsePlatform);
  return images.filter((d) => wanted.some((w) => platformMatches(d.platform, w)));
}

/** True when a single-platform image (no index) fits the selection. */
export function platformSelected(p: Platform, selection: PlatformSelection): boolean {
  if (selection === 'all' || selection === 'default') return true;
  return (Array.isArray(selection) ? selection : [selection]).map(parsePlatform).some((w) => platformMatches(p, w));
}

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

import { describe, expect, it } from 'vitest';
import type { Descriptor } from '../../../src/oci/types.js';
import { candidateTags, fnv1a32, globRegExp, inShard, newestTags } from '../../../src/registry/select.js';
import { parsePlatform, selectPlatforms } from '../../../src/oci/platform.js';

describe('tag selection', () => {
  const tags = ['1.0', '1.1', 'latest', 'edge', '2.0-rc1'];
  it.each([
    [{ kind: 'latest' } as const, ['latest']],
    [{ kind: 'all' } as const, tags],
    [{ kind: 'glob', pattern: '1.*' } as const, ['1.0', '1.1']],
    [{ kind: 'glob', pattern: '?.0*' } as const, ['1.0', '2.0-rc1']],
    [{ kind: 'newest', count: 2, by: 'listing' } as const, ['edge', '2.0-rc1']],
    [{ kind: 'newest', count: 2 } as const, tags],
  ])('%j', (selection, want) => expect(candidateTags(tags, selection)).toEqual(want));

  it('has no "latest" to take when the repository lacks it', () => expect(candidateTags(['a'], { kind: 'latest' })).toEqual([]));
  it('escapes regular expression characters in globs', () => expect(globRegExp('a.b+').test('aXb+')).toBe(false));
  it('orders newest by created, missing dates last, ties by name', () => {
    const created = new Map<string, string | undefined>([
      ['a', '2020-01-01T00:00:00Z'],
      ['b', undefined],
      ['c', '2023-01-01T00:00:00Z'],
      ['d', '2023-01-01T00:00:00Z'],
    ]);
    expect(newestTags(created, 3)).toEqual(['d', 'c', 'a']);
    expect(newestTags(created, 9)).toEqual(['d', 'c', 'a', 'b']);
  });
  it('refuses a count below one', () => expect(() => candidateTags(['a'], { kind: 'newest', count: 0 })).toThrow(/positive/));
});

describe('platform selection', () => {
  const d = (os: string, architecture: string, variant?: string, annotations?: Record<string, string>): Descriptor => ({
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    digest: `sha256:${'0'.repeat(64)}`,
    size: 1,
    platform: { os, architecture, ...(variant ? { variant } : {}) },
    ...(annotations ? { annotations } : {}),
  });
  const amd64 = d('linux', 'amd64');
  const arm64 = d('linux', 'arm64', 'v8');
  const armv7 = d('linux', 'arm', 'v7');
  const attestation = d('unknown', 'unknown', undefined, { 'vnd.docker.reference.type': 'attestation-manifest' });
  it('defaults to linux/amd64, else every image entry', () => {
    expect(selectPlatforms([arm64, amd64, attestation], 'default')).toEqual([amd64]);
    expect(selectPlatforms([arm64, armv7, attestation], 'default')).toEqual([arm64, armv7]);
  });
  it('takes selectors with or without variant', () => {
    expect(selectPlatforms([amd64, arm64, armv7], 'linux/arm64')).toEqual([arm64]);
    expect(selectPlatforms([amd64, arm64, armv7], ['linux/arm/v7', 'linux/arm64/v8'])).toEqual([arm64, armv7]);
    expect(selectPlatforms([amd64, arm64, armv7], 'linux/arm/v6')).toEqual([]);
    expect(selectPlatforms([amd64, arm64, attestation], 'all')).toEqual([amd64, arm64]);
  });
  it('rejects malformed selectors', () => expect(() => parsePlatform('linux')).toThrow(/os\/arch/));
});

describe('sharding', () => {
  it('uses 32-bit FNV-1a (published test vectors)', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
  });
  it('puts every repository in exactly one shard', () => {
    const names = Array.from({ length: 200 }, (_, i) => `ns${i % 7}/repo-${i}`);
    const counts = [0, 0, 0, 0];
    for (const n of names) {
      const hits = [0, 1, 2, 3].filter((index) => inShard(n, { index, count: 4 }));
      expect(hits.length).toBe(1);
      counts[hits[0]]++;
    }
    expect(Math.min(...counts)).toBeGreaterThan(20);
  });
  it('rejects a bad shard', () => expect(() => inShard('a', { index: 2, count: 2 })).toThrow(/shard/));
});

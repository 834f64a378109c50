import { describe, expect, it } from 'vitest';
import { parsePlatforms, parseShard, parseTagSelection, shardTag } from '../../../src/crawl/options.js';
import { ImgscanError } from '../../../src/errors.js';
import type { PlatformSelection, Shard, TagSelection } from '../../../src/registry/select.js';

/** The USAGE error `fn` throws (usage errors end the command with exit status 2). */
function usageError(fn: () => unknown): ImgscanError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ImgscanError);
    expect((err as ImgscanError).code).toBe('USAGE');
    return err as ImgscanError;
  }
  return expect.unreachable('no error thrown');
}

describe('--tags', () => {
  it.each<[string, TagSelection]>([
    ['latest', { kind: 'latest' }],
    ['all', { kind: 'all' }],
    ['newest:1', { kind: 'newest', count: 1 }],
    ['newest:25', { kind: 'newest', count: 25 }],
    ['newest:007', { kind: 'newest', count: 7 }],
    ['glob:1.*', { kind: 'glob', pattern: '1.*' }],
    ['glob:v?.?-alpine', { kind: 'glob', pattern: 'v?.?-alpine' }],
    ['glob:*', { kind: 'glob', pattern: '*' }],
    ['glob:a:b', { kind: 'glob', pattern: 'a:b' }],
  ])('%s', (text, want) => expect(parseTagSelection(text)).toEqual(want));

  const expected = 'expected latest, all, newest:N or glob:PATTERN';
  it.each<[string, string]>([
    ['', `bad tag selection "": ${expected}`],
    ['LATEST', `bad tag selection "LATEST": ${expected}`],
    ['Latest', `bad tag selection "Latest": ${expected}`],
    [' latest', `bad tag selection " latest": ${expected}`],
    ['every', `bad tag selection "every": ${expected}`],
    ['newest', `bad tag selection "newest": ${expected}`],
    ['newest=3', `bad tag selection "newest=3": ${expected}`],
    ['1.*', `bad tag selection "1.*": ${expected}`],
    ['newest:', 'bad tag selection "newest:": newest:N needs a positive integer'],
    ['newest:0', 'bad tag selection "newest:0": newest:N needs a positive integer'],
    ['newest:-2', 'bad tag selection "newest:-2": newest:N needs a positive integer'],
    ['newest:1.5', 'bad tag selection "newest:1.5": newest:N needs a positive integer'],
    ['newest:three', 'bad tag selection "newest:three": newest:N needs a positive integer'],
    ['newest: 3', 'bad tag selection "newest: 3": newest:N needs a positive integer'],
    ['newest:0x10', 'bad tag selection "newest:0x10": newest:N needs a positive integer'],
    ['newest:1e3', 'bad tag selection "newest:1e3": newest:N needs a positive integer'],
    ['newest:99999999999999999999', 'bad tag selection "newest:99999999999999999999": newest:N needs a positive integer'],
    ['glob:', 'bad tag selection "glob:": glob:PATTERN needs a pattern, e.g. glob:1.*'],
  ])('rejects %j', (text, message) => expect(usageError(() => parseTagSelection(text)).message).toBe(message));
});

describe('--shard', () => {
  it.each<[string, Shard]>([
    ['0/1', { index: 0, count: 1 }],
    ['0/3', { index: 0, count: 3 }],
    ['2/3', { index: 2, count: 3 }],
    [' 1/8 ', { index: 1, count: 8 }],
    ['07/16', { index: 7, count: 16 }],
    ['999/1000', { index: 999, count: 1000 }],
  ])('%j', (text, want) => expect(parseShard(text)).toEqual(want));

  it.each(['3/3', '4/3', '0/0', '1/0', '-1/3', '1/-3', '1', '1/', '/3', '1/3/5', '1 / 3', '1:3', 'a/b', '1.5/3', '', '0/99999999999999999999'])('rejects %j', (text) =>
    expect(usageError(() => parseShard(text)).message).toBe(`bad shard "${text}": expected I/N with 0 <= I < N, e.g. 0/3`),
  );

  it.each<[Shard, string]>([
    [{ index: 0, count: 1 }, 'shard-0-of-1'],
    [{ index: 2, count: 3 }, 'shard-2-of-3'],
    [{ index: 10, count: 16 }, 'shard-10-of-16'],
  ])('tags the parts of %j as %s', (shard, tag) => expect(shardTag(shard)).toBe(tag));

  it('gives every shard of a split its own tag', () => {
    const tags = new Set<string>();
    for (let count = 1; count <= 12; count++) for (let index = 0; index < count; index++) tags.add(shardTag(parseShard(`${index}/${count}`)));
    expect(tags.size).toBe((12 * 13) / 2);
  });
});

describe('--platform', () => {
  it.each<[string | undefined, PlatformSelection]>([
    [undefined, 'default'],
    ['', 'default'],
    ['all', 'all'],
    ['linux/amd64', ['linux/amd64']],
    ['linux/arm/v7', ['linux/arm/v7']],
    ['linux/arm64,linux/arm/v7', ['linux/arm64', 'linux/arm/v7']],
    [' linux/arm64 , windows/amd64 ', ['linux/arm64', 'windows/amd64']],
    ['linux/amd64,,linux/s390x,', ['linux/amd64', 'linux/s390x']],
  ])('%j', (text, want) => expect(parsePlatforms(text)).toEqual(want));

  it.each<[string, string]>([
    ['linux', 'bad platform "linux": expected os/arch[/variant], e.g. linux/arm64/v8'],
    ['linux/', 'bad platform "linux/": expected os/arch[/variant], e.g. linux/arm64/v8'],
    ['/amd64', 'bad platform "/amd64": expected os/arch[/variant], e.g. linux/arm64/v8'],
    ['linux//v7', 'bad platform "linux//v7": expected os/arch[/variant], e.g. linux/arm64/v8'],
    ['linux/arm/v7/extra', 'bad platform "linux/arm/v7/extra": expected os/arch[/variant], e.g. linux/arm64/v8'],
    ['linux/amd64,arm64', 'bad platform "arm64": expected os/arch[/variant], e.g. linux/arm64/v8'],
    ['all,linux/amd64', 'bad platform "all": expected os/arch[/variant], e.g. linux/arm64/v8'],
    ['ALL', 'bad platform "ALL": expected os/arch[/variant], e.g. linux/arm64/v8'],
    [',', 'bad platform list ",": expected all, or os/arch[/variant] separated by commas'],
    [' , ', 'bad platform list " , ": expected all, or os/arch[/variant] separated by commas'],
  ])('rejects %j', (text, message) => expect(usageError(() => parsePlatforms(text)).message).toBe(message));
});

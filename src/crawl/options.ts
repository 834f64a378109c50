import { ImgscanError } from '../errors.js';
import { parsePlatform, type PlatformSelection, type Shard, type TagSelection } from '../registry/select.js';

/** Parses `latest`, `all`, `newest:N` or `glob:PATTERN`. */
export function parseTagSelection(text: string): TagSelection {
  if (text === 'latest') return { kind: 'latest' };
  if (text === 'all') return { kind: 'all' };
  if (text.startsWith('newest:')) {
    const digits = text.slice('newest:'.length);
    const count = Number(digits);
    if (!/^\d+$/.test(digits) || !Number.isSafeInteger(count) || count < 1) throw new ImgscanError('USAGE', `bad tag selection "${text}": newest:N needs a positive integer`);
    return { kind: 'newest', count };
  }
  if (text.startsWith('glob:')) {
    if (text.length === 'glob:'.length) throw new ImgscanError('USAGE', `bad tag selection "${text}": glob:PATTERN needs a pattern, e.g. glob:1.*`);
    return { kind: 'glob', pattern: text.slice('glob:'.length) };
  }
  throw new ImgscanError('USAGE', `bad tag selection "${text}": expected latest, all, newest:N or glob:PATTERN`);
}

/** Parses `I/N` with 0 <= I < N. */
export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const shard = m ? { index: Number(m[1]), count: Number(m[2]) } : undefined;
  if (!shard || !Number.isSafeInteger(shard.count) || shard.count < 1 || shard.index >= shard.count) {
    throw new ImgscanError('USAGE', `bad shard "${text}": expected I/N with 0 <= I < N, e.g. 0/3`);
  }
  return shard;
}

/** The writer tag that keeps the parts of one shard apart: `shard-I-of-N`. */
export function shardTag(shard: Shard): string {
  return `shard-${shard.index}-of-${shard.count}`;
}

/** Parses `all`, or a comma list of `os/arch[/variant]`; undefined keeps the default (linux/amd64, else all). */
export function parsePlatforms(text: string | undefined): PlatformSelection {
  if (text === undefined || text === '') return 'default';
  if (text === 'all') return 'all';
  const list = text.split(',').map((s) => s.trim()).filter(Boolean);
  if (list.length === 0) throw new ImgscanError('USAGE', `bad platform list "${text}": expected all, or os/arch[/variant] separated by commas`);
  for (const p of list) parsePlatform(p);
  return list;
}

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

/** Parses a duration: seconds (`90`), or a number with ms, s, m or h (`500ms`, `90s`, `30m`, `2h`); `0` is none. */
export function parseDuration(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new ImgscanError('USAGE', `bad ${flag} "${text}": expected seconds or a number with ms, s, m or h, e.g. 90s, 30m, 2h`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? 's'] ?? 1000;
  return Math.round(Number(m[1]) * unit);
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

import { describe, expect, it } from 'vitest';
import { parseDuration, parseList, parseNonNegative, parseSize } from '../../../src/format/parse.js';

describe('sizes and durations typed by users', () => {
  it.each([
    ['4096', 4096],
    ['512KiB', 512 * 1024],
    ['64MiB', 64 * 1024 ** 2],
    ['64 mib', 64 * 1024 ** 2],
    ['1.5GiB', 1.5 * 1024 ** 3],
    ['1GB', 1e9],
    ['100MB', 1e8],
    ['2T', 2 * 1024 ** 4],
  ])('size %s', (text, bytes) => expect(parseSize(text)).toBe(bytes));

  it.each([
    ['600', 600],
    ['30s', 30],
    ['10m', 600],
    ['1h', 3600],
    ['2d', 172800],
    ['250ms', 0.25],
  ])('duration %s', (text, seconds) => expect(parseDuration(text)).toBe(seconds));

  it.each(['', 'big', '-1', '1 parsec', '1e3'])('rejects size %j', (text) => expect(() => parseSize(text)).toThrow(/not a size/));
  it.each(['soon', '-5s', '1y'])('rejects duration %j', (text) => expect(() => parseDuration(text)).toThrow(/not a duration/));

  it('parses lists and non-negative numbers', () => {
    expect(parseList('1m, 10m,,1h', parseDuration)).toEqual([60, 600, 3600]);
    expect(parseNonNegative('0.5', 'memory-ms')).toBe(0.5);
    expect(() => parseNonNegative('-1', 'disk-ms')).toThrow('--disk-ms must be a number >= 0');
  });
});

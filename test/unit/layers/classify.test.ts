import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { classify, CLASSIFY_PREFIX, isText } from '../../../src/layers/classify.js';
import { sh } from './fixture.js';

const bytes = (...parts: (number[] | string)[]) =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p))));
const cls = (b: Uint8Array) => classify(b.subarray(0, CLASSIFY_PREFIX), b.length);

describe('classify', () => {
  it.each([
    ['elf', 'ELF', bytes([0x7f], 'ELF', [2, 1, 1])],
    ['script', '#!', bytes('#!/usr/bin/env python3\n')],
    ['archive', 'gzip', bytes([0x1f, 0x8b, 8, 0])],
    ['archive', 'zip, jar', bytes('PK', [3, 4], 'rest')],
    ['archive', 'empty zip', bytes('PK', [5, 6], [0, 0, 0, 0])],
    ['archive', 'xz', bytes([0xfd], '7zXZ', [0])],
    ['archive', 'bzip2', bytes('BZh91AY&SY')],
    ['archive', 'zstd', bytes([0x28, 0xb5, 0x2f, 0xfd, 0])],
    ['archive', 'tar', bytes(Buffer.alloc(257, 0x61).toString('latin1'), 'ustar', [0], '00')],
    ['python-bytecode', 'CPython 3.11 (3495)', bytes([0xa7, 0x0d, 0x0d, 0x0a, 0, 0, 0, 0])],
    ['python-bytecode', 'CPython 2.7 (62211)', bytes([0x03, 0xf3, 0x0d, 0x0a, 1, 2, 3, 4])],
    ['other', 'CRLF after an implausible magic', bytes([0x10, 0x00, 0x0d, 0x0a])],
    ['sqlite', 'SQLite format 3', bytes('SQLite format 3', [0], [0x10, 0])],
    ['image', 'png', bytes([0x89], 'PNG\r\n', [0x1a, 0x0a], 'data')],
    ['image', 'jpeg', bytes([0xff, 0xd8, 0xff, 0xe0])],
    ['image', 'GIF87a', bytes('GIF87a')],
    ['image', 'GIF89a', bytes('GIF89a')],
    ['text', 'ASCII', bytes('plain text\n')],
    ['text', 'multibyte UTF-8', Buffer.from('héllo wörld ✓ 𝄞\n', 'utf8')],
    ['other', 'NUL', bytes('abc', [0], 'def')],
    ['other', 'overlong', bytes([0xc0, 0xaf])],
    ['other', 'surrogate', bytes([0xed, 0xa0, 0x80])],
    ['other', 'above U+10FFFF', bytes([0xf4, 0x90, 0x80, 0x80])],
    ['text', 'no GIF version: just text', bytes('GIF88a')],
  ] as const)('%s: %s', (want, _label, b) => {
    expect(cls(b)).toBe(want);
  });

  it('says empty for size 0 before anything else', () => {
    expect(classify(new Uint8Array(0), 0)).toBe('empty');
  });

  it('accepts a multibyte character cut by the 4 KiB prefix only when the file goes on', () => {
    const content = Buffer.concat([Buffer.alloc(4095, 'a'), Buffer.from('é✓', 'utf8')]);
    const prefix = content.subarray(0, CLASSIFY_PREFIX);
    expect(classify(prefix, content.length)).toBe('text');
    expect(classify(prefix, prefix.length)).toBe('other'); // the file really ends mid-character
    // A 3-byte character cut after one or two bytes.
    const three = Buffer.from('✓', 'utf8');
    expect(isText(Buffer.concat([Buffer.from('ab'), three.subarray(0, 1)]), true)).toBe(true);
    expect(isText(Buffer.concat([Buffer.from('ab'), three.subarray(0, 2)]), true)).toBe(true);
    expect(isText(Buffer.from([0x61, 0xed, 0xa0]), true)).toBe(false); // would be a surrogate
    expect(isText(Buffer.from([0x61, 0xff]), true)).toBe(false);
  });

  it('classifies files taken from this machine', () => {
    expect(cls(readFileSync('/bin/ls'))).toBe('elf');
    const pyc = sh(`find /usr/lib/python3* -name '*.pyc' -size +0 2>/dev/null | head -1`).trim();
    if (pyc) expect(cls(readFileSync(pyc))).toBe('python-bytecode');
    const png = sh(`find /usr/share -name '*.png' -size +0 2>/dev/null | head -1`).trim();
    if (png) expect(cls(readFileSync(png))).toBe('image');
    const gz = sh(`find /usr/share/doc -name '*.gz' -size +0 2>/dev/null | head -1`).trim();
    if (gz) expect(cls(readFileSync(gz))).toBe('archive');
    const script = sh(`grep -l '^#!' /usr/bin/* 2>/dev/null | head -1`).trim();
    if (script) expect(cls(readFileSync(script))).toBe('script');
  });
});

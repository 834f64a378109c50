/** Field decoding for tar headers and PAX records. Pure functions over bytes. */
import type { EntryType } from '../model/rows.js';

export const BLOCK = 512;

/** Unsigned sum of the header with the checksum field read as spaces; also the signed sum some old tars used. */
export function checksumOk(b: Uint8Array, at: number): boolean {
  const stored = octal(b, at + 148, 8);
  let unsigned = 8 * 0x20;
  for (let i = 0; i < 148; i++) unsigned += b[at + i]!;
  for (let i = 156; i < BLOCK; i++) unsigned += b[at + i]!;
  if (unsigned === stored) return true;
  let signed = 8 * 0x20;
  for (let i = 0; i < BLOCK; i++) {
    if (i >= 148 && i < 156) continue;
    const v = b[at + i]!;
    signed += v > 127 ? v - 256 : v;
  }
  return signed === stored;
}

/** True when all 512 bytes are zero. */
export function isZeroBlock(b: Uint8Array, at: number): boolean {
  for (let i = at, end = at + BLOCK; i < end; i++) if (b[i] !== 0) return false;
  return true;
}

/**
 * A numeric field: octal ASCII (spaces and NULs around it allowed), or GNU base-256 when the top bit of the
 * first byte is set (two's complement: the next bit is the sign, as Go's archive/tar reads it). Returns NaN for
 * garbage and for values past 64 bits.
 */
export function numeric(b: Uint8Array, at: number, len: number): number {
  const first = b[at]!;
  if (first & 0x80) {
    const negative = (first & 0x40) !== 0;
    let v = negative ? ~first & 0x7f : first & 0x7f;
    for (let i = 1; i < len; i++) {
      const c = negative ? ~b[at + i]! & 0xff : b[at + i]!;
      if (v >= 2 ** 55) return NaN; // shifted, it would not fit in 63 bits
      v = v * 256 + c;
    }
    return negative ? -(v + 1) : v;
  }
  return octal(b, at, len);
}

/** Octal as Go reads it: spaces and NULs trimmed from both ends, then the digits up to the first NUL. */
function octal(b: Uint8Array, at: number, len: number): number {
  let i = at;
  let end = at + len;
  while (i < end && (b[i] === 0x20 || b[i] === 0)) i++;
  while (end > i && (b[end - 1] === 0x20 || b[end - 1] === 0)) end--;
  if (i === end) return 0;
  let v = 0;
  for (; i < end; i++) {
    const c = b[i]!;
    if (c >= 0x30 && c <= 0x37) v = v * 8 + (c - 0x30);
    else if (c === 0) break;
    else return NaN;
    if (v >= 2 ** 64) return NaN;
  }
  return v;
}

/** A NUL-terminated name field (see decodeName). */
export function text(b: Uint8Array, at: number, len: number): string {
  let end = at;
  const max = at + len;
  while (end < max && b[end] !== 0) end++;
  if (end === at) return '';
  return decodeName(b, at, end);
}

/**
 * Bytes of a name as the string imgscan stores: an unambiguous escape of the bytes. Valid UTF-8 is decoded as
 * such, except that a backslash becomes the two characters `\\`; a byte that is not part of valid UTF-8
 * becomes the four characters `\xNN` (lowercase hex). Names are bytes in tar and on the filesystem a runtime
 * extracts to, so two different names stay two different strings (the escape is injective).
 */
export function decodeName(b: Uint8Array, start: number, end: number): string {
  const s = Buffer.from(b.buffer, b.byteOffset + start, end - start).toString('utf8');
  if (!s.includes('\uFFFD') && !s.includes('\\')) return s;
  let out = '';
  let i = start;
  while (i < end) {
    const n = utf8Length(b, i, end);
    if (n === 0) out += '\\x' + b[i]!.toString(16).padStart(2, '0');
    else if (b[i] === 0x5c) out += '\\\\';
    else out += Buffer.from(b.buffer, b.byteOffset + i, n).toString('utf8');
    i += n || 1;
  }
  return out;
}

/** Length of the valid UTF-8 sequence at `i` (RFC 3629: no overlongs, surrogates or code points past U+10FFFF), or 0. */
function utf8Length(b: Uint8Array, i: number, end: number): number {
  const c = b[i]!;
  if (c < 0x80) return 1;
  const cont = (k: number, lo = 0x80, hi = 0xbf) => i + k < end && b[i + k]! >= lo && b[i + k]! <= hi;
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c === 0xe0) return cont(1, 0xa0) && cont(2) ? 3 : 0;
  if ((c >= 0xe1 && c <= 0xec) || c === 0xee || c === 0xef) return cont(1) && cont(2) ? 3 : 0;
  if (c === 0xed) return cont(1, 0x80, 0x9f) && cont(2) ? 3 : 0;
  if (c === 0xf0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (c >= 0xf1 && c <= 0xf3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (c === 0xf4) return cont(1, 0x80, 0x8f) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}

/** True when the field starts with the given ASCII bytes. */
export function fieldIs(b: Uint8Array, at: number, s: string): boolean {
  for (let i = 0; i < s.length; i++) if (b[at + i] !== s.charCodeAt(i)) return false;
  return true;
}

/**
 * Normalized path: no leading "./" or "/", no trailing "/", no "//" or "/./", and ".." resolved as a runtime
 * resolves it inside the root it extracts to (Go's path.Clean of "/" + p: "a/../b" is "b", "../x" is "x");
 * the root itself is ".".
 */
export function normalizePath(p: string): string {
  let s = 0;
  let e = p.length;
  for (;;) {
    if (p.charCodeAt(s) === 0x2f) s++;
    else if (p.charCodeAt(s) === 0x2e && (s + 1 === e || p.charCodeAt(s + 1) === 0x2f)) s += s + 1 === e ? 1 : 2;
    else break;
  }
  while (e > s && p.charCodeAt(e - 1) === 0x2f) e--;
  let out = s === 0 && e === p.length ? p : p.slice(s, e);
  if (out.includes('//') || out.includes('/./') || out.endsWith('/.') || out.includes('..')) {
    const segs: string[] = [];
    for (const seg of out.split('/')) {
      if (seg === '..') segs.pop();
      else if (seg !== '' && seg !== '.') segs.push(seg);
    }
    out = segs.join('/');
  }
  return out === '' ? '.' : out;
}

/**
 * The entry type of a header's type flag, as Go's archive/tar returns it and GNU tar extracts it: an old-style
 * regular file (NUL flag) with a trailing slash and a GNU dumpdir ('D') are directories, a volume label ('V')
 * is 'other', and every flag not known ('A' Solaris ACL, ...) is a regular file (GNU tar: "Unknown file type,
 * extracted as normal file"). An overlay whiteout name (`path` normalized) makes it a whiteout or opaque marker.
 */
export function entryType(flag: number, name: string, path: string): EntryType {
  const base = path.slice(path.lastIndexOf('/') + 1);
  if (base.startsWith('.wh.')) return base === '.wh..wh..opq' ? 'opaque' : 'whiteout';
  switch (flag) {
    case 0:
      return name.endsWith('/') ? 'dir' : 'file';
    case 0x31:
      return 'hardlink';
    case 0x32:
      return 'symlink';
    case 0x33:
      return 'char';
    case 0x34:
      return 'block';
    case 0x35: // '5'
    case 0x44: // 'D' GNU dumpdir: its data is the dump listing, not file content
      return 'dir';
    case 0x36:
      return 'fifo';
    case 0x56: // 'V' GNU volume label
      return 'other';
    default: // '0', '7' contiguous, 'S' old GNU sparse, and unknown flags
      return 'file';
  }
}

/** True for the types whose header is all there is (Go ignores their size field): links, devices, dirs, fifos. */
export function headerOnly(flag: number, name: string): boolean {
  return (flag >= 0x31 && flag <= 0x36) || (flag === 0 && name.endsWith('/'));
}

/** The header formats Go's archive/tar tells apart by their magic; they differ in where a name's prefix is. */
export type HeaderFormat = 'v7' | 'ustar' | 'gnu' | 'star';

export function headerFormat(b: Uint8Array, at: number): HeaderFormat {
  if (fieldIs(b, at + 257, 'ustar\0')) return fieldIs(b, at + 508, 'tar\0') ? 'star' : 'ustar';
  return fieldIs(b, at + 257, 'ustar  \0') ? 'gnu' : 'v7';
}

/**
 * The name of a header as Go's archive/tar reads it: ustar (155 bytes) and star (131 bytes) headers have a
 * prefix field; V7 and GNU headers have none, except a GNU header whose atime or ctime field does not parse
 * (written by Go before 1.8, which put a prefix there): its prefix is used when it is ASCII.
 */
export function headerName(b: Uint8Array, at: number, format: HeaderFormat): string {
  const name = text(b, at, 100);
  let prefix = '';
  if (format === 'ustar' || format === 'star') prefix = text(b, at + 345, format === 'star' ? 131 : 155);
  else if (format === 'gnu' && badTime(b, at + 345) + badTime(b, at + 357) > 0) {
    let end = at + 345;
    while (end < at + 500 && b[end] !== 0 && b[end]! < 0x80) end++;
    if (end === at + 500 || b[end] === 0) prefix = text(b, at + 345, 155);
  }
  return prefix === '' ? name : `${prefix}/${name}`;
}

/** 1 when a GNU atime/ctime field is set and does not parse, else 0. */
function badTime(b: Uint8Array, at: number): number {
  return b[at] !== 0 && Number.isNaN(numeric(b, at, 12)) ? 1 : 0;
}

type NumericField = readonly [offset: number, length: number, name: string];
const V7_NUMBERS: readonly NumericField[] = [[100, 8, 'mode'], [108, 8, 'uid'], [116, 8, 'gid'], [124, 12, 'size'], [136, 12, 'mtime']];
const USTAR_NUMBERS: readonly NumericField[] = [...V7_NUMBERS, [329, 8, 'devmajor'], [337, 8, 'devminor']];
const STAR_NUMBERS: readonly NumericField[] = [...USTAR_NUMBERS, [476, 12, 'atime'], [488, 12, 'ctime']];

/** The first numeric field Go parses in every header of the format that does not parse, or null. */
export function badNumber(b: Uint8Array, at: number, format: HeaderFormat): string | null {
  const fields = format === 'v7' ? V7_NUMBERS : format === 'star' ? STAR_NUMBERS : USTAR_NUMBERS;
  for (const [pos, len, name] of fields) if (Number.isNaN(numeric(b, at + pos, len))) return name;
  return null;
}

/** Field decoding for tar headers and PAX records. Pure functions over bytes. */
import type { EntryType } from '../store/rows.js';
import { applySparseRecord, type SparseRecords } from './sparse.js';

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
 * garbage.
 */
export function numeric(b: Uint8Array, at: number, len: number): number {
  const first = b[at]!;
  if (first & 0x80) {
    const negative = (first & 0x40) !== 0;
    let v = negative ? ~first & 0x7f : first & 0x7f;
    for (let i = 1; i < len; i++) {
      const c = negative ? ~b[at + i]! & 0xff : b[at + i]!;
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
 * Bytes of a name as a string. Names are bytes in tar (and on the filesystem a runtime extracts to): valid
 * UTF-8 is decoded as such; a byte that is not part of valid UTF-8 becomes the four characters `\xNN`, so
 * that two names differing in such bytes stay different (decoding them as U+FFFD would merge them).
 */
export function decodeName(b: Uint8Array, start: number, end: number): string {
  const s = Buffer.from(b.buffer, b.byteOffset + start, end - start).toString('utf8');
  if (!s.includes('\uFFFD')) return s;
  let out = '';
  let i = start;
  while (i < end) {
    const n = utf8Length(b, i, end);
    if (n === 0) out += '\\x' + b[i]!.toString(16).padStart(2, '0');
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

/** PAX keys imgscan uses; the rest are ignored. */
export interface PaxRecords {
  path?: string;
  linkpath?: string;
  size?: number;
  uid?: number;
  gid?: number;
  mtime?: number;
  /** GNU.sparse.* records (sparse.ts). */
  sparse?: SparseRecords;
}

/** Parses "<len> <key>=<value>\n" records into `into`. Returns an error message, or null. */
export function parsePax(b: Uint8Array, into: PaxRecords): string | null {
  const buf = Buffer.from(b.buffer, b.byteOffset, b.length);
  let i = 0;
  while (i < b.length) {
    if (b[i] === 0) break; // NUL padding after the last record
    let len = 0;
    let j = i;
    while (j < b.length && b[j]! >= 0x30 && b[j]! <= 0x39) len = len * 10 + (b[j++]! - 0x30);
    if (j === i || b[j] !== 0x20 || len <= j - i + 1 || i + len > b.length || b[i + len - 1] !== 0x0a) {
      return `malformed PAX record at offset ${i}`;
    }
    const eq = buf.indexOf(0x3d, j + 1);
    if (eq < 0 || eq >= i + len) return `PAX record without '=' at offset ${i}`;
    const key = buf.toString('latin1', j + 1, eq);
    const value = key === 'path' || key === 'linkpath' || key === 'GNU.sparse.name' ? decodeName(b, eq + 1, i + len - 1) : buf.toString('utf8', eq + 1, i + len - 1);
    const err = applyPax(key, value, into);
    if (err !== null) return err;
    i += len;
  }
  return null;
}

/** As Go's archive/tar merges them: an empty value keeps the header's field; a NUL in a name is invalid. */
function applyPax(key: string, value: string, into: PaxRecords): string | null {
  if (value === '' && !key.startsWith('GNU.sparse.')) return null;
  switch (key) {
    case 'path':
    case 'linkpath':
      if (value.includes('\0')) return `NUL in PAX ${key}`;
      into[key] = value;
      return null;
    case 'size':
    case 'uid':
    case 'gid': {
      if (!/^[+-]?\d+$/.test(value)) return `bad PAX ${key} '${value}'`;
      into[key] = Number(value);
      if (key === 'size' && into.size! < 0) return `negative PAX size '${value}'`;
      return null;
    }
    case 'mtime': {
      if (!/^[+-]?\d+(\.\d*)?$/.test(value)) return `bad PAX mtime '${value}'`;
      into.mtime = Number(value);
      return null;
    }
    default:
      return key.startsWith('GNU.sparse.') ? applySparseRecord(key, value, (into.sparse ??= {})) : null;
  }
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

/** The entry type of a header's type flag (null for types imgscan does not read); an old-style regular file with a trailing slash is a directory. */
export function entryType(flag: number, name: string): EntryType | null {
  switch (flag) {
    case 0: // old-style regular file; a trailing slash marks a directory
      return name.endsWith('/') ? 'dir' : 'file';
    case 0x30: // '0'
    case 0x37: // '7' contiguous
    case 0x53: // 'S' old GNU sparse
      return 'file';
    case 0x31:
      return 'hardlink';
    case 0x32:
      return 'symlink';
    case 0x33:
      return 'char';
    case 0x34:
      return 'block';
    case 0x35:
      return 'dir';
    case 0x36:
      return 'fifo';
    default:
      return null;
  }
}

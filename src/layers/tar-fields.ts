/** Field decoding for tar headers and PAX records. Pure functions over bytes. */
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
 * first byte is set (0x80 positive, 0xff negative). Returns NaN for garbage.
 */
export function numeric(b: Uint8Array, at: number, len: number): number {
  const first = b[at]!;
  if (first & 0x80) {
    const negative = first === 0xff;
    let v = negative ? ~first & 0x7f : first & 0x7f;
    for (let i = 1; i < len; i++) {
      const c = negative ? ~b[at + i]! & 0xff : b[at + i]!;
      v = v * 256 + c;
    }
    return negative ? -(v + 1) : v;
  }
  return octal(b, at, len);
}

function octal(b: Uint8Array, at: number, len: number): number {
  let i = at;
  const end = at + len;
  while (i < end && (b[i] === 0x20 || b[i] === 0)) i++;
  if (i === end) return 0;
  let v = 0;
  for (; i < end; i++) {
    const c = b[i]!;
    if (c >= 0x30 && c <= 0x37) v = v * 8 + (c - 0x30);
    else if (c === 0x20 || c === 0) break;
    else return NaN;
  }
  for (; i < end; i++) if (b[i] !== 0x20 && b[i] !== 0) return NaN;
  return v;
}

/** A NUL-terminated UTF-8 string field. */
export function text(b: Uint8Array, at: number, len: number): string {
  let end = at;
  const max = at + len;
  while (end < max && b[end] !== 0) end++;
  if (end === at) return '';
  return Buffer.from(b.buffer, b.byteOffset + at, end - at).toString('utf8');
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
    const value = buf.toString('utf8', eq + 1, i + len - 1);
    const err = applyPax(key, value, into);
    if (err !== null) return err;
    i += len;
  }
  return null;
}

function applyPax(key: string, value: string, into: PaxRecords): string | null {
  switch (key) {
    case 'path':
      into.path = value;
      return null;
    case 'linkpath':
      into.linkpath = value;
      return null;
    case 'size':
    case 'uid':
    case 'gid': {
      if (!/^\d+$/.test(value)) return `bad PAX ${key} '${value}'`;
      into[key] = Number(value);
      return null;
    }
    case 'mtime': {
      if (!/^-?\d+(\.\d*)?$/.test(value)) return `bad PAX mtime '${value}'`;
      into.mtime = Number(value);
      return null;
    }
    default:
      return key.startsWith('GNU.sparse.') ? applySparseRecord(key, value, (into.sparse ??= {})) : null;
  }
}

/** Normalized path: no leading "./" or "/", no trailing "/", no "//" or "/./"; the root itself is ".". */
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
  if (out.includes('//') || out.includes('/./') || out.endsWith('/.')) {
    out = out.split('/').filter((seg) => seg !== '' && seg !== '.').join('/');
  }
  return out === '' ? '.' : out;
}

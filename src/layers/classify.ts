import { isUtf8 } from 'node:buffer';
import type { FileClass } from '../model/rows.js';

/** Bytes of content `classify` looks at. */
export const CLASSIFY_PREFIX = 4096;

/**
 * Class of a file from the first bytes of its content (up to CLASSIFY_PREFIX) and its full size.
 * Order: empty, then magic numbers, then text (valid UTF-8 without NUL), else other.
 */
export function classify(prefix: Uint8Array, size: number): FileClass {
  if (size === 0) return 'empty';
  const b = prefix.length > CLASSIFY_PREFIX ? prefix.subarray(0, CLASSIFY_PREFIX) : prefix;
  const n = b.length;
  if (n >= 4 && b[0] === 0x7f && b[1] === 0x45 && b[2] === 0x4c && b[3] === 0x46) return 'elf';
  if (n >= 2 && b[0] === 0x23 && b[1] === 0x21) return 'script';
  if (isArchive(b)) return 'archive';
  if (isPythonBytecode(b)) return 'python-bytecode';
  if (startsWith(b, SQLITE)) return 'sqlite';
  if (isImage(b)) return 'image';
  if (isText(b, n < size)) return 'text';
  return 'other';
}

const SQLITE = ascii('SQLite format 3\0');
const PNG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const XZ = [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00];
const ZSTD = [0x28, 0xb5, 0x2f, 0xfd];
const USTAR = ascii('ustar');

function isArchive(b: Uint8Array): boolean {
  if (b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b) return true; // gzip
  if (b.length >= 4 && b[0] === 0x50 && b[1] === 0x4b) {
    if ((b[2] === 3 && b[3] === 4) || (b[2] === 5 && b[3] === 6)) return true; // zip, jar, empty zip
  }
  if (b.length >= 3 && b[0] === 0x42 && b[1] === 0x5a && b[2] === 0x68) return true; // bzip2 "BZh"
  return startsWith(b, XZ) || startsWith(b, ZSTD) || startsWith(b, USTAR, 257);
}

/** CPython .pyc: a little-endian 16-bit magic then "\r\n". Python 2 used 20121..62211, Python 3 uses 3000+. */
function isPythonBytecode(b: Uint8Array): boolean {
  if (b.length < 4 || b[2] !== 0x0d || b[3] !== 0x0a) return false;
  const magic = b[0]! | (b[1]! << 8);
  return (magic >= 3000 && magic < 4000) || (magic >= 20000 && magic <= 62999);
}

function isImage(b: Uint8Array): boolean {
  if (startsWith(b, PNG)) return true;
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return true; // jpeg
  // gif: "GIF87a" or "GIF89a"
  return b.length >= 6 && b[0] === 0x47 && b[1] === 0x49 && b[2] === 0x46 && b[3] === 0x38 &&
    (b[4] === 0x37 || b[4] === 0x39) && b[5] === 0x61;
}

/**
 * Strict UTF-8 (no overlongs, surrogates or code points above U+10FFFF) and no NUL byte.
 * When `cut` is set the bytes are a prefix of a longer file, so a sequence cut at the end is accepted.
 */
export function isText(b: Uint8Array, cut: boolean): boolean {
  if (b.indexOf(0) >= 0) return false;
  if (isUtf8(b)) return true;
  if (!cut) return false;
  // Find the last lead byte within the final 4 bytes; accept if its sequence is cut short and valid so far.
  const n = b.length;
  let lead = n - 1;
  while (lead > 0 && lead > n - 4 && (b[lead]! & 0xc0) === 0x80) lead--;
  const need = seqLength(b[lead]!);
  if (need === 0 || lead + need <= n) return false;
  return isUtf8(b.subarray(0, lead)) && validPrefix(b, lead, n);
}

/** Length of the UTF-8 sequence a lead byte starts, 0 when it cannot start one. */
function seqLength(c: number): number {
  if (c >= 0xc2 && c <= 0xdf) return 2;
  if (c >= 0xe0 && c <= 0xef) return 3;
  if (c >= 0xf0 && c <= 0xf4) return 4;
  return 0;
}

/** The bytes of a cut sequence b[lead..n) could still begin a valid sequence. */
function validPrefix(b: Uint8Array, lead: number, n: number): boolean {
  const c = b[lead]!;
  let lo = 0x80;
  let hi = 0xbf;
  if (c === 0xe0) lo = 0xa0; // overlong
  else if (c === 0xed) hi = 0x9f; // surrogates
  else if (c === 0xf0) lo = 0x90; // overlong
  else if (c === 0xf4) hi = 0x8f; // above U+10FFFF
  for (let k = lead + 1; k < n; k++) {
    const ck = b[k]!;
    if (k === lead + 1 ? ck < lo || ck > hi : ck < 0x80 || ck > 0xbf) return false;
  }
  return true;
}

function startsWith(b: Uint8Array, magic: ArrayLike<number>, at = 0): boolean {
  if (b.length < at + magic.length) return false;
  for (let i = 0; i < magic.length; i++) if (b[at + i] !== magic[i]) return false;
  return true;
}

function ascii(s: string): Uint8Array {
  return Uint8Array.from(s, (ch) => ch.charCodeAt(0));
}

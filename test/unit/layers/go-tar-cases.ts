/**
 * Hand-built archives for the Go archive/tar differential test (go-tar.test.ts): each shows one rule of Go's
 * reader; `outcome` is what Go does with it, checked there against the reference program too.
 */
import { blocks, concat, paxRecords, ustarHeader, withChecksum } from './fixture.js';

export interface HandBuilt {
  name: string;
  bytes: Uint8Array;
  outcome: 'ok' | 'error';
}

const EOA = new Uint8Array(1024);
const enc = (s: string) => Buffer.from(s, 'latin1');

/** A ustar header with the given fields changed (bytes at their offsets), checksum recomputed. */
export function header(h: Parameters<typeof ustarHeader>[0], patch: [number, Uint8Array | string][] = []): Uint8Array {
  const b = ustarHeader(h);
  for (const [at, v] of patch) b.set(typeof v === 'string' ? enc(v) : v, at);
  return withChecksum(b);
}

/** A PAX 'x' header with raw payload bytes, and its data. */
export function paxRaw(payload: Uint8Array | string, type = 'x'): Uint8Array {
  const p = typeof payload === 'string' ? enc(payload) : payload;
  return concat([header({ name: 'PaxHeaders/x', size: p.length, type }), blocks(p)]);
}

/** A PAX header from records. */
export function pax(records: Record<string, string>, type = 'x'): Uint8Array {
  return paxRaw(paxRecords(records), type);
}

/** A regular file with its data; a name given as bytes is written as is. */
export function file(name: string | Uint8Array, content: string | Uint8Array, type = '0'): Uint8Array {
  const data = typeof content === 'string' ? enc(content) : content;
  const h = typeof name === 'string' ? header({ name, size: data.length, type }) : header({ name: '', size: data.length, type }, [[0, name]]);
  return concat([h, blocks(data)]);
}

export const handBuilt: HandBuilt[] = [
  { name: 'PAX record with an empty key', bytes: concat([paxRaw('6 =ab\n'), file('f', 'x'), EOA]), outcome: 'error' },
  { name: 'PAX record with a NUL in the key', bytes: concat([paxRaw('8 a\0b=c\n'), file('f', 'x'), EOA]), outcome: 'error' },
  { name: 'PAX path with a NUL', bytes: concat([paxRaw('12 path=a\0b\n'), file('f', 'x'), EOA]), outcome: 'error' },
  { name: 'PAX uname with a NUL', bytes: concat([paxRaw('13 uname=a\0b\n'), file('f', 'x'), EOA]), outcome: 'error' },
  { name: 'PAX xattr value with a NUL', bytes: concat([paxRaw('27 SCHILY.xattr.user.a=a\0b\n'), file('f', 'x'), EOA]), outcome: 'ok' },
  { name: 'PAX uname and path without NULs (the control)', bytes: concat([paxRaw('12 path=a.b\n13 uname=a.b\n'), file('f', 'x'), EOA]), outcome: 'ok' },
  { name: 'PAX records followed by NUL padding', bytes: concat([paxRaw('10 path=a\n\0\0\0'), file('f', 'x'), EOA]), outcome: 'error' },
  { name: 'PAX record length with a plus sign', bytes: concat([paxRaw('+12 path=ab\n'), file('f', 'x'), EOA]), outcome: 'ok' },
  { name: 'PAX record length below 5', bytes: concat([paxRaw('4 a=\n'), file('f', 'x'), EOA]), outcome: 'error' },
  { name: 'PAX bad uid on a header followed by another', bytes: concat([pax({ uid: 'x' }), pax({ path: 'p' }), file('f', 'x'), EOA]), outcome: 'ok' },
  { name: 'PAX bad mtime then end of archive', bytes: concat([pax({ mtime: 'x' }), EOA]), outcome: 'ok' },
  { name: 'PAX bad ctime', bytes: concat([pax({ ctime: '1.x' }), file('f', 'x'), EOA]), outcome: 'error' },
  { name: 'PAX uid past 64 bits', bytes: concat([pax({ uid: '9223372036854775808' }), file('f', 'x'), EOA]), outcome: 'error' },
  { name: 'global PAX header with a bad size', bytes: concat([pax({ size: 'x' }, 'g'), file('f', 'x'), EOA]), outcome: 'ok' },
  { name: 'PAX negative size on a directory', bytes: concat([pax({ size: '-5' }), header({ name: 'd/', size: 0, type: '5' }), EOA]), outcome: 'ok' },
  { name: 'PAX negative size on a file', bytes: concat([pax({ size: '-5' }), header({ name: 'f', size: 0, type: '0' }), EOA]), outcome: 'error' },
  { name: 'PAX header then end of file', bytes: pax({ path: 'p' }), outcome: 'ok' },
  { name: 'PAX header, half its padding', bytes: pax({ path: 'p' }).subarray(0, 512 + 20), outcome: 'ok' },
  { name: 'PAX header, data cut', bytes: pax({ path: 'p' }).subarray(0, 512 + 5), outcome: 'error' },
  { name: 'file data complete, padding cut', bytes: concat([file('a', 'aaa'), file('b', 'hello')]).subarray(0, 1024 + 512 + 5 + 3), outcome: 'ok' },
  { name: 'file data cut', bytes: concat([file('a', 'aaa'), file('b', 'hello')]).subarray(0, 1024 + 512 + 3), outcome: 'error' },
  { name: 'one zero block then end', bytes: concat([file('a', 'aaa'), new Uint8Array(512)]), outcome: 'ok' },
  { name: 'GNU dumpdir D', bytes: concat([file('dump/', 'Yfile\0Nother\0\0', 'D'), file('x', 'y'), EOA]), outcome: 'ok' },
  { name: 'Solaris ACL A', bytes: concat([file('acl', 'user::rw-\n', 'A'), EOA]), outcome: 'ok' },
  { name: 'GNU volume label V', bytes: concat([file('label', '', 'V'), file('x', 'y'), EOA]), outcome: 'ok' },
  { name: 'unknown flag Q with data', bytes: concat([file('q', 'data of q', 'Q'), EOA]), outcome: 'ok' },
  { name: 'GNU multivolume M', bytes: concat([file('m', 'continued', 'M'), EOA]), outcome: 'ok' },
  {
    name: 'names with 0xFF, a literal \\xff and a backslash',
    bytes: concat([file(Buffer.from([0x61, 0xff]), 'one'), file('a\\xff', 'two'), file('b\\c', 'three'), EOA]),
    outcome: 'ok',
  },
  {
    name: 'ustar header with a bad devmajor on a file',
    bytes: concat([header({ name: 'f', size: 0, type: '0' }, [[329, 'zz']]), EOA]),
    outcome: 'error',
  },
  {
    name: 'v7 header: no prefix, devmajor not read',
    bytes: concat([header({ name: 'f', size: 0, type: '0' }, [[257, new Uint8Array(8)], [329, 'zz'], [345, 'pre']]), EOA]),
    outcome: 'ok',
  },
  {
    name: 'GNU header with valid times: no prefix',
    bytes: concat([header({ name: 'f', size: 0, type: '0' }, [[257, 'ustar  \0'], [345, '00000000000\0'], [357, '00000000000\0']]), EOA]),
    outcome: 'ok',
  },
  {
    name: 'GNU header with a bad atime and a non-ASCII prefix',
    bytes: concat([header({ name: 'f', size: 0, type: '0' }, [[257, 'ustar  \0'], [345, 'pr\xe9fix']]), EOA]),
    outcome: 'ok',
  },
  {
    name: 'star header: 131-byte prefix and bad atime',
    bytes: concat([header({ name: 'f', size: 0, type: '0' }, [[508, 'tar\0'], [345, 'pre'], [476, 'zz']]), EOA]),
    outcome: 'error',
  },
  {
    name: 'negative size on a directory (base-256)',
    bytes: concat([header({ name: 'd', size: 0, type: '5' }, [[124, new Uint8Array(12).fill(0xff)]]), EOA]),
    outcome: 'ok',
  },
  {
    name: 'base-256 mtime past 63 bits',
    bytes: concat([header({ name: 'f', size: 0, type: '0' }, [[136, new Uint8Array([0xc0, ...new Array(11).fill(0xff)])]]), EOA]),
    outcome: 'error',
  },
  {
    name: 'old GNU sparse in a ustar header',
    bytes: concat([header({ name: 's', size: 0, type: 'S' }), EOA]),
    outcome: 'error',
  },
];

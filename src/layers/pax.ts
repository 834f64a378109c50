/**
 * PAX extended headers as Go's archive/tar (what Docker and containerd extract layers with) reads them: the
 * payload is parsed whole when the header is read (record syntax, keys, NULs), the values are checked only when
 * they are merged into the entry that follows.
 */
import { decodeName } from './tar-fields.js';

/** Records of one 'x' or 'g' header: key (as latin1, byte for byte) to value bytes; a later record wins. */
export type PaxRecords = Map<string, Uint8Array>;

/** The fields of the PAX records an entry uses, checked (see mergePax). */
export interface PaxFields {
  path?: string;
  linkpath?: string;
  size?: number;
  uid?: number;
  gid?: number;
  mtime?: number;
}

const latin1 = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.length).toString('latin1');

/**
 * Parses "<len> <key>=<value>\n" records over the whole payload (no NUL padding allowed). GNU sparse 0.0
 * offset/numbytes records must alternate and are joined into one GNU.sparse.map. Returns an error or the records.
 */
export function parsePax(b: Uint8Array): PaxRecords | string {
  const records: PaxRecords = new Map();
  const sparseMap: string[] = [];
  let i = 0;
  while (i < b.length) {
    const sp = b.indexOf(0x20, i);
    const len = sp < 0 ? null : goParseInt(latin1(b.subarray(i, sp)));
    if (len === null || len < 5 || len > b.length - i || len <= sp + 1 - i || b[i + len - 1] !== 0x0a) {
      return `malformed PAX record at offset ${i}`;
    }
    const end = i + len - 1;
    const eq = b.indexOf(0x3d, sp + 1);
    if (eq < 0 || eq >= end) return `PAX record without '=' at offset ${i}`;
    const key = latin1(b.subarray(sp + 1, eq));
    const value = b.subarray(eq + 1, end);
    const err = checkRecord(key, value);
    if (err !== null) return `${err} at offset ${i}`;
    if (key === 'GNU.sparse.offset' || key === 'GNU.sparse.numbytes') {
      const v = latin1(value);
      if ((key === 'GNU.sparse.offset') !== (sparseMap.length % 2 === 0) || v.includes(',')) {
        return `bad PAX ${key} record at offset ${i} (offset and numbytes records must alternate)`;
      }
      sparseMap.push(v);
    } else records.set(key, value.slice());
    i += len;
  }
  if (sparseMap.length > 0) records.set('GNU.sparse.map', Buffer.from(sparseMap.join(','), 'latin1'));
  return records;
}

/** A record is invalid with an empty key, a NUL in the key, or a NUL in a path, linkpath, uname or gname. */
function checkRecord(key: string, value: Uint8Array): string | null {
  if (key === '') return 'PAX record with an empty key';
  if (key === 'path' || key === 'linkpath' || key === 'uname' || key === 'gname') {
    return value.includes(0) ? `NUL in PAX ${key}` : null;
  }
  return key.includes('\0') ? 'NUL in a PAX key' : null;
}

/**
 * The fields of an entry's records, as Go merges them: an empty value keeps the header's field; uid, gid and
 * size must be integers, atime, ctime and mtime PAX times. Returns an error or the fields.
 */
export function mergePax(records: PaxRecords): PaxFields | string {
  const f: PaxFields = {};
  for (const [key, bytes] of records) {
    if (bytes.length === 0) continue;
    switch (key) {
      case 'path':
      case 'linkpath':
        f[key] = decodeName(bytes, 0, bytes.length);
        break;
      case 'size':
      case 'uid':
      case 'gid':
      case 'atime':
      case 'ctime':
      case 'mtime': {
        const value = latin1(bytes);
        const n = key.endsWith('time') ? paxTime(value) : goParseInt(value);
        if (n === null) return `bad PAX ${key} '${value}'`;
        if (key !== 'atime' && key !== 'ctime') f[key] = n;
        break;
      }
    }
  }
  return f;
}

/** A value of a record, as text (latin1), or undefined when absent. */
export function paxText(records: PaxRecords | null, key: string): string | undefined {
  const v = records?.get(key);
  return v === undefined ? undefined : latin1(v);
}

/** Seconds with an optional fraction ("-1.5"), or null. */
function paxTime(s: string): number | null {
  const dot = s.indexOf('.');
  const secs = goParseInt(dot < 0 ? s : s.slice(0, dot));
  if (secs === null) return null;
  const frac = dot < 0 ? '' : s.slice(dot + 1);
  if (!/^\d*$/.test(frac)) return null;
  if (frac === '') return secs;
  const f = Number(`0.${frac.slice(0, 9)}`);
  return s.startsWith('-') ? secs - f : secs + f;
}

const INT64_MAX = 2n ** 63n - 1n;

/** A signed decimal 64-bit integer as Go's strconv.ParseInt(s, 10, 64) accepts it, or null. */
export function goParseInt(s: string): number | null {
  if (!/^[+-]?\d+$/.test(s)) return null;
  if (s.length > 18) {
    const v = BigInt(s);
    if (v > INT64_MAX || v < -INT64_MAX - 1n) return null;
  }
  return Number(s);
}

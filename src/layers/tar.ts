import { ImgscanError } from '../errors.js';
import type { EntryType } from '../model/rows.js';
import { mergePax, parsePax, type PaxFields, type PaxRecords } from './pax.js';
import { checkMap, checkStored, paxSparse, SparseExpander, SparseMap1Reader, type Sparse, type SparseMap } from './sparse.js';
import {
  badNumber, BLOCK, checksumOk, decodeName, entryType, headerFormat, headerName, headerOnly, isZeroBlock, normalizePath, numeric, text,
  type HeaderFormat,
} from './tar-fields.js';

/** One archive member as the visitor sees it (metadata headers already applied). */
export interface TarHeader {
  /** Index among visible entries, from 0. */
  index: number;
  /** Normalized path (see normalizePath). */
  path: string;
  type: EntryType;
  /** Content bytes: the data delivered for 'file', 0 for every other type. */
  size: number;
  mode: number;
  uid: number;
  gid: number;
  /** Seconds since the epoch; PAX may give fractions. */
  mtime: number;
  /** Symlink target as stored, or hardlink source path normalized. */
  linkTarget: string | null;
  devMajor: number | null;
  devMinor: number | null;
  /** Byte offset of the entry's first header (metadata headers included) in the tar stream. */
  offset: number;
}

/** Callbacks of TarParser. `data` slices are views of the pushed chunk, valid only during the call. */
export interface TarVisitor {
  entry(header: TarHeader): void;
  data(slice: Uint8Array): void;
  entryEnd(): void;
}

const enum State { Header, Data, Padding, End }

/** Where a data section goes: the visitor, nowhere, a metadata payload, a sparse file's map or its regions. */
const enum Sink { Visitor, Skip, Meta, SparseMap, Sparse }

/** Largest PAX / GNU long-name payload accepted (as in Go). */
const MAX_META = 1 << 20;


/**
 * Incremental, synchronous tar reader: V7, ustar, star, GNU (long names 'L'/'K', base-256 numbers, sparse files)
 * and PAX (GNU sparse 0.0, 0.1 and 1.0 too). A sparse file is delivered as its content: its stored regions with
 * zeros in the holes, `size` the file's size. Every archive reads as Go's archive/tar reads it, which is what
 * Docker and containerd extract layers with (test/unit/layers/go-tar.test.ts compares the two): the last 'x'
 * header before an entry applies to it, empty PAX values keep the header's field, 'L'/'K' names win over PAX
 * path/linkpath, a global 'g' header changes no entry (the runtimes skip it), and the archive may end, cleanly,
 * on a header boundary, after one zero block, or in the padding after an entry's data. Push chunks of any size
 * in order, then `end()`. Corrupt or truncated input throws ImgscanError('TAR_INVALID') naming the byte offset
 * and the entry the bad bytes belong to.
 */
export class TarParser {
  private state = State.Header;
  /** Offset in the stream of the current chunk's first byte. */
  private base = 0;
  private readonly hdr = new Uint8Array(BLOCK);
  private hdrFill = 0;
  private remaining = 0;
  private padding = 0;
  private sink = Sink.Skip;
  private meta: Uint8Array | null = null;
  private metaFill = 0;
  private metaType = 0;
  private zeroBlocks = 0;
  private entries = 0;
  private current: TarHeader | null = null;
  /** The entry whose header is read but which is not announced yet (its sparse map is still to come). */
  private pending: { h: TarHeader; sparse: Sparse } | null = null;
  /** Offset of the first header of the entry being assembled (-1 when none). */
  private entryStart = -1;
  private local: PaxRecords | null = null;
  private longName: string | null = null;
  private longLink: string | null = null;
  /** An old GNU sparse entry's extension blocks are still to come (the entry is `pending`). */
  private sparseExt = false;
  /** PAX 1.0 sparse entry reading the map at the start of its data (the entry is `pending`). */
  private map1: { reader: SparseMap1Reader; read: number } | null = null;
  private expander: SparseExpander | null = null;
  private holes = 0;
  /** The current entry's name before normalization (the trailing-slash rule of old-style entries reads it). */
  private rawName = '';

  private tap: ((slice: Uint8Array) => void) | null = null;

  constructor(private readonly visitor: TarVisitor) {}

  /**
   * Hands `fn` every byte of the stream that is not file content, in order: headers, PAX and GNU metadata
   * payloads, sparse maps, data of entries that are not files, padding and what follows the end. Their total is
   * tar_size - (files_size - sparse_hole_size), the layer's metadata of docs/metrics.md.
   */
  tapMetadata(fn: (slice: Uint8Array) => void): void {
    this.tap = fn;
  }

  /** Entries delivered so far. */
  get entryCount(): number {
    return this.entries;
  }

  /** Bytes of holes in the sparse files read so far: in their sizes, not stored in the archive. */
  get sparseHoleSize(): number {
    return this.holes;
  }

  push(chunk: Uint8Array): void {
    const len = chunk.length;
    let pos = 0;
    let tapFrom = 0;
    while (pos < len) {
      switch (this.state) {
        case State.Header:
          if (this.hdrFill === 0 && len - pos >= BLOCK) {
            this.header(chunk, pos, this.base + pos);
            pos += BLOCK;
          } else {
            const n = Math.min(BLOCK - this.hdrFill, len - pos);
            this.hdr.set(chunk.subarray(pos, pos + n), this.hdrFill);
            this.hdrFill += n;
            pos += n;
            if (this.hdrFill === BLOCK) {
              this.hdrFill = 0;
              this.header(this.hdr, 0, this.base + pos - BLOCK);
            }
          }
          break;
        case State.Data: {
          if (this.sink === Sink.SparseMap) {
            pos = this.sparseMap(chunk, pos);
            break;
          }
          const n = Math.min(this.remaining, len - pos);
          if (this.tap !== null && (this.sink === Sink.Visitor || this.sink === Sink.Sparse)) {
            if (pos > tapFrom) this.tap(chunk.subarray(tapFrom, pos));
            tapFrom = pos + n;
          }
          if (this.sink === Sink.Visitor) this.visitor.data(chunk.subarray(pos, pos + n));
          else if (this.sink === Sink.Sparse) this.expander!.data(chunk.subarray(pos, pos + n));
          else if (this.sink === Sink.Meta) {
            this.meta!.set(chunk.subarray(pos, pos + n), this.metaFill);
            this.metaFill += n;
          }
          this.remaining -= n;
          pos += n;
          if (this.remaining === 0) this.dataDone();
          break;
        }
        case State.Padding: {
          const n = Math.min(this.padding, len - pos);
          this.padding -= n;
          pos += n;
          if (this.padding === 0) this.state = State.Header;
          break;
        }
        case State.End:
          pos = len;
          break;
      }
    }
    if (this.tap !== null && tapFrom < len) this.tap(chunk.subarray(tapFrom, len));
    this.base += len;
  }

  /**
   * Checks the archive ends where Go's archive/tar ends cleanly: on a header boundary, after one zero block, or
   * in the padding after an entry's data. Anywhere else (in a header, in the data of an entry or of a metadata
   * header, before a sparse entry's map) it is truncated.
   */
  end(): void {
    const at = this.base;
    if (this.state === State.End || this.state === State.Padding) return;
    if (this.state === State.Header && this.hdrFill === 0) {
      if (this.sparseExt) throw this.invalid(at, 'truncated: archive ends before the sparse extension headers');
      return;
    }
    if (this.state === State.Header) throw this.invalid(at, `truncated: EOF inside a header (${this.hdrFill} of 512 bytes)`);
    const what = this.sink === Sink.Meta ? 'metadata header data' : this.sink === Sink.SparseMap ? 'sparse map' : 'entry data';
    throw this.invalid(at, `truncated: EOF inside ${what}, ${this.remaining} bytes missing`);
  }

  private header(b: Uint8Array, at: number, offset: number): void {
    if (this.sparseExt) {
      this.sparseExtension(b, at, offset);
      return;
    }
    if (isZeroBlock(b, at)) {
      if (++this.zeroBlocks === 2) this.state = State.End;
      return;
    }
    if (this.zeroBlocks > 0) throw this.invalid(offset, 'a zero block followed by a non-zero header');
    if (!checksumOk(b, at)) throw this.invalid(offset, 'header checksum mismatch');
    if (this.entryStart < 0) this.entryStart = offset;
    const format = headerFormat(b, at);
    const bad = badNumber(b, at, format);
    if (bad !== null) throw this.invalid(offset, `bad ${bad} field`);
    const flag = b[at + 156]!;
    const size = numeric(b, at + 124, 12);
    if (size < 0 && !headerOnly(flag, '')) throw this.invalid(offset, 'negative size field');

    // Metadata headers: their payload applies to the next entry ('g': to none).
    if (flag === 0x78 /* x */ || flag === 0x67 /* g */ || flag === 0x4c /* L */ || flag === 0x4b /* K */) {
      if (size > MAX_META) throw this.invalid(offset, `metadata header of ${size} bytes`);
      this.meta = new Uint8Array(size);
      this.metaFill = 0;
      this.metaType = flag;
      this.startData(size, Sink.Meta);
      return;
    }
    const fields = this.local === null ? {} : mergePax(this.local);
    if (typeof fields === 'string') throw this.invalid(offset, fields);
    const h = this.entryHeader(b, at, offset, flag, format, fields);
    const dataSize = headerOnly(flag, this.rawName) ? 0 : (fields.size ?? size);
    if (dataSize < 0) throw this.invalid(offset, `negative size ${dataSize}`);
    const sparse = flag === 0x53 ? this.oldGnuSparse(b, at, offset, format, dataSize) : this.paxSparse(h, flag, offset, dataSize);
    this.dropMeta();
    if (sparse === null) {
      this.announce(h);
      this.startData(dataSize, h.type === 'file' ? Sink.Visitor : Sink.Skip);
      return;
    }
    if (h.type === 'file') h.size = sparse.realsize;
    this.pending = { h, sparse };
    if (b[at + 482] !== 0 && flag === 0x53) this.sparseExt = true;
    else this.startSparse();
  }

  /** Hands a header to the visitor; from here on errors name it. */
  private announce(h: TarHeader): void {
    this.entries++;
    this.current = h;
    this.entryStart = -1;
    this.visitor.entry(h);
  }

  /** An old GNU sparse header ('S', GNU format only): regions in the header, maybe more in extension blocks. */
  private oldGnuSparse(b: Uint8Array, at: number, offset: number, format: HeaderFormat, stored: number): Sparse {
    if (format !== 'gnu') throw this.invalid(offset, `old GNU sparse entry in a ${format} header`);
    const map: SparseMap = [];
    this.oldGnuRegions(b, at + 386, 4, map, offset);
    return { map, realsize: this.field(b, at, 483, 12, 'sparse realsize', offset), stored };
  }

  /** An entry described as sparse by GNU.sparse.* PAX records, or null. Header-only types cannot be sparse. */
  private paxSparse(h: TarHeader, flag: number, offset: number, stored: number): Sparse | null {
    const s = paxSparse(this.local);
    if (s === null) return null;
    if (typeof s === 'string') throw this.invalid(offset, s);
    if (headerOnly(flag, this.rawName)) throw this.invalid(offset, `sparse records on a '${String.fromCharCode(flag)}' entry`);
    if (s.name !== undefined) {
      h.path = normalizePath(s.name);
      h.type = entryType(flag, s.name, h.path);
    }
    return { map: s.map ?? null, realsize: s.realsize ?? stored, stored };
  }

  private oldGnuRegions(b: Uint8Array, at: number, count: number, into: SparseMap, offset: number): void {
    for (let i = 0; i < count; i++) {
      const o = at + i * 24;
      if (b[o] === 0) break; // an empty offset field ends the list, as in GNU tar
      into.push(this.field(b, o, 0, 12, 'sparse offset', offset), this.field(b, o, 12, 12, 'sparse length', offset));
    }
  }

  /** An extension block of an old GNU sparse header: 21 regions, then whether another block follows. */
  private sparseExtension(b: Uint8Array, at: number, offset: number): void {
    this.oldGnuRegions(b, at, 21, this.pending!.sparse.map!, offset);
    if (b[at + 504] !== 0) return;
    this.sparseExt = false;
    this.startSparse();
  }

  /** Starts reading a pending sparse entry: its map from the data first (1.0), or its regions. */
  private startSparse(): void {
    const { h, sparse } = this.pending!;
    if (sparse.map === null) {
      if (sparse.stored < BLOCK) throw this.invalid(h.offset, 'truncated sparse map');
      this.map1 = { reader: new SparseMap1Reader(), read: 0 };
      this.startData(sparse.stored, Sink.SparseMap);
      return;
    }
    this.expandRegions(h.offset, sparse.stored);
    this.startData(sparse.stored, Sink.Sparse);
  }

  /** Checks a sparse map, announces the entry, and expands its `stored` bytes of regions from here on. */
  private expandRegions(offset: number, stored: number): void {
    const { h, sparse } = this.pending!;
    const err = checkMap(sparse.map!, sparse.realsize);
    if (err !== null) throw this.invalid(offset, err);
    this.pending = null;
    this.announce(h);
    const missing = checkStored(sparse.map!, stored);
    if (missing !== null) throw this.invalid(offset, missing);
    const file = h.type === 'file';
    if (file) this.holes += sparse.realsize - stored;
    this.expander = new SparseExpander(sparse.map!, sparse.realsize, file ? (slice) => this.visitor.data(slice) : () => undefined);
  }

  /** Reads a PAX 1.0 map at the start of the data, up to a block boundary at a time; returns the new position. */
  private sparseMap(chunk: Uint8Array, pos: number): number {
    const m = this.map1!;
    const n = Math.min(this.remaining, chunk.length - pos, BLOCK - (m.read % BLOCK));
    const err = m.reader.push(chunk.subarray(pos, pos + n));
    const at = this.base + pos;
    if (err !== null) throw this.invalid(at, err);
    m.read += n;
    this.remaining -= n;
    if (m.read % BLOCK !== 0) return pos + n;
    if (m.reader.done) {
      this.map1 = null;
      this.pending!.sparse.map = m.reader.map;
      this.expandRegions(at, this.remaining);
      this.sink = Sink.Sparse;
    } else if (this.remaining < BLOCK) throw this.invalid(at, 'truncated sparse map');
    if (this.remaining === 0) this.dataDone();
    return pos + n;
  }

  /** The entry's header, the PAX fields and GNU long names applied (Go: PAX, then 'L'/'K' over it). */
  private entryHeader(b: Uint8Array, at: number, offset: number, flag: number, format: HeaderFormat, f: PaxFields): TarHeader {
    const name = this.longName ?? f.path ?? headerName(b, at, format);
    this.rawName = name;
    const rawLink = this.longLink ?? f.linkpath ?? text(b, at + 157, 100);
    const path = normalizePath(name);
    const type = entryType(flag, name, path);
    const device = type === 'char' || type === 'block';
    return {
      index: this.entries,
      path,
      type,
      size: type === 'file' ? (f.size ?? numeric(b, at + 124, 12)) : 0,
      mode: this.field(b, at, 100, 8, 'mode', offset) & 0o7777,
      uid: f.uid ?? this.field(b, at, 108, 8, 'uid', offset),
      gid: f.gid ?? this.field(b, at, 116, 8, 'gid', offset),
      mtime: f.mtime ?? this.field(b, at, 136, 12, 'mtime', offset),
      linkTarget: type === 'symlink' ? rawLink : type === 'hardlink' ? normalizePath(rawLink) : null,
      devMajor: device ? this.field(b, at, 329, 8, 'devmajor', offset) : null,
      devMinor: device ? this.field(b, at, 337, 8, 'devminor', offset) : null,
      offset: this.entryStart,
    };
  }

  /** A numeric header field; garbage is TAR_INVALID. */
  private field(b: Uint8Array, at: number, pos: number, len: number, name: string, offset: number): number {
    const v = numeric(b, at + pos, len);
    if (Number.isNaN(v)) throw this.invalid(offset, `bad ${name} field`);
    return v;
  }

  private startData(size: number, sink: Sink): void {
    this.sink = sink;
    this.remaining = size;
    this.padding = (BLOCK - (size % BLOCK)) % BLOCK;
    if (size > 0) this.state = State.Data;
    else this.dataDone();
  }

  private dataDone(): void {
    this.state = this.padding > 0 ? State.Padding : State.Header;
    if (this.sink === Sink.Meta) this.metaDone();
    else if (this.current !== null) {
      if (this.expander !== null) {
        this.expander.end();
        this.expander = null;
      }
      this.current = null;
      this.visitor.entryEnd();
    }
  }

  private metaDone(): void {
    const payload = this.meta!;
    this.meta = null;
    const at = this.entryStart;
    if (this.metaType === 0x4c || this.metaType === 0x4b) {
      let end = payload.indexOf(0);
      if (end < 0) end = payload.length;
      const s = decodeName(payload, 0, end);
      // An empty name keeps the header's field.
      if (s === '') return;
      if (this.metaType === 0x4c) this.longName = s;
      else this.longLink = s;
      return;
    }
    // Each 'x' header replaces the one before it (its values are checked when merged into the entry); a 'g'
    // header is checked, then dropped with what came before it (Go's reader returns it as an entry of its own,
    // which the runtimes skip).
    const records = parsePax(payload);
    if (typeof records === 'string') throw this.invalid(at, records);
    if (this.metaType === 0x67) {
      this.entryStart = -1;
      this.dropMeta();
    } else this.local = records;
  }

  /** Forgets the metadata headers read since the last entry. */
  private dropMeta(): void {
    this.local = null;
    this.longName = null;
    this.longLink = null;
  }

  private invalid(offset: number, message: string): ImgscanError {
    const h = this.current ?? this.pending?.h;
    const entry = h ? `entry ${h.index} (${h.path})` : `entry ${this.entries}`;
    return new ImgscanError('TAR_INVALID', `tar: ${message} at byte offset ${offset}, ${entry}`);
  }
}

import { ImgscanError } from '../errors.js';
import type { EntryType } from '../store/rows.js';
import {
  BLOCK, checksumOk, decodeName, entryType, fieldIs, isZeroBlock, normalizePath, numeric, parsePax, text, type PaxRecords,
} from './tar-fields.js';
import { checkMap, recordsMap, SparseExpander, sparseForm, SparseMap1Reader, type SparseMap } from './sparse.js';

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

/** Largest PAX / GNU long-name payload accepted. */
const MAX_META = 1 << 20;

/**
 * Incremental, synchronous tar reader: ustar, GNU (long names 'L'/'K', base-256 numbers, sparse files) and PAX
 * (GNU sparse 0.0, 0.1 and 1.0 too). A sparse file is delivered as its content: its stored regions with zeros
 * in the holes, `size` the file's size. Entries read as Go's archive/tar reads them, which is what Docker and
 * containerd extract layers with: the last 'x' header before an entry applies to it, empty PAX values keep the
 * header's field, 'L'/'K' names win over PAX path/linkpath, and a global 'g' header changes no entry (the
 * runtimes skip it). Push chunks of any size in order, then `end()`. Corrupt or truncated input throws
 * ImgscanError('TAR_INVALID') naming the byte offset and entry.
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
  /** Offset of the first header of the entry being assembled (-1 when none). */
  private entryStart = -1;
  private local: PaxRecords | null = null;
  private longName: string | null = null;
  private longLink: string | null = null;
  /** Old GNU sparse entry whose extension blocks are still to come. */
  private sparseExt: { map: SparseMap; realsize: number; dataSize: number } | null = null;
  /** PAX 1.0 sparse entry reading the map at the start of its data. */
  private map1: { reader: SparseMap1Reader; read: number; realsize: number } | null = null;
  private expander: SparseExpander | null = null;
  private holes = 0;

  constructor(private readonly visitor: TarVisitor) {}

  /** Entries delivered so far. */
  get entryCount(): number {
    return this.entries;
  }

  /** Bytes of holes in the sparse files read so far: in their sizes, not stored in the archive. */
  get sparseHoleSize(): number {
    return this.holes;
  }

  /** True once the end-of-archive marker (two zero blocks) was read. */
  get ended(): boolean {
    return this.state === State.End;
  }

  push(chunk: Uint8Array): void {
    const len = chunk.length;
    let pos = 0;
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
    this.base += len;
  }

  /** Checks the archive is complete. EOF on a header boundary is accepted as the end, as Go's archive/tar does. */
  end(): void {
    const at = this.base;
    if (this.state === State.End) return;
    if (this.state === State.Header && this.hdrFill === 0) {
      if (this.entryStart >= 0) throw this.invalid(at, 'truncated: archive ends after a metadata header');
      if (this.sparseExt !== null) throw this.invalid(at, 'truncated: archive ends before the sparse extension headers');
      return;
    }
    if (this.state === State.Header) throw this.invalid(at, `truncated: EOF inside a header (${this.hdrFill} of 512 bytes)`);
    const missing = this.state === State.Data ? this.remaining + this.padding : this.padding;
    throw this.invalid(at, `truncated: EOF inside entry data, ${missing} bytes missing`);
  }

  private header(b: Uint8Array, at: number, offset: number): void {
    if (this.sparseExt !== null) {
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
    const flag = b[at + 156]!;
    const size = this.field(b, at, 124, 12, 'size', offset);
    if (size < 0) throw this.invalid(offset, 'negative size field');

    // Metadata headers: their payload applies to the next entry ('g': to all following entries).
    if (flag === 0x78 /* x */ || flag === 0x67 /* g */ || flag === 0x4c /* L */ || flag === 0x4b /* K */) {
      if (size > MAX_META) throw this.invalid(offset, `metadata header of ${size} bytes`);
      this.meta = new Uint8Array(size);
      this.metaFill = 0;
      this.metaType = flag;
      this.startData(size, Sink.Meta);
      return;
    }

    const { h, hasData } = this.entryHeader(b, at, offset, flag, size);
    const dataSize = hasData ? (this.local?.size ?? size) : 0;
    this.current = h;
    const sparse = h.type !== 'file' ? null : flag === 0x53 ? this.oldGnuSparse(b, at, h.offset) : this.paxSparse(h.offset, dataSize);
    if (sparse !== null) h.size = sparse.realsize;
    this.entryStart = -1;
    this.local = null;
    this.longName = null;
    this.longLink = null;
    this.visitor.entry(h);
    if (sparse === null) this.startData(dataSize, h.type === 'file' ? Sink.Visitor : Sink.Skip);
    else if (sparse.map === 'in-data') {
      this.map1 = { reader: new SparseMap1Reader(), read: 0, realsize: sparse.realsize };
      this.startData(dataSize, Sink.SparseMap);
    } else if (sparse.extended) this.sparseExt = { map: sparse.map, realsize: sparse.realsize, dataSize };
    else this.startSparse(sparse.map, sparse.realsize, dataSize, h.offset);
  }

  /** An old GNU sparse header ('S'): regions in the header, maybe more in extension blocks that follow. */
  private oldGnuSparse(b: Uint8Array, at: number, offset: number): { map: SparseMap; realsize: number; extended: boolean } {
    const map: SparseMap = [];
    this.oldGnuRegions(b, at + 386, 4, map, offset);
    return { map, realsize: this.field(b, at, 483, 12, 'sparse realsize', offset), extended: b[at + 482] !== 0 };
  }

  /** A regular file described as sparse by GNU.sparse.* PAX records, or null. */
  private paxSparse(offset: number, dataSize: number): { map: SparseMap | 'in-data'; realsize: number; extended: false } | null {
    const records = this.local?.sparse;
    const form = sparseForm(records);
    if (form === null) return null;
    const realsize = records!.realsize ?? dataSize;
    if (form === '1.0') return { map: 'in-data', realsize, extended: false };
    const map = recordsMap(records!);
    if (typeof map === 'string') throw this.invalid(offset, map);
    return { map, realsize, extended: false };
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
    const ext = this.sparseExt!;
    this.oldGnuRegions(b, at, 21, ext.map, offset);
    if (b[at + 504] !== 0) return;
    this.sparseExt = null;
    this.startSparse(ext.map, ext.realsize, ext.dataSize, offset);
  }

  private startSparse(map: SparseMap, realsize: number, stored: number, offset: number): void {
    this.expandRegions(map, realsize, stored, offset);
    this.startData(stored, Sink.Sparse);
  }

  /** Checks a sparse map against the bytes stored, counts its holes and expands the regions from here on. */
  private expandRegions(map: SparseMap, realsize: number, stored: number, offset: number): void {
    const err = checkMap(map, realsize, stored);
    if (err !== null) throw this.invalid(offset, err);
    this.holes += realsize - stored;
    this.expander = new SparseExpander(map, realsize, (slice) => this.visitor.data(slice));
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
    if (m.read % BLOCK === 0 || this.remaining === 0) {
      if (m.reader.done) {
        this.map1 = null;
        this.expandRegions(m.reader.map, m.realsize, this.remaining, at);
        this.sink = Sink.Sparse;
      } else if (this.remaining === 0) throw this.invalid(at, 'truncated sparse map');
    }
    if (this.remaining === 0) this.dataDone();
    return pos + n;
  }

  /** The entry's header, and whether data follows it (header-only types have none whatever the size field says). */
  private entryHeader(b: Uint8Array, at: number, offset: number, flag: number, rawSize: number): { h: TarHeader; hasData: boolean } {
    const local = this.local;
    let name = this.longName ?? local?.path;
    if (name === undefined) {
      name = text(b, at, 100);
      // ustar prefix field (155 bytes; 130 in star archives, which end with "tar\0").
      if (fieldIs(b, at + 257, 'ustar\0')) {
        const star = fieldIs(b, at + 508, 'tar\0');
        const prefix = text(b, at + 345, star ? 131 : 155);
        if (prefix !== '') name = prefix + '/' + name;
      }
    }
    // A PAX sparse file's real name is in GNU.sparse.name (its path is a GNUSparseFile.N/ placeholder).
    const sparseName = (flag === 0x30 || flag === 0) && sparseForm(local?.sparse) !== null ? local!.sparse!.name : undefined;
    if (sparseName) name = sparseName;
    const rawLink = this.longLink ?? local?.linkpath ?? text(b, at + 157, 100);
    let type = entryType(flag, name);
    if (type === null) throw this.invalid(offset, `unsupported entry type '${String.fromCharCode(flag)}' for ${name}`);
    // Data follows regular files only, decided before a whiteout name changes the type.
    const hasData = type === 'file';
    const path = normalizePath(name);
    const slash = path.lastIndexOf('/');
    const base = slash < 0 ? path : path.slice(slash + 1);
    if (base.startsWith('.wh.')) type = base === '.wh..wh..opq' ? 'opaque' : 'whiteout';
    const size = type === 'file' ? (local?.size ?? rawSize) : 0;
    const device = type === 'char' || type === 'block';
    const h: TarHeader = {
      index: this.entries++,
      path,
      type,
      size,
      mode: this.field(b, at, 100, 8, 'mode', offset) & 0o7777,
      uid: local?.uid ?? this.field(b, at, 108, 8, 'uid', offset),
      gid: local?.gid ?? this.field(b, at, 116, 8, 'gid', offset),
      mtime: local?.mtime ?? this.field(b, at, 136, 12, 'mtime', offset),
      linkTarget: type === 'symlink' ? rawLink : type === 'hardlink' ? normalizePath(rawLink) : null,
      devMajor: device ? this.field(b, at, 329, 8, 'devmajor', offset) : null,
      devMinor: device ? this.field(b, at, 337, 8, 'devminor', offset) : null,
      offset: this.entryStart,
    };
    return { h, hasData };
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
      if (this.sink === Sink.SparseMap) throw this.invalid(this.base, 'truncated sparse map');
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
    // Each 'x' header replaces the one before it; a 'g' header is checked, then dropped with what came before
    // it (Go's reader returns it as an entry of its own, which the runtimes skip).
    const records: PaxRecords = {};
    const err = parsePax(payload, records);
    if (err !== null) throw this.invalid(at, err);
    if (this.metaType === 0x67) {
      this.entryStart = -1;
      this.local = null;
      this.longName = null;
      this.longLink = null;
    } else this.local = records;
  }

  private invalid(offset: number, message: string): ImgscanError {
    const entry = this.current ? `entry ${this.current.index} (${this.current.path})` : `entry ${this.entries}`;
    return new ImgscanError('TAR_INVALID', `tar: ${message} at byte offset ${offset}, ${entry}`);
  }
}

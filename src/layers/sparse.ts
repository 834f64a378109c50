/**
 * GNU sparse files in tar: the map of data regions, in the three forms GNU tar writes and Go's archive/tar
 * (what Docker extracts layers with) reads, and the expansion of the stored regions into the file's content.
 *
 * - old GNU ('S' entries): up to 4 regions in the header, more in extension blocks after it, `realsize` at 483;
 * - PAX 0.0 / 0.1: `GNU.sparse.size`, `GNU.sparse.numblocks` and the regions as repeated
 *   `GNU.sparse.offset` / `GNU.sparse.numbytes` records (0.0) or one `GNU.sparse.map` (0.1);
 * - PAX 1.0: `GNU.sparse.major=1`, `GNU.sparse.minor=0`, `GNU.sparse.realsize`, `GNU.sparse.name`, the map as
 *   decimal lines at the start of the entry's data, padded to a block.
 */
/** Data regions as [offset, length] pairs, flattened. */
export type SparseMap = number[];

/** The GNU.sparse.* records of a PAX header. */
export interface SparseRecords {
  major?: string;
  minor?: string;
  name?: string;
  /** GNU.sparse.size (0.x) or GNU.sparse.realsize (1.0). */
  realsize?: number;
  numblocks?: number;
  /** Regions of GNU.sparse.map, or of GNU.sparse.offset / numbytes records in order. */
  map?: SparseMap;
  /** An offset record waits for its numbytes (0.0). */
  halfPair?: boolean;
}

/** Applies one GNU.sparse.* PAX record. Returns an error message, or null. */
export function applySparseRecord(key: string, value: string, s: SparseRecords): string | null {
  const num = (): number | null => (/^\d+$/.test(value) ? Number(value) : null);
  switch (key) {
    case 'GNU.sparse.major':
      s.major = value;
      return null;
    case 'GNU.sparse.minor':
      s.minor = value;
      return null;
    case 'GNU.sparse.name':
      s.name = value;
      return null;
    case 'GNU.sparse.size':
    case 'GNU.sparse.realsize':
    case 'GNU.sparse.numblocks': {
      const n = num();
      if (n === null) return `bad PAX ${key} '${value}'`;
      if (key === 'GNU.sparse.numblocks') s.numblocks = n;
      else s.realsize = n;
      return null;
    }
    case 'GNU.sparse.offset':
    case 'GNU.sparse.numbytes': {
      const n = num();
      const offset = key === 'GNU.sparse.offset';
      if (n === null || offset === Boolean(s.halfPair)) return `bad PAX ${key} '${value}' (offset and numbytes records must alternate)`;
      (s.map ??= []).push(n);
      s.halfPair = offset;
      return null;
    }
    case 'GNU.sparse.map': {
      if (value === '') {
        s.map = [];
        return null;
      }
      const parts = value.split(',');
      if (parts.length % 2 !== 0 || parts.some((p) => !/^\d+$/.test(p))) return `bad PAX GNU.sparse.map '${value}'`;
      s.map = parts.map(Number);
      return null;
    }
    default:
      return null;
  }
}

/**
 * How a PAX-described entry is sparse: its map in the records (0.x), in its data (1.0), or not sparse. As in
 * Go's archive/tar: an unknown version is a plain file, and without a version a non-empty map makes it 0.x.
 */
export function sparseForm(s: SparseRecords | undefined): '0.x' | '1.0' | null {
  if (s === undefined) return null;
  const { major, minor } = s;
  if (major === '0' && (minor === '0' || minor === '1')) return '0.x';
  if (major === '1' && minor === '0') return '1.0';
  if (major !== undefined || minor !== undefined) return null;
  return s.map !== undefined && s.map.length > 0 ? '0.x' : null;
}

/** The regions of a 0.x entry, checked against GNU.sparse.numblocks. */
export function recordsMap(s: SparseRecords): SparseMap | string {
  const map = s.map ?? [];
  if (s.halfPair) return 'a GNU.sparse.offset record without its numbytes';
  if (s.numblocks !== undefined && map.length !== 2 * s.numblocks) return `GNU.sparse.numblocks is ${s.numblocks} but ${map.length / 2} regions are given`;
  return map;
}

/**
 * Reads the 1.0 map at the start of an entry's data, block by block: `push` a whole block (the last may be
 * short when the data ends), then `done` says whether the map is complete.
 */
export class SparseMap1Reader {
  private readonly numbers: number[] = [];
  private digits = '';
  private wanted = -1;

  /** Returns an error message, or null. */
  push(block: Uint8Array): string | null {
    for (const c of block) {
      if (this.done) break;
      if (c === 0x0a) {
        if (this.digits === '') return 'empty number in the sparse map';
        this.numbers.push(Number(this.digits));
        this.digits = '';
        if (this.wanted < 0) this.wanted = 1 + 2 * this.numbers[0]!;
      } else if (c >= 0x30 && c <= 0x39) {
        if (this.digits.length >= 20) return 'number too long in the sparse map';
        this.digits += String.fromCharCode(c);
      } else if (c === 0 && this.wanted >= 0) return `sparse map ends before its ${(this.wanted - 1) / 2} regions`;
      else return `unexpected byte ${c} in the sparse map`;
    }
    return null;
  }

  get done(): boolean {
    return this.wanted >= 0 && this.numbers.length === this.wanted;
  }

  get map(): SparseMap {
    return this.numbers.slice(1);
  }
}

/** Checks regions are in order, do not overlap, end within the file and add up to the stored data. */
export function checkMap(map: SparseMap, realsize: number, stored: number): string | null {
  let end = 0;
  let total = 0;
  for (let i = 0; i < map.length; i += 2) {
    const offset = map[i]!;
    const length = map[i + 1]!;
    if (offset < end) return `sparse region at ${offset} overlaps or precedes the region before it`;
    end = offset + length;
    if (end > realsize) return `sparse region ${offset}+${length} ends past the file size ${realsize}`;
    total += length;
  }
  if (total !== stored) return `sparse regions hold ${total} bytes but the entry stores ${stored}`;
  return null;
}

/** Zeros for holes, never written. */
const ZEROS = new Uint8Array(64 * 1024);

/**
 * Turns the stored regions, pushed in order, into the file's content: zeros for holes, the regions at their
 * offsets, zeros up to the file size.
 */
export class SparseExpander {
  /** Logical bytes emitted so far. */
  private pos = 0;
  private region = 0;
  /** Bytes of the current region still to come. */
  private left = 0;

  constructor(
    private readonly map: SparseMap,
    private readonly realsize: number,
    private readonly emit: (slice: Uint8Array) => void,
  ) {}

  data(slice: Uint8Array): void {
    let at = 0;
    while (at < slice.length) {
      while (this.left === 0) {
        // checkMap guarantees the regions hold exactly the stored bytes.
        this.zeros(this.map[this.region * 2]!);
        this.left = this.map[this.region * 2 + 1]!;
        this.region++;
      }
      const n = Math.min(this.left, slice.length - at);
      this.emit(slice.subarray(at, at + n));
      this.left -= n;
      this.pos += n;
      at += n;
    }
  }

  /** Emits the holes after the last stored byte. */
  end(): void {
    this.zeros(this.realsize);
  }

  private zeros(upTo: number): void {
    while (this.pos < upTo) {
      const n = Math.min(upTo - this.pos, ZEROS.length);
      this.emit(ZEROS.subarray(0, n));
      this.pos += n;
    }
  }
}

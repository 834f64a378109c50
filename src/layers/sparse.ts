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
import { goParseInt, paxText, type PaxRecords } from './pax.js';
import { decodeName } from './tar-fields.js';

/** Data regions as [offset, length] pairs, flattened. */
export type SparseMap = number[];

/** A sparse entry's regions and sizes: `map` null while a PAX 1.0 map is still to be read from the data. */
export interface Sparse {
  map: SparseMap | null;
  realsize: number;
  /** Bytes stored in the archive (the map of a 1.0 entry included). */
  stored: number;
}

/** How the GNU.sparse.* records of an entry describe it as sparse. */
export interface PaxSparse {
  /** '0.x': the map is in the records; '1.0': at the start of the entry's data. */
  form: '0.x' | '1.0';
  /** GNU.sparse.name: the file's real name (its path is a GNUSparseFile.N/ placeholder). */
  name?: string;
  /** GNU.sparse.size (0.x) or GNU.sparse.realsize (1.0). */
  realsize?: number;
  /** The regions (0.x). */
  map?: SparseMap;
}

/**
 * The sparse description of an entry's PAX records, as Go's archive/tar reads it: an unknown version is a plain
 * file, without a version a non-empty GNU.sparse.map makes it 0.x; 0.x needs GNU.sparse.numblocks and as many
 * regions. Returns null when not sparse, or an error message.
 */
export function paxSparse(records: PaxRecords | null): PaxSparse | string | null {
  const major = paxText(records, 'GNU.sparse.major') ?? '';
  const minor = paxText(records, 'GNU.sparse.minor') ?? '';
  const mapText = paxText(records, 'GNU.sparse.map') ?? '';
  let form: PaxSparse['form'];
  if (major === '0' && (minor === '0' || minor === '1')) form = '0.x';
  else if (major === '1' && minor === '0') form = '1.0';
  else if (major !== '' || minor !== '' || mapText === '') return null;
  else form = '0.x';
  const out: PaxSparse = { form };
  const name = records!.get('GNU.sparse.name');
  if (name !== undefined && name.length > 0) out.name = decodeName(name, 0, name.length);
  const size = paxText(records, 'GNU.sparse.size') || paxText(records, 'GNU.sparse.realsize') || '';
  if (size !== '') {
    const n = goParseInt(size);
    if (n === null) return `bad PAX GNU.sparse size '${size}'`;
    out.realsize = n;
  }
  if (form === '1.0') return out;
  const numblocks = goParseInt(paxText(records, 'GNU.sparse.numblocks') ?? '');
  if (numblocks === null || numblocks < 0) return 'missing or bad GNU.sparse.numblocks';
  const parts = mapText === '' ? [] : mapText.split(',');
  if (parts.length !== 2 * numblocks) return `GNU.sparse.numblocks is ${numblocks} but ${parts.length / 2} regions are given`;
  const map = parts.map(goParseInt);
  if (map.includes(null)) return `bad GNU.sparse.map '${mapText}'`;
  out.map = map as number[];
  return out;
}

/**
 * Reads the 1.0 map at the start of an entry's data, block by block: `push` a whole block (the last may be
 * short when the data ends), then `done` says whether the map is complete.
 */
export class SparseMap1Reader {
  private readonly numbers: number[] = [];
  private token = '';
  private wanted = -1;

  /** Returns an error message, or null. */
  push(block: Uint8Array): string | null {
    for (const c of block) {
      if (this.done) break;
      if (c !== 0x0a) {
        if (this.token.length >= 64) return 'number too long in the sparse map';
        this.token += String.fromCharCode(c);
        continue;
      }
      const n = goParseInt(this.token);
      if (n === null) return `bad number '${this.token}' in the sparse map`;
      this.numbers.push(n);
      this.token = '';
      if (this.wanted < 0) {
        if (n < 0) return `negative region count ${n} in the sparse map`;
        this.wanted = 1 + 2 * n;
      }
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

/** Checks regions as Go does before reading: not negative, in order, not overlapping, within the file size. */
export function checkMap(map: SparseMap, realsize: number): string | null {
  if (realsize < 0) return `negative sparse file size ${realsize}`;
  let end = 0;
  for (let i = 0; i < map.length; i += 2) {
    const offset = map[i]!;
    const length = map[i + 1]!;
    if (offset < 0 || length < 0) return `negative sparse region ${offset}+${length}`;
    if (offset < end) return `sparse region at ${offset} overlaps or precedes the region before it`;
    end = offset + length;
    if (end > realsize) return `sparse region ${offset}+${length} ends past the file size ${realsize}`;
  }
  return null;
}

/** Checks the regions hold exactly the bytes stored (Go fails reading the data otherwise). */
export function checkStored(map: SparseMap, stored: number): string | null {
  let total = 0;
  for (let i = 1; i < map.length; i += 2) total += map[i]!;
  return total === stored ? null : `sparse regions hold ${total} bytes but the entry stores ${stored}`;
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

import { ImgscanError } from '../errors.js';
import type { ChunkRow, EntryType, FileClass, FileRow } from '../model/rows.js';

/**
 * Compact column form of a row batch for postMessage: numbers in one Float64Array, short enums in bytes and
 * the strings of the batch joined into one string with their lengths alongside. Structured clone of the
 * same rows as objects costs several times more (every key and string serialized per row) and the worker
 * pays it on its critical path. The layer digest is sent once per batch.
 */
export interface FileBatch {
  layer: string;
  count: number;
  /** Per row: entry_index, size, mode, uid, gid, mtime, dev_major, dev_minor, gzip_size, zstd_size (NaN for null). */
  numbers: Float64Array;
  /** Per row: entry type index, file class index + 1 (0 for null). */
  kinds: Uint8Array;
  /** Per row: lengths of path, digest, link_target in `text` (NULL_LENGTH for null). */
  lengths: Uint32Array;
  text: string;
}

export interface ChunkBatch {
  layer: string;
  count: number;
  /** Per row: entry_index, chunk_index, size, index of its chunker in `chunkers` (-1 for null), gzip_size, zstd_size (NaN for null). */
  numbers: Float64Array;
  /** The chunker names of the batch, each once. */
  chunkers: string[];
  /** The chunk digests, concatenated (all of the same length). */
  digests: string;
  digestLength: number;
}

const entryTypes: readonly EntryType[] = ['file', 'dir', 'symlink', 'hardlink', 'char', 'block', 'fifo', 'whiteout', 'opaque', 'other'];
const fileClasses: readonly FileClass[] = ['elf', 'script', 'archive', 'python-bytecode', 'sqlite', 'image', 'text', 'empty', 'other'];
const entryTypeIndex = new Map(entryTypes.map((t, i) => [t, i]));
const fileClassIndex = new Map(fileClasses.map((c, i) => [c, i + 1]));
const NULL_LENGTH = 0xffffffff;
const NUMBERS = 10;
const nullable = (v: number): number | null => (Number.isNaN(v) ? null : v);

/** Buffers to list in postMessage's transfer list. */
export function transferables(batch: FileBatch | ChunkBatch): ArrayBuffer[] {
  return 'kinds' in batch ? [batch.numbers.buffer as ArrayBuffer, batch.kinds.buffer as ArrayBuffer, batch.lengths.buffer as ArrayBuffer] : [batch.numbers.buffer as ArrayBuffer];
}

/** Encodes rows of one layer (all rows must share layer_digest). */
export function encodeFiles(rows: FileRow[]): FileBatch {
  const n = rows.length;
  const numbers = new Float64Array(n * NUMBERS);
  const kinds = new Uint8Array(n * 2);
  const lengths = new Uint32Array(n * 3);
  const parts: string[] = [];
  const layer = n > 0 ? rows[0]!.layer_digest : '';
  for (let i = 0; i < n; i++) {
    const r = rows[i]!;
    if (r.layer_digest !== layer) throw new ImgscanError('INTERNAL', 'file rows of different layers in one batch', { layer });
    const o = i * NUMBERS;
    numbers[o] = r.entry_index;
    numbers[o + 1] = r.size;
    numbers[o + 2] = r.mode;
    numbers[o + 3] = r.uid;
    numbers[o + 4] = r.gid;
    numbers[o + 5] = r.mtime;
    numbers[o + 6] = r.dev_major ?? NaN;
    numbers[o + 7] = r.dev_minor ?? NaN;
    numbers[o + 8] = r.gzip_size ?? NaN;
    numbers[o + 9] = r.zstd_size ?? NaN;
    kinds[i * 2] = entryTypeIndex.get(r.entry_type)!;
    kinds[i * 2 + 1] = r.file_class === null ? 0 : fileClassIndex.get(r.file_class)!;
    lengths[i * 3] = r.path.length;
    parts.push(r.path);
    lengths[i * 3 + 1] = r.digest === null ? NULL_LENGTH : r.digest.length;
    if (r.digest !== null) parts.push(r.digest);
    lengths[i * 3 + 2] = r.link_target === null ? NULL_LENGTH : r.link_target.length;
    if (r.link_target !== null) parts.push(r.link_target);
  }
  return { layer, count: n, numbers, kinds, lengths, text: parts.join('') };
}

export function decodeFiles(b: FileBatch): FileRow[] {
  const rows: FileRow[] = new Array(b.count);
  let at = 0;
  const take = (len: number): string | null => {
    if (len === NULL_LENGTH) return null;
    const s = b.text.slice(at, at + len);
    at += len;
    return s;
  };
  for (let i = 0; i < b.count; i++) {
    const o = i * NUMBERS;
    const path = take(b.lengths[i * 3]!)!;
    const digest = take(b.lengths[i * 3 + 1]!);
    const link_target = take(b.lengths[i * 3 + 2]!);
    const fc = b.kinds[i * 2 + 1]!;
    rows[i] = {
      layer_digest: b.layer,
      entry_index: b.numbers[o]!,
      path,
      entry_type: entryTypes[b.kinds[i * 2]!]!,
      size: b.numbers[o + 1]!,
      digest,
      file_class: fc === 0 ? null : fileClasses[fc - 1]!,
      mode: b.numbers[o + 2]!,
      uid: b.numbers[o + 3]!,
      gid: b.numbers[o + 4]!,
      mtime: b.numbers[o + 5]!,
      link_target,
      dev_major: nullable(b.numbers[o + 6]!),
      dev_minor: nullable(b.numbers[o + 7]!),
      gzip_size: nullable(b.numbers[o + 8]!),
      zstd_size: nullable(b.numbers[o + 9]!),
    };
  }
  return rows;
}

const CHUNK_NUMBERS = 6;

export function encodeChunks(rows: ChunkRow[]): ChunkBatch {
  const n = rows.length;
  const numbers = new Float64Array(n * CHUNK_NUMBERS);
  const digestLength = n > 0 ? rows[0]!.digest.length : 0;
  const digests: string[] = new Array(n);
  const chunkers: string[] = [];
  let last: string | null = null;
  let lastIndex = -1;
  for (let i = 0; i < n; i++) {
    const r = rows[i]!;
    numbers[i * CHUNK_NUMBERS] = r.entry_index;
    numbers[i * CHUNK_NUMBERS + 1] = r.chunk_index;
    numbers[i * CHUNK_NUMBERS + 2] = r.size;
    if (r.chunker !== last) {
      last = r.chunker;
      lastIndex = last === null ? -1 : chunkers.indexOf(last);
      if (last !== null && lastIndex < 0) lastIndex = chunkers.push(last) - 1;
    }
    numbers[i * CHUNK_NUMBERS + 3] = lastIndex;
    numbers[i * CHUNK_NUMBERS + 4] = r.gzip_size ?? NaN;
    numbers[i * CHUNK_NUMBERS + 5] = r.zstd_size ?? NaN;
    if (r.digest.length !== digestLength) throw new ImgscanError('INTERNAL', 'chunk digests of different lengths in one batch');
    digests[i] = r.digest;
  }
  return { layer: n > 0 ? rows[0]!.layer_digest : '', count: n, numbers, chunkers, digests: digests.join(''), digestLength };
}

export function decodeChunks(b: ChunkBatch): ChunkRow[] {
  const rows: ChunkRow[] = new Array(b.count);
  for (let i = 0; i < b.count; i++) {
    const k = b.numbers[i * CHUNK_NUMBERS + 3]!;
    rows[i] = {
      layer_digest: b.layer,
      entry_index: b.numbers[i * CHUNK_NUMBERS]!,
      chunk_index: b.numbers[i * CHUNK_NUMBERS + 1]!,
      digest: b.digests.slice(i * b.digestLength, (i + 1) * b.digestLength),
      size: b.numbers[i * CHUNK_NUMBERS + 2]!,
      chunker: k < 0 ? null : b.chunkers[k]!,
      gzip_size: nullable(b.numbers[i * CHUNK_NUMBERS + 4]!),
      zstd_size: nullable(b.numbers[i * CHUNK_NUMBERS + 5]!),
    };
  }
  return rows;
}

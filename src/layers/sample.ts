import { gzipSync } from 'node:zlib';
import { createRequire } from 'node:module';
import { ImgscanError } from '../errors.js';
import { blake3 } from './hash.js';

/**
 * The compression sample (docs/metrics.md "Compressed size of a design"): a deterministic, content-defined
 * sample of file contents compressed with the codecs registries use, gzip level 6 and zstd level 3, so that
 * analyze can estimate what file and chunk dedup would store compressed.
 *
 * A content is sampled when its key, the first 32 bits of a BLAKE3 digest read as a big-endian number, is below
 * rate * 2^32. For a content of at most SAMPLE_HEAD bytes the key comes from its own digest; for a longer one
 * from the digest of its first SAMPLE_HEAD bytes, so that the decision is made before the rest arrives. Either
 * way the key depends on the bytes alone: the same content is sampled, or not, in every layer, shard and run.
 * A content is compressed in pieces of SAMPLE_PIECE bytes, each piece one gzip member and one zstd frame (as
 * eStargz stores large files); a content of at most SAMPLE_PIECE bytes is compressed whole.
 */
export const SAMPLE_HEAD = 64 * 1024;
export const SAMPLE_PIECE = 4 * 1024 * 1024;

/** The default rate: its cost in `npm run bench` is printed beside the scan without a sample. */
export const DEFAULT_SAMPLE_RATE = 0.01;

/** Bytes of a content compressed with gzip -6 (gzip members, header and trailer included) and zstd -3 (frames). */
export interface CompressedSizes {
  gzip: number;
  zstd: number;
}

/** Throws a USAGE error unless 0 <= rate <= 1. */
export function checkSampleRate(rate: number): void {
  if (!(rate >= 0 && rate <= 1)) throw new ImgscanError('USAGE', `--sample-rate must be between 0 and 1, got ${rate}`);
}

/** The sampling key of a BLAKE3 hex digest: its first 32 bits as a number in [0, 2^32). */
export function sampleKey(hexDigest: string): number {
  return Number.parseInt(hexDigest.slice(0, 8), 16);
}

/** Keys below this are sampled at `rate`. */
export function sampleThreshold(rate: number): number {
  checkSampleRate(rate);
  return Math.floor(rate * 2 ** 32);
}

interface ZstdCompressor {
  compress(data: Uint8Array): Buffer;
  setParameters(p: { compressionLevel: number }): void;
}
const require = createRequire(import.meta.url);
let zstdCompressor: ZstdCompressor | undefined;

/** Sizes of `data` compressed whole: one gzip member at level 6 and one zstd frame at level 3. */
export function compressedSizes(data: Uint8Array): CompressedSizes {
  if (zstdCompressor === undefined) {
    const { Compressor } = require('zstd-napi') as { Compressor: new () => ZstdCompressor };
    zstdCompressor = new Compressor();
    zstdCompressor.setParameters({ compressionLevel: 3 });
  }
  return { gzip: gzipSync(data, { level: 6 }).length, zstd: zstdCompressor.compress(data).length };
}

/** Compresses a stream in pieces of SAMPLE_PIECE bytes and adds up the sizes; holds one piece at most. */
export class PieceCompressor {
  private buf: Buffer | null = null;
  private fill = 0;
  private gzip = 0;
  private zstd = 0;

  add(slice: Uint8Array): void {
    let s = slice;
    while (s.length > 0) {
      const n = Math.min(SAMPLE_PIECE - this.fill, s.length);
      (this.buf ??= Buffer.allocUnsafe(SAMPLE_PIECE)).set(s.subarray(0, n), this.fill);
      this.fill += n;
      s = s.subarray(n);
      if (this.fill === SAMPLE_PIECE) this.compressPiece();
    }
  }

  /** Compresses what is left and returns the sizes of the whole stream; starts over for the next. */
  finish(): CompressedSizes {
    if (this.fill > 0) this.compressPiece();
    const sizes = { gzip: this.gzip, zstd: this.zstd };
    this.gzip = 0;
    this.zstd = 0;
    return sizes;
  }

  private compressPiece(): void {
    const sizes = compressedSizes(this.buf!.subarray(0, this.fill));
    this.gzip += sizes.gzip;
    this.zstd += sizes.zstd;
    this.fill = 0;
  }
}

/**
 * Follows one file content at a time (`begin`, `data`, `end`) and returns its compressed sizes when it is in
 * the sample. A content not sampled costs a copy of at most SAMPLE_HEAD bytes.
 */
export class ContentSampler {
  private readonly threshold: number;
  private readonly head = Buffer.allocUnsafe(SAMPLE_HEAD);
  private readonly pieces = new PieceCompressor();
  private fill = 0;
  private size = 0;
  /** 'head' while the first SAMPLE_HEAD bytes arrive, then 'take' (sampled) or 'skip'. */
  private state: 'head' | 'take' | 'skip' = 'skip';

  constructor(readonly rate: number) {
    this.threshold = sampleThreshold(rate);
  }

  begin(size: number): void {
    this.size = size;
    this.fill = 0;
    this.state = size > 0 && this.threshold > 0 ? 'head' : 'skip';
  }

  data(slice: Uint8Array): void {
    if (this.state === 'take') this.pieces.add(slice);
    if (this.state !== 'head') return;
    const n = Math.min(Math.min(SAMPLE_HEAD, this.size) - this.fill, slice.length);
    this.head.set(slice.subarray(0, n), this.fill);
    this.fill += n;
    if (this.fill < SAMPLE_HEAD || this.size === SAMPLE_HEAD) return;
    // A content longer than SAMPLE_HEAD: its first SAMPLE_HEAD bytes decide.
    if (this.decide(blake3.hash(this.head))) this.pieces.add(slice.subarray(n));
  }

  /** Ends the content whose BLAKE3 is `digest`: its compressed sizes when sampled, else null. */
  end(digest: string): CompressedSizes | null {
    if (this.state === 'head') this.decide(digest);
    if (this.state !== 'take') return null;
    this.state = 'skip';
    return this.pieces.finish();
  }

  /** Decides from the key of `keyDigest`; a sampled content starts with the bytes held so far. */
  private decide(keyDigest: string): boolean {
    const take = sampleKey(keyDigest) < this.threshold;
    this.state = take ? 'take' : 'skip';
    if (take) this.pieces.add(this.head.subarray(0, this.fill));
    return take;
  }
}

/**
 * Layers are fewer than contents and their metadata (the tar but its file contents: mostly 512-byte headers) is
 * a small share of their bytes that compresses fast, so their metadata is sampled at this many times the rate
 * of contents (at most all of them).
 */
export const METADATA_RATE_FACTOR = 16;

/** The rate at which layers' metadata is sampled when contents are sampled at `rate`. */
export function metadataRate(rate: number): number {
  return Math.min(1, rate * METADATA_RATE_FACTOR);
}

/** Whether a layer's metadata is in the sample: the key of its digest (hex after the algorithm) is below metadataRate's. */
export function layerSampled(layerDigest: string, rate: number): boolean {
  return rate > 0 && sampleKey(layerDigest.slice(layerDigest.indexOf(':') + 1)) < sampleThreshold(metadataRate(rate));
}

import { createRequire } from 'node:module';
import { createGunzip, type Gunzip, type ZlibOptions } from 'node:zlib';
import { ImgscanError } from '../errors.js';
import type { Compression } from '../store/rows.js';

/** Compression from the magic bytes (never from the media type): gzip 1f8b, zstd 28b52ffd, else none. */
export function sniffCompression(head: Uint8Array): Compression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return 'zstd';
  return 'none';
}

/** Bytes `sniffCompression` needs to decide. */
export const SNIFF_BYTES = 4;

/** zlib output chunk size. The 16 KiB default is 2.5x slower; 1 MiB is a little faster than 256 KiB. */
export const GZIP_CHUNK_SIZE = 1 << 20;

/** zstd output buffer size (reused: consumers must not keep the slices they are given). */
export const ZSTD_OUT_SIZE = 1 << 20;

/**
 * Receives decompressed bytes in order. A slice is only valid during the call.
 * An error thrown here stops decompression and comes back out of `write` or `end`, unchanged.
 */
export type OutputHandler = (chunk: Uint8Array) => void;

/** Push-based decompressor. Await `write` when it returns a promise (backpressure). */
export interface Decompressor {
  write(chunk: Uint8Array): void | Promise<void>;
  /** Flushes everything; rejects with DECOMPRESS_FAILED when the stream is truncated. */
  end(): Promise<void>;
  /** Stops early and frees what it holds; later calls fail. */
  destroy(): void;
}

export function createDecompressor(compression: Compression, onOutput: OutputHandler): Decompressor {
  switch (compression) {
    case 'gzip':
      return new GzipDecompressor(onOutput);
    case 'zstd':
      return new ZstdDecompressor(onOutput);
    case 'none':
      return new PassThrough(onOutput);
  }
}

function decompressFailed(kind: Compression, err: unknown): ImgscanError {
  const message = err instanceof Error ? err.message : String(err);
  return new ImgscanError('DECOMPRESS_FAILED', `${kind}: ${message}`, {}, { cause: err });
}

class PassThrough implements Decompressor {
  constructor(private readonly onOutput: OutputHandler) {}
  write(chunk: Uint8Array): void {
    this.onOutput(chunk);
  }
  async end(): Promise<void> {}
  destroy(): void {}
}

/**
 * Node's zlib stream; it decodes every member of a multi-member gzip. Inflate runs on the libuv pool, so
 * output is handled in a microtask: zlib has already started on the next block by then and the two overlap.
 * A throw from the handler destroys the stream.
 */
class GzipDecompressor implements Decompressor {
  private readonly z: Gunzip;
  private error: unknown = null;
  private readonly closed: Promise<void>;
  private readonly queue: Buffer[] = [];
  private scheduled = false;
  private readonly drain = (): void => {
    this.scheduled = false;
    const q = this.queue;
    for (let i = 0; i < q.length; i++) {
      if (this.error !== null) break;
      try {
        this.onOutput(q[i]!);
      } catch (err) {
        this.error = err;
        this.z.destroy();
      }
    }
    q.length = 0;
  };

  constructor(private readonly onOutput: OutputHandler) {
    // zlib streams pass stream options on to Transform; the type does not list them.
    const options = { chunkSize: GZIP_CHUNK_SIZE, writableHighWaterMark: GZIP_CHUNK_SIZE } as ZlibOptions;
    this.z = createGunzip(options);
    this.z.on('data', (out: Buffer) => {
      this.queue.push(out);
      if (!this.scheduled) {
        this.scheduled = true;
        queueMicrotask(this.drain);
      }
    });
    this.z.on('error', (err) => {
      this.error ??= decompressFailed('gzip', err);
    });
    this.closed = new Promise((resolve) => this.z.once('close', resolve));
  }

  write(chunk: Uint8Array): void | Promise<void> {
    if (this.error !== null) throw this.error;
    if (this.z.write(chunk)) return;
    return new Promise<void>((resolve) => {
      const done = () => {
        this.z.off('drain', done);
        this.z.off('close', done);
        resolve();
      };
      this.z.on('drain', done);
      this.z.on('close', done);
    }).then(() => {
      if (this.error !== null) throw this.error;
    });
  }

  async end(): Promise<void> {
    if (this.error !== null) throw this.error;
    this.z.end();
    await this.closed;
    this.drain();
    if (this.error !== null) throw this.error;
  }

  destroy(): void {
    this.error ??= decompressFailed('gzip', new Error('aborted'));
    this.z.destroy();
  }
}

interface ZstdDCtx {
  decompressStream(dst: Uint8Array, src: Uint8Array): [number, number, number];
  reset(directive: number): void;
}

/** ZSTD_reset_session_only. */
const resetSessionOnly = 1;

const require = createRequire(import.meta.url);
let DCtx: (new () => ZstdDCtx) | undefined;

/** Contexts of finished streams, reset and kept for the next (a context holds the window: up to 8 MiB). */
const idleContexts: ZstdDCtx[] = [];
const maxIdleContexts = 2;
/** Decompression is synchronous, so the streams of a thread take turns with one output buffer. */
let sharedOut: Buffer | undefined;

/** zstd-napi's native context driven synchronously (no stream machinery); contexts and output buffer reused. */
class ZstdDecompressor implements Decompressor {
  private dctx: ZstdDCtx | null;
  private readonly out: Buffer;
  private inFrame = false;

  constructor(private readonly onOutput: OutputHandler) {
    DCtx ??= (require('zstd-napi/binding') as { DCtx: new () => ZstdDCtx }).DCtx;
    this.dctx = idleContexts.pop() ?? new DCtx();
    this.out = sharedOut ??= Buffer.allocUnsafe(ZSTD_OUT_SIZE);
  }

  /** Resets the context and keeps it for the next stream. */
  private release(): void {
    const dctx = this.dctx;
    this.dctx = null;
    if (dctx === null) return;
    dctx.reset(resetSessionOnly);
    if (idleContexts.length < maxIdleContexts) idleContexts.push(dctx);
  }

  write(chunk: Uint8Array): void {
    const dctx = this.dctx;
    if (dctx === null) throw decompressFailed('zstd', new Error('write after end'));
    let src = chunk;
    for (;;) {
      let ret: number, produced: number, consumed: number;
      try {
        [ret, produced, consumed] = dctx.decompressStream(this.out, src);
      } catch (err) {
        throw decompressFailed('zstd', err);
      }
      if (produced > 0) this.onOutput(this.out.subarray(0, produced));
      src = src.subarray(consumed);
      // Done with this input once it is consumed and zstd has nothing more to flush.
      if (src.length === 0 && (produced < this.out.length || ret === 0)) {
        this.inFrame = ret !== 0;
        return;
      }
    }
  }

  async end(): Promise<void> {
    this.release();
    if (this.inFrame) throw decompressFailed('zstd', new Error('unexpected end of data inside a frame'));
  }

  destroy(): void {
    this.release();
  }
}

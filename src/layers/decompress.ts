import { createRequire } from 'node:module';
import { constants as zlibConstants, createGunzip, type Gunzip, type ZlibOptions } from 'node:zlib';
import { ImgscanError } from '../errors.js';
import { IgzipDecompressor, igzipCommand } from './igzip.js';
import type { Compression } from '../model/rows.js';

/** Compression from the magic bytes (never from the media type): gzip 1f8b, zstd 28b52ffd, else none. */
export function sniffCompression(head: Uint8Array): Compression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return 'zstd';
  return 'none';
}

/** Bytes `sniffCompression` needs to decide. */
export const SNIFF_BYTES = 4;

/**
 * Output buffer size of the decompressors, reused: consumers must not keep the slices they are given. For
 * zlib, the 16 KiB default chunk is 2.5x slower; 1 MiB is a little faster than 256 KiB.
 */
export const OUT_SIZE = 1 << 20;

/**
 * Receives decompressed bytes in order. A slice is only valid during the call.
 * An error thrown here stops decompression and comes back out of `write` or `end`, unchanged.
 */
export type OutputHandler = (chunk: Uint8Array) => void;

/**
 * Push-based decompressor. Await `write` when it returns a promise (backpressure); the chunk is free for reuse
 * once `write` has returned, or its promise has resolved.
 */
export interface Decompressor {
  write(chunk: Uint8Array): void | Promise<void>;
  /** Flushes everything; rejects with DECOMPRESS_FAILED when the stream is truncated. */
  end(): Promise<void>;
  /** Stops early and frees what it holds; later calls fail. */
  destroy(): void;
}

/**
 * How gzip is inflated: 'igzip', ISA-L's igzip in a child process (src/layers/igzip.ts); 'sync' on the calling
 * thread through the zlib handle (see SyncGunzip), or 'stream', Node's zlib stream, which inflates on the libuv
 * pool.
 */
export type GzipInflater = 'igzip' | 'sync' | 'stream';

/** The inflater a user chooses (`--inflater`): igzip where installed, else zlib ('auto'), or one of the two. */
export type InflaterChoice = 'auto' | 'igzip' | 'zlib';
export const INFLATER_CHOICES: readonly InflaterChoice[] = ['auto', 'igzip', 'zlib'];

/** zlib's best way on this Node. */
export function zlibInflater(): GzipInflater {
  return SyncGunzip.supported() ? 'sync' : 'stream';
}

/** The inflater of a choice: USAGE when igzip is asked for and not installed. */
export function resolveInflater(choice: InflaterChoice = 'zlib'): GzipInflater {
  if (choice === 'zlib') return zlibInflater();
  if (igzipCommand() !== null) return 'igzip';
  if (choice === 'auto') return zlibInflater();
  throw new ImgscanError('USAGE', '--inflater igzip: igzip is not installed (Debian/Ubuntu: apt-get install isal), or not on PATH');
}

/**
 * Compressed size under which a gzip layer is inflated by zlib even where igzip is chosen: starting a process
 * (measured at tens of milliseconds from a busy scan process) costs more than igzip saves on a small layer.
 */
export const IGZIP_MIN_BYTES = 1 << 20;

/** The inflater of one layer of `compressedSize` bytes (unknown: as chosen). */
export function inflaterForLayer(inflater: GzipInflater | undefined, compressedSize: number | undefined): GzipInflater | undefined {
  if (inflater === 'igzip' && compressedSize !== undefined && compressedSize < IGZIP_MIN_BYTES) return zlibInflater();
  return inflater;
}

export function createDecompressor(compression: Compression, onOutput: OutputHandler, gzip: GzipInflater = zlibInflater()): Decompressor {
  switch (compression) {
    case 'gzip':
      if (gzip === 'igzip') return new IgzipDecompressor(onOutput);
      return gzip === 'sync' ? new SyncGunzip(onOutput) : new GzipDecompressor(onOutput);
    case 'zstd':
      return new ZstdDecompressor(onOutput);
    case 'none':
      return new PassThrough(onOutput);
  }
}

/** DECOMPRESS_FAILED for an error of the codec, or for what went wrong around it (a message). */
function decompressFailed(kind: Compression, err: unknown): ImgscanError {
  if (typeof err === 'string') return new ImgscanError('DECOMPRESS_FAILED', `${kind}: ${err}`);
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
 * Node's zlib stream (where the handle that SyncGunzip drives is missing); it decodes every member of a
 * multi-member gzip. Inflate runs on the libuv pool, so output is handled in a microtask: zlib has already
 * started on the next block by then and the two overlap. A throw from the handler destroys the stream.
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
    const options = { chunkSize: OUT_SIZE, writableHighWaterMark: OUT_SIZE } as ZlibOptions;
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

  /** Resolves once zlib has taken the whole chunk in: the caller may then reuse it. */
  write(chunk: Uint8Array): Promise<void> {
    if (this.error !== null) throw this.error;
    return new Promise<void>((resolve) => {
      // The callback comes once the chunk is processed; a stream destroyed by an error in it closes instead.
      const done = () => {
        this.z.off('close', done);
        resolve();
      };
      this.z.on('close', done);
      this.z.write(chunk, done);
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
    this.error ??= decompressFailed('gzip', 'aborted');
    this.z.destroy();
  }
}

/** The native handle behind a Node zlib stream (what zlib's own *Sync functions drive). */
interface ZlibHandle {
  writeSync(flush: number, input: Uint8Array, inOff: number, inLen: number, out: Uint8Array, outOff: number, outLen: number): void;
  onerror: (message: string, errno: number) => void;
  close(): void;
}

/**
 * The output buffer of this thread's synchronous decompressors (gzip and zstd): each write runs to its end
 * before another starts, so the streams of a thread take turns with one buffer.
 */
let sharedOut: Buffer | undefined;
const outputBuffer = (): Buffer => (sharedOut ??= Buffer.allocUnsafe(OUT_SIZE));

/**
 * gzip inflated on the calling thread, into one reused buffer: the handle of a Node Gunzip driven the way
 * zlib.gunzipSync drives it, but kept open across writes. No stream machinery, no buffer allocated per output
 * chunk, and no hand-off to the libuv pool: a worker's layer stays on its core. Multi-member gzip is decoded
 * by the handle itself, as in the stream.
 */
class SyncGunzip implements Decompressor {
  private static probe: boolean | undefined;
  /** True when this Node exposes the handle API (`_handle.writeSync`, `_writeState`). */
  static supported(): boolean {
    if (SyncGunzip.probe === undefined) {
      const z = createGunzip() as unknown as { _handle?: Partial<ZlibHandle>; _writeState?: Uint32Array };
      SyncGunzip.probe = typeof z._handle?.writeSync === 'function' && z._writeState instanceof Uint32Array && z._writeState.length === 2;
      (z as unknown as Gunzip).close();
    }
    return SyncGunzip.probe;
  }

  private readonly stream: Gunzip;
  private readonly handle: ZlibHandle;
  /** [avail_out, avail_in] after each writeSync. */
  private readonly state: Uint32Array;
  private readonly out: Buffer;
  private error: ImgscanError | null = null;
  private closed = false;

  constructor(private readonly onOutput: OutputHandler) {
    this.stream = createGunzip();
    const internals = this.stream as unknown as { _handle: ZlibHandle; _writeState: Uint32Array };
    this.handle = internals._handle;
    this.state = internals._writeState;
    // The stream's own handler would destroy the stream asynchronously; errors are taken here, synchronously.
    this.handle.onerror = (message) => {
      this.error ??= decompressFailed('gzip', message);
    };
    this.out = outputBuffer();
  }

  write(chunk: Uint8Array): void {
    this.inflate(chunk, zlibConstants.Z_NO_FLUSH);
  }

  async end(): Promise<void> {
    this.inflate(new Uint8Array(0), zlibConstants.Z_FINISH);
    this.destroy();
  }

  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    this.stream.close();
  }

  private inflate(input: Uint8Array, flush: number): void {
    if (this.error !== null) throw this.error;
    if (this.closed) throw decompressFailed('gzip', 'write after end');
    const out = this.out;
    let inOff = 0;
    let inLen = input.length;
    for (;;) {
      this.handle.writeSync(flush, input, inOff, inLen, out, 0, out.length);
      if (this.error !== null) {
        this.destroy();
        throw this.error;
      }
      const availOut = this.state[0]!;
      const availIn = this.state[1]!;
      const produced = out.length - availOut;
      if (produced > 0) this.onOutput(out.subarray(0, produced));
      // A full output buffer may hide more output; otherwise the input is used up (or the stream ended).
      if (availOut !== 0) return;
      inOff += inLen - availIn;
      inLen = availIn;
    }
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

/** zstd-napi's native context driven synchronously (no stream machinery); contexts and output buffer reused. */
class ZstdDecompressor implements Decompressor {
  private dctx: ZstdDCtx | null;
  private readonly out: Buffer;
  private inFrame = false;

  constructor(private readonly onOutput: OutputHandler) {
    DCtx ??= (require('zstd-napi/binding') as { DCtx: new () => ZstdDCtx }).DCtx;
    this.dctx = idleContexts.pop() ?? new DCtx();
    this.out = outputBuffer();
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
    if (dctx === null) throw decompressFailed('zstd', 'write after end');
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
    if (this.inFrame) throw decompressFailed('zstd', 'unexpected end of data inside a frame');
  }

  destroy(): void {
    this.release();
  }
}

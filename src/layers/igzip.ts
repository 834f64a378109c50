import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants as fsConstants } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { ImgscanError } from '../errors.js';
import { youngCollector } from './young-gc.js';

/**
 * gzip inflated by ISA-L's `igzip -d -c` in a child process: the compressed bytes go to its stdin, the tar
 * comes back on its stdout. igzip inflates about 1.5x faster than zlib and runs on its own core, beside the
 * thread that hashes and walks its output.
 *
 * igzip reads concatenated members whole, as zlib does here, but it stops without an error at anything after a
 * member that does not start with 0x1f (zlib refuses it unless it starts with a zero byte, Go's gzip refuses
 * it all). So one more member, the marker (a per-process random nonce, compressed), is written after the
 * blob: its output comes back last only when igzip read every member of the blob to the end of the blob. Its
 * output is held back and checked, never handed on. A blob followed by other bytes then fails as zlib
 * fails it, and one that ends in zero bytes (padding) is accepted as zlib accepts it. Where the two still
 * differ (rare bytes after the last member, which zlib itself treats by the write they arrive in): a member
 * followed by a zero byte and then other bytes that do not end in zero fails here, and other bytes that end in
 * zero pass. A blob cut short inside its data is "unexpected end of file", as in zlib; one cut inside a
 * member's header or its 8-byte trailer fails on the marker's bytes, and its message says so.
 */

/** `igzip` on PATH (or at IMGSCAN_IGZIP), an executable file; null when there is none. Looked up once. */
export function igzipCommand(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env === process.env && found !== undefined) return found;
  const explicit = env.IMGSCAN_IGZIP;
  const candidates = explicit ? [explicit] : (env.PATH ?? '').split(delimiter).filter(Boolean).map((d) => join(d, 'igzip'));
  let hit: string | null = null;
  for (const c of candidates) {
    try {
      accessSync(c, fsConstants.X_OK);
      hit = c;
      break;
    } catch {
      // not here
    }
  }
  if (env === process.env) found = hit;
  return hit;
}
let found: string | null | undefined;

const nonce = randomBytes(32);
const marker = gzipSync(nonce);

/** Compressed bytes written to igzip and not yet taken by the pipe, past which `write` waits. */
const IN_FLIGHT = 1 << 20;

/** Output handed on in pieces of this size, as zlib's (src/layers/decompress.ts OUT_SIZE). */
const OUT_SIZE = 1 << 20;

/** The buffers of the pipes are garbage once used: collected every few MiB, or they pile up (see young-gc.ts). */
const collect = youngCollector(4 << 20);

/** How long igzip may go without taking input or giving output before it is killed as hung. */
export const DEFAULT_STALL_MS = 120_000;

export interface IgzipOptions {
  /** The igzip executable (default: igzipCommand()). */
  command?: string;
  /** Arguments before none (default: -d -c -q, reading stdin). */
  args?: string[];
  stallMs?: number;
}

/** DECOMPRESS_FAILED in the words zlib uses for the same fault, where igzip's message says which it is. */
export function igzipFailure(code: number | null, signal: NodeJS.Signals | null, stderr: string): ImgscanError {
  const said = stderr.replace(/\s*\(null\)/g, '').replace(/\s+/g, ' ').trim().slice(0, 300);
  if (signal !== null) return new ImgscanError('DECOMPRESS_FAILED', `gzip: igzip was killed by ${signal}${said ? ` (${said})` : ''}`);
  if (/does not contain a complete gzip file/.test(said)) return new ImgscanError('DECOMPRESS_FAILED', 'gzip: unexpected end of file');
  // The marker follows the blob: a blob that ends inside a header or a trailer fails on the marker's bytes.
  if (/invalid gzip header/.test(said)) return new ImgscanError('DECOMPRESS_FAILED', 'gzip: incorrect header check, or the blob ends inside its header');
  if (/concatenated/.test(said)) return new ImgscanError('DECOMPRESS_FAILED', 'gzip: invalid or truncated concatenated member, or garbage after the last member');
  if (/while decompressing/.test(said)) return new ImgscanError('DECOMPRESS_FAILED', 'gzip: invalid compressed data or checksum, or the blob ends inside its trailer');
  return new ImgscanError('DECOMPRESS_FAILED', `gzip: igzip exited with status ${code}${said ? `: ${said}` : ''}`);
}

type Child = ChildProcessByStdio<Writable, Readable, Readable>;

/** The Decompressor of src/layers/decompress.ts over an igzip child (see the top of this file). */
export class IgzipDecompressor {
  private readonly child: Child;
  private error: unknown = null;
  private readonly exited: Promise<void>;
  private exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  private stderr = '';
  /** igzip's output not yet handed on (see output()). */
  private readonly gathered = Buffer.allocUnsafe(OUT_SIZE);
  private filled = 0;
  /** Whether the last byte of the blob so far is zero (padding after the last member). */
  private endsInZero = false;
  private inFlight = 0;
  private wake: (() => void) | null = null;
  private ended = false;
  private killed = false;
  private stall: NodeJS.Timeout | null = null;
  private readonly stallMs: number;

  constructor(private readonly onOutput: (chunk: Uint8Array) => void, options: IgzipOptions = {}) {
    const command = options.command ?? igzipCommand();
    if (command === null) throw new ImgscanError('DECOMPRESS_FAILED', 'gzip: igzip is not installed');
    this.stallMs = options.stallMs ?? DEFAULT_STALL_MS;
    this.child = spawn(command, options.args ?? ['-d', '-c', '-q'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let closed = (): void => undefined;
    this.exited = new Promise((resolve) => (closed = resolve));
    const done = (code: number | null, signal: NodeJS.Signals | null): void => {
      if (this.exit !== null) return;
      this.exit = { code, signal };
      // A failed igzip fails the writes still to come, not only `end`.
      if (code !== 0 || signal !== null) this.error ??= igzipFailure(code, signal, this.stderr);
      this.clearStall();
      closed();
      this.wakeWriter();
    };
    this.child.once('close', done);
    this.child.once('error', (err) => {
      this.fail(new ImgscanError('DECOMPRESS_FAILED', `gzip: could not run igzip: ${err.message}`, {}, { cause: err }));
      done(null, null);
    });
    // EPIPE when igzip stops reading (an error, or bytes after the last member): its exit status tells why.
    this.child.stdin.on('error', () => undefined);
    this.child.stdout.on('data', (chunk: Buffer) => this.output(chunk));
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (s: string) => {
      if (this.stderr.length < 4096) this.stderr += s;
    });
    this.armStall();
  }

  /** The child's process id (undefined when it could not be started). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Resolves once the bytes are copied and at most IN_FLIGHT bytes wait for the pipe. */
  write(chunk: Uint8Array): void | Promise<void> {
    this.check();
    if (this.ended) throw new ImgscanError('DECOMPRESS_FAILED', 'gzip: write after end');
    if (chunk.length === 0) return;
    this.endsInZero = chunk[chunk.length - 1] === 0;
    collect(chunk.length);
    this.send(Buffer.from(chunk));
    if (this.inFlight <= IN_FLIGHT) return;
    return new Promise<void>((resolve) => {
      this.wake = resolve;
    }).then(() => this.check());
  }

  /** Writes the marker, closes igzip's input and waits for it to exit; checks its status and the marker. */
  async end(): Promise<void> {
    this.check();
    if (this.ended) throw new ImgscanError('DECOMPRESS_FAILED', 'gzip: end called twice');
    this.ended = true;
    this.send(marker);
    this.child.stdin.end();
    await this.exited;
    this.check();
    this.flushBeforeTail();
    this.check();
    if (!this.tail.equals(nonce)) {
      // igzip stopped at a member's end before the marker: zero padding (kept output, as zlib) or garbage.
      if (!this.endsInZero) this.fail(new ImgscanError('DECOMPRESS_FAILED', 'gzip: incorrect header check (bytes after the last member)'));
      else if (this.tail.length > 0) this.deliver(this.tail);
    }
    this.check();
  }

  /** Kills igzip and frees its pipes; later calls fail. */
  destroy(): void {
    if (this.error === null) this.error = new ImgscanError('DECOMPRESS_FAILED', 'gzip: aborted');
    this.kill();
  }

  private send(buf: Buffer): void {
    this.inFlight += buf.length;
    this.child.stdin.write(buf, () => {
      this.inFlight -= buf.length;
      this.armStall();
      if (this.inFlight <= IN_FLIGHT) this.wakeWriter();
    });
  }

  /**
   * Gathers igzip's output (pipe reads of up to 64 KiB) into one reused buffer, handed on in pieces of about 1
   * MiB as zlib's are, less the last `nonce.length` bytes seen so far: the marker when the stream ends. An error
   * of the handler stops igzip.
   */
  private output(chunk: Buffer): void {
    if (this.error !== null) return;
    this.armStall();
    collect(chunk.length);
    const keep = nonce.length;
    const out = this.gathered;
    let at = 0;
    while (at < chunk.length) {
      if (this.filled === out.length) {
        this.deliver(out.subarray(0, this.filled - keep));
        if (this.error !== null) return;
        out.copy(out, 0, this.filled - keep, this.filled);
        this.filled = keep;
      }
      const n = Math.min(chunk.length - at, out.length - this.filled);
      chunk.copy(out, this.filled, at, at + n);
      this.filled += n;
      at += n;
    }
  }

  /** What is gathered and not handed on: all of it once igzip has exited, but the last `nonce.length` bytes. */
  private get tail(): Buffer {
    return this.gathered.subarray(Math.max(0, this.filled - nonce.length), this.filled);
  }

  /** Hands on what is gathered before the tail. */
  private flushBeforeTail(): void {
    const cut = Math.max(0, this.filled - nonce.length);
    if (cut > 0) this.deliver(this.gathered.subarray(0, cut));
  }

  private deliver(out: Buffer): void {
    try {
      this.onOutput(out);
    } catch (err) {
      this.fail(err);
    }
  }

  private check(): void {
    if (this.error !== null) throw this.error;
  }

  /** Keeps the first error, kills igzip and lets a waiting writer see it. */
  private fail(err: unknown): void {
    this.error ??= err;
    this.kill();
    this.wakeWriter();
  }

  private kill(): void {
    this.clearStall();
    if (this.killed) return;
    this.killed = true;
    if (this.exit === null) this.child.kill('SIGKILL');
    this.child.stdin.destroy();
    this.child.stdout.destroy();
    this.child.stderr.destroy();
  }

  private wakeWriter(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  private armStall(): void {
    if (this.exit !== null || this.killed) return;
    if (this.stall !== null) {
      this.stall.refresh();
      return;
    }
    this.stall = setTimeout(() => this.fail(new ImgscanError('DECOMPRESS_FAILED', `gzip: igzip made no progress for ${this.stallMs / 1000} s and was killed`)), this.stallMs);
    this.stall.unref();
  }

  private clearStall(): void {
    if (this.stall !== null) clearTimeout(this.stall);
    this.stall = null;
  }
}

import type { Hash } from 'node:crypto';
import { Readable } from 'node:stream';
import { ImgscanError, type ErrorContext } from '../errors.js';
import type { Descriptor } from '../oci/types.js';
import { backoffDelay, sleep } from './backoff.js';
import { SlowBody, WatchedBody, type ProgressRule, type WatchOptions } from './body-watch.js';
import { networkError } from './http-error.js';
import { redactUrl } from './redact.js';
import { pullScope } from './tags.js';
import type { Transport } from './transport.js';
import { hasherFor, verifyBytes } from '../oci/verify.js';

export interface BlobStreamOptions {
  /** A body that delivers nothing for this long counts as a dropped connection (default 60 000 ms). */
  idleTimeoutMs?: number;
  /** Least progress of a body before its read is given up and resumed (default `defaultProgressRule`; false: none). */
  minProgress?: ProgressRule | false;
  /** Time allowed for the whole blob, resumed reads included; fails with TIMEOUT (default: none). */
  timeoutMs?: number;
  context?: ErrorContext;
  /**
   * Check the digest at the end (default true). False for a reader that verifies every byte itself (the layer
   * scanner does): the size is still checked and resumed reads still work, one sha256 of the blob less.
   */
  verifyDigest?: boolean;
}

// Storage backends may send Content-Encoding for already compressed blobs; fetch would decode them.
const identity = { 'accept-encoding': 'identity' };

/** Fetches a small blob (an image config) whole and verifies it against its descriptor. */
export async function fetchBlob(transport: Transport, repository: string, desc: Pick<Descriptor, 'digest' | 'size'>, context: ErrorContext = {}): Promise<Buffer> {
  const ctx = { repository, layer: desc.digest, ...context };
  const { body } = await transport.fetchBytes({ url: `/v2/${repository}/blobs/${desc.digest}`, headers: identity, scope: pullScope(repository), context: ctx });
  verifyBytes(body, desc, 'blob', ctx);
  return body;
}

/** The size of a blob from a HEAD request (schema 1 manifests do not record layer sizes). */
export async function blobSize(transport: Transport, repository: string, digest: string, context: ErrorContext = {}): Promise<number> {
  const ctx = { repository, layer: digest, ...context };
  const { response } = await transport.fetchBytes({ method: 'HEAD', url: `/v2/${repository}/blobs/${digest}`, headers: identity, scope: pullScope(repository), context: ctx });
  const length = Number(response.headers.get('content-length'));
  if (!Number.isSafeInteger(length) || length < 0) throw new ImgscanError('REGISTRY_ERROR', 'blob HEAD answered without a Content-Length', ctx);
  return length;
}

/**
 * Opens a blob as a stream that verifies size and digest while it is read: the stream fails with SIZE_MISMATCH or
 * DIGEST_MISMATCH instead of ending. A connection that drops (reset, early end, idle timeout) or delivers less
 * than the progress rule asks is resumed with `Range: bytes=N-` and hashing continues where it stopped; after the
 * transport's retries the stream fails (NETWORK, or TOO_SLOW naming the rate). A body that stops once it holds
 * the descriptor's size is complete whatever its Content-Length said: the digest decides. The stream holds one
 * of the registry's concurrency slots until it ends or is destroyed: consume or destroy every stream you open.
 * Errors before the first byte (NOT_FOUND, UNAUTHORIZED...) reject the returned promise.
 */
export async function openBlob(transport: Transport, repository: string, desc: Pick<Descriptor, 'digest' | 'size'>, options: BlobStreamOptions = {}): Promise<Readable> {
  const ctx = { repository, layer: desc.digest, ...options.context };
  const url = `/v2/${repository}/blobs/${desc.digest}`;
  const deadline = options.timeoutMs ? Date.now() + options.timeoutMs : undefined;
  const request = (offset: number) =>
    transport.send({
      url,
      headers: offset > 0 ? { ...identity, range: `bytes=${offset}-` } : identity,
      scope: pullScope(repository),
      context: ctx,
      streaming: true,
      // 416 on a resumed read means the blob is shorter than its descriptor says.
      accept: offset > 0 ? [416] : undefined,
    });
  const release = await transport.acquire();
  let first: Response;
  try {
    first = await request(0);
  } catch (err) {
    release();
    throw err;
  }
  const watch: WatchOptions = {
    idleMs: options.idleTimeoutMs ?? 60_000,
    rule: options.minProgress === undefined ? defaultProgressRule : options.minProgress || undefined,
    deadline,
    deadlineLabel: options.timeoutMs ? `the time limit of ${options.timeoutMs / 1000} s` : undefined,
    context: ctx,
  };
  const hash = options.verifyDigest === false ? undefined : hasherFor(desc.digest, ctx);
  const read: BlobRead = { desc, ctx, watch, hash, offset: 0, received: 0 };
  const resume = (n: number, dropped: unknown) => resumeAfter(transport, url, read, n, dropped, () => request(read.offset));
  return Readable.from(readAll(read, first, resume, release), { objectMode: false, highWaterMark: 1 << 20 });
}

/** Fewer than 64 KiB in a minute of waiting gives a read up (then it is resumed). */
export const defaultProgressRule: ProgressRule = { minBytes: 64 * 1024, windowMs: 60_000 };

/** Wait for the end (or more bytes) of a body that already holds the descriptor's size. */
const completeGraceMs = 1000;

interface BlobRead {
  desc: Pick<Descriptor, 'digest' | 'size'>;
  ctx: ErrorContext;
  watch: WatchOptions;
  /** Undefined when the digest is left to the reader (`verifyDigest: false`). */
  hash: Hash | undefined;
  /** Bytes of the blob yielded so far. */
  offset: number;
  /** Bytes yielded from the current response. */
  received: number;
}

/** Every response of the blob in turn, resumed until the blob is whole; then size and digest are checked. */
async function* readAll(read: BlobRead, first: Response, resume: (n: number, dropped: unknown) => Promise<Response>, release: () => void): AsyncGenerator<Buffer> {
  const { desc, ctx } = read;
  let response = first;
  let drops = 0;
  let slow = 0;
  try {
    for (;;) {
      const dropped = yield* drain(read, response);
      if (dropped === undefined && (desc.size < 0 || read.offset >= desc.size)) break;
      // A read given up for slowness counts on its own: the bytes it got do not make the next one more likely.
      if (dropped instanceof SlowBody) slow++;
      else if (read.received > 0) drops = 1;
      else drops++;
      response = await resume(Math.max(slow, drops), dropped);
    }
    if (desc.size >= 0 && read.offset !== desc.size) throw new ImgscanError('SIZE_MISMATCH', `blob has ${read.offset} bytes, expected ${desc.size}`, ctx);
    const actual = read.hash && `${desc.digest.slice(0, desc.digest.indexOf(':'))}:${read.hash.digest('hex')}`;
    if (actual !== undefined && actual !== desc.digest) throw new ImgscanError('DIGEST_MISMATCH', `blob digest is ${actual}, expected ${desc.digest}`, ctx);
  } finally {
    release();
  }
}

/**
 * Yields the blob's bytes from one response, hashing them. Returns undefined at the body's end (or when a body
 * holding the descriptor's size stops: a Content-Length longer than the blob), else why the read was given up.
 * ImgscanErrors (too long, deadline) are thrown.
 */
async function* drain(read: BlobRead, response: Response): AsyncGenerator<Buffer, unknown> {
  const { desc, ctx } = read;
  let skip = startSkip(response, read.offset, ctx);
  read.received = 0;
  if (!response.body) return undefined;
  const body = new WatchedBody(response.body.getReader(), read.watch);
  try {
    for (;;) {
      const complete = desc.size >= 0 && read.offset === desc.size;
      const next = await body.read(complete ? Math.min(completeGraceMs, read.watch.idleMs) : undefined).catch((err: unknown) => {
        if (complete && !(err instanceof ImgscanError)) return { done: true as const, value: undefined };
        throw err;
      });
      if (next.done) return undefined;
      let chunk = Buffer.from(next.value.buffer, next.value.byteOffset, next.value.byteLength);
      if (skip > 0) {
        const n = Math.min(skip, chunk.length);
        skip -= n;
        chunk = chunk.subarray(n);
        if (chunk.length === 0) continue;
      }
      read.offset += chunk.length;
      read.received += chunk.length;
      if (desc.size >= 0 && read.offset > desc.size) throw new ImgscanError('SIZE_MISMATCH', `blob is longer than the ${desc.size} bytes its descriptor gives`, ctx);
      read.hash?.update(chunk);
      yield chunk;
    }
  } catch (err) {
    if (err instanceof ImgscanError) throw err;
    return err;
  } finally {
    await body.cancel();
  }
}

/** Waits, logs and asks for the rest of the blob; after the transport's retries, the error that ends the read. */
async function resumeAfter(transport: Transport, url: string, read: BlobRead, n: number, dropped: unknown, request: () => Promise<Response>): Promise<Response> {
  const { desc, ctx } = read;
  if (n > transport.retries) {
    if (dropped instanceof SlowBody) throw new ImgscanError('TOO_SLOW', `blob arrives too slowly: ${dropped.message}, ${transport.retries} resumed reads included (got ${read.offset} of ${desc.size} bytes)`, ctx);
    throw dropped ? networkError('GET', dropped, ctx) : new ImgscanError('SIZE_MISMATCH', `blob ended after ${read.offset} of ${desc.size} bytes`, ctx);
  }
  const delay = backoffDelay(n - 1, { baseMs: 100, maxMs: 5_000 });
  const why = dropped instanceof SlowBody ? `too slow: ${dropped.message}` : dropped ? networkError('GET', dropped, ctx).message : `ended after ${read.offset} of ${desc.size} bytes`;
  transport.log(`resume ${n}/${transport.retries} of GET ${redactUrl(transport.resolve(url))} at byte ${read.offset} in ${delay} ms: ${why}`);
  await sleep(delay);
  const deadline = read.watch.deadline;
  if (deadline !== undefined && Date.now() >= deadline) throw new ImgscanError('TIMEOUT', `blob not read within ${read.watch.deadlineLabel}`, ctx);
  return request();
}

/** Bytes to drop at the start of a resumed response: a server that ignores Range sends from byte 0. */
function startSkip(response: Response, offset: number, ctx: ErrorContext): number {
  if (offset === 0) return 0;
  if (response.status === 200) return offset;
  if (response.status === 416) {
    void response.body?.cancel().catch(() => undefined);
    throw new ImgscanError('SIZE_MISMATCH', `blob ends before byte ${offset}, shorter than its descriptor says`, ctx);
  }
  const range = /^bytes (\d+)-/.exec(response.headers.get('content-range') ?? '');
  if (response.status !== 206 || !range || Number(range[1]) !== offset) {
    throw new ImgscanError('REGISTRY_ERROR', `resuming at byte ${offset}: unexpected answer ${response.status} ${response.headers.get('content-range') ?? ''}`, ctx);
  }
  return 0;
}


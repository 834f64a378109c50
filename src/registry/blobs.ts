import { Readable } from 'node:stream';
import { ImgscanError, type ErrorContext } from '../errors.js';
import type { Descriptor } from '../oci/types.js';
import { backoffDelay, sleep } from './backoff.js';
import { networkError } from './http-error.js';
import { redactUrl } from './redact.js';
import { pullScope } from './tags.js';
import type { Transport } from './transport.js';
import { hasherFor, verifyBytes } from '../oci/verify.js';

export interface BlobStreamOptions {
  /** A body that delivers nothing for this long counts as a dropped connection (default 60 000 ms). */
  idleTimeoutMs?: number;
  context?: ErrorContext;
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
 * DIGEST_MISMATCH instead of ending. A connection that drops (reset, early end, idle timeout) is resumed with
 * `Range: bytes=N-` and hashing continues where it stopped. The stream holds one of the registry's concurrency
 * slots until it ends or is destroyed: consume or destroy every stream you open. Errors before the first byte
 * (NOT_FOUND, UNAUTHORIZED...) reject the returned promise.
 */
export async function openBlob(transport: Transport, repository: string, desc: Pick<Descriptor, 'digest' | 'size'>, options: BlobStreamOptions = {}): Promise<Readable> {
  const ctx = { repository, layer: desc.digest, ...options.context };
  const hash = hasherFor(desc.digest, ctx);
  const idleMs = options.idleTimeoutMs ?? 60_000;
  const url = `/v2/${repository}/blobs/${desc.digest}`;
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

  async function* chunks(): AsyncGenerator<Buffer> {
    let response: Response | undefined = first;
    let offset = 0;
    let drops = 0;
    let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
    try {
      while (response) {
        let skip = startSkip(response, offset, ctx);
        reader = response.body?.getReader();
        response = undefined;
        let dropped: unknown;
        try {
          for (;;) {
            if (!reader) break;
            const next = await readWithin(reader, idleMs);
            if (next.done) break;
            let chunk = Buffer.from(next.value.buffer, next.value.byteOffset, next.value.byteLength);
            if (skip > 0) {
              const n = Math.min(skip, chunk.length);
              skip -= n;
              chunk = chunk.subarray(n);
              if (chunk.length === 0) continue;
            }
            offset += chunk.length;
            if (desc.size >= 0 && offset > desc.size) throw new ImgscanError('SIZE_MISMATCH', `blob is longer than the ${desc.size} bytes its descriptor gives`, ctx);
            hash.update(chunk);
            drops = 0;
            yield chunk;
          }
        } catch (err) {
          if (err instanceof ImgscanError) throw err;
          dropped = err;
        }
        await reader?.cancel().catch(() => undefined);
        reader = undefined;
        if (dropped === undefined && (desc.size < 0 || offset >= desc.size)) break;
        // Dropped, or ended early: resume from the first byte not yet received.
        if (++drops > transport.retries) {
          throw dropped ? networkError('GET', dropped, ctx) : new ImgscanError('SIZE_MISMATCH', `blob ended after ${offset} of ${desc.size} bytes`, ctx);
        }
        const delay = backoffDelay(drops - 1, { baseMs: 100, maxMs: 5_000 });
        const why = dropped ? networkError('GET', dropped, ctx).message : `ended after ${offset} of ${desc.size} bytes`;
        transport.log(`resume ${drops}/${transport.retries} of GET ${redactUrl(transport.resolve(url))} at byte ${offset} in ${delay} ms: ${why}`);
        await sleep(delay);
        response = await request(offset);
      }
      if (desc.size >= 0 && offset !== desc.size) throw new ImgscanError('SIZE_MISMATCH', `blob has ${offset} bytes, expected ${desc.size}`, ctx);
      const actual = `${desc.digest.slice(0, desc.digest.indexOf(':'))}:${hash.digest('hex')}`;
      if (actual !== desc.digest) throw new ImgscanError('DIGEST_MISMATCH', `blob digest is ${actual}, expected ${desc.digest}`, ctx);
    } finally {
      await reader?.cancel().catch(() => undefined);
      release();
    }
  }
  return Readable.from(chunks(), { objectMode: false, highWaterMark: 1 << 20 });
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

/** One read that fails when nothing arrives within `ms`. */
async function readWithin(reader: ReadableStreamDefaultReader<Uint8Array>, ms: number): Promise<ReadableStreamReadResult<Uint8Array>> {
  let timer: NodeJS.Timeout | undefined;
  const idle = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`no data for ${ms} ms`), { name: 'TimeoutError' })), ms);
  });
  try {
    return await Promise.race([reader.read(), idle]);
  } finally {
    clearTimeout(timer);
  }
}

import { ImgscanError, type ErrorCode, type ErrorContext } from '../errors.js';

/** The most bytes a body may have, and how a larger one is reported. */
export interface BodyLimit {
  bytes: number;
  /** Error code of a body over the limit, e.g. MANIFEST_INVALID. */
  code: ErrorCode;
  /** What the body is, for the message: "manifest latest", "config sha256:...". */
  what: string;
  /**
   * Bytes the body is known to have (a descriptor's size, checked with its digest afterwards): reading stops
   * there, so a Content-Length promising more is not waited for.
   */
  complete?: number;
}

/**
 * Reads a whole response body, or fails with `limit.code` once it passes `limit.bytes`: at once when the
 * Content-Length says so, else as soon as the bytes received pass it. The rest of the body is not read (the
 * connection is given up), so a huge body costs no more memory than the limit.
 */
export async function readBody(response: Response, limit: BodyLimit | undefined, context: ErrorContext = {}): Promise<Buffer> {
  if (!limit) return Buffer.from(await response.arrayBuffer());
  const declared = Number(response.headers.get('content-length') ?? undefined);
  if (Number.isSafeInteger(declared) && declared > limit.bytes) {
    await response.body?.cancel().catch(() => undefined);
    throw tooLarge(limit, `Content-Length is ${declared}`, context);
  }
  const reader = response.body?.getReader();
  if (!reader) return Buffer.alloc(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit.bytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(limit, `more than ${limit.bytes} bytes were sent`, context);
    }
    chunks.push(value);
    if (total === limit.complete) {
      await reader.cancel().catch(() => undefined);
      break;
    }
  }
  return Buffer.concat(chunks, total);
}

function tooLarge(limit: BodyLimit, why: string, context: ErrorContext): ImgscanError {
  return new ImgscanError(limit.code, `${limit.what} is larger than the ${formatLimit(limit.bytes)} allowed (${why}): refused`, context);
}

function formatLimit(bytes: number): string {
  return bytes % (1024 * 1024) === 0 ? `${bytes / (1024 * 1024)} MiB` : `${bytes} bytes`;
}

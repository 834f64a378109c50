/**
 * Typed errors with stable codes. Library code throws these and never prints or exits; commands map them to
 * exit codes and messages. Context (image, layer, repository, URL) is added on the way up with `withContext`.
 */
export type ErrorCode =
  | 'REF_INVALID'
  | 'SOURCE_NOT_FOUND'
  | 'MANIFEST_INVALID'
  | 'CONFIG_INVALID'
  | 'BLOB_MISSING'
  | 'DIGEST_MISMATCH'
  | 'SIZE_MISMATCH'
  | 'DIFFID_MISMATCH'
  | 'DECOMPRESS_FAILED'
  | 'TAR_INVALID'
  | 'UNAUTHORIZED'
  | 'DENIED'
  | 'NOT_FOUND'
  | 'RATE_LIMITED'
  | 'REGISTRY_ERROR'
  | 'NETWORK'
  | 'UNREACHABLE'
  | 'TOO_SLOW'
  | 'TIMEOUT'
  | 'TLS'
  | 'STORE'
  | 'TRACE_INVALID'
  | 'USAGE'
  | 'INTERNAL';

export interface ErrorContext {
  image?: string;
  layer?: string;
  repository?: string;
  source?: string;
  url?: string;
  path?: string;
}

/**
 * Whether trying the same request again can help: 'yes' (a reset, a timeout: up to the client's retries),
 * 'once' (a refused connection: one short retry, for a server restarting), 'no' (everything else).
 */
export type Retry = 'yes' | 'once' | 'no';

export class ImgscanError extends Error {
  override readonly name = 'ImgscanError';
  readonly code: ErrorCode;
  readonly context: ErrorContext;
  /** Whether a client may retry what failed; set by whoever made the error, 'no' by default. */
  readonly retry: Retry;

  constructor(code: ErrorCode, message: string, context: ErrorContext = {}, options?: { cause?: unknown; retry?: Retry }) {
    super(message, options);
    this.code = code;
    this.context = { ...context };
    this.retry = options?.retry ?? 'no';
  }

  /** The message with its context, e.g. `image oci:/x:1.0: layer sha256:ab..: digest mismatch`. */
  describe(): string {
    const parts: string[] = [];
    const c = this.context;
    if (c.source) parts.push(`source ${c.source}`);
    if (c.repository) parts.push(`repository ${c.repository}`);
    if (c.image) parts.push(`image ${c.image}`);
    if (c.layer) parts.push(`layer ${c.layer}`);
    if (c.path) parts.push(`at ${c.path}`);
    if (c.url) parts.push(`(${c.url})`);
    return parts.length ? `${parts.join(', ')}: ${this.message}` : this.message;
  }
}

/** Wraps any error as an ImgscanError and adds context fields that are not set yet. */
export function withContext(err: unknown, context: ErrorContext, fallback: ErrorCode = 'INTERNAL'): ImgscanError {
  if (err instanceof ImgscanError) {
    for (const [k, v] of Object.entries(context) as [keyof ErrorContext, string | undefined][]) {
      if (v !== undefined && err.context[k] === undefined) err.context[k] = v;
    }
    return err;
  }
  const message = err instanceof Error ? err.message : String(err);
  return new ImgscanError(fallback, message, context, { cause: err });
}

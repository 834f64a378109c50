import { ImgscanError, type ErrorCode, type ErrorContext, type Retry } from '../errors.js';
import { redact } from './redact.js';

/** The error code for an HTTP status a registry answered with. */
export function codeForStatus(status: number): ErrorCode {
  if (status === 401) return 'UNAUTHORIZED';
  if (status === 403) return 'DENIED';
  if (status === 404) return 'NOT_FOUND';
  if (status === 429) return 'RATE_LIMITED';
  return 'REGISTRY_ERROR';
}

/** The `errors` array of a distribution error body, as "CODE message" strings. */
export function describeErrorBody(body: string): string {
  try {
    const doc = JSON.parse(body) as { errors?: { code?: string; message?: string }[]; details?: string; message?: string };
    if (Array.isArray(doc.errors) && doc.errors.length > 0) {
      return doc.errors.map((e) => [e.code, e.message].filter(Boolean).join(' ')).join('; ');
    }
    if (typeof doc.message === 'string') return doc.message;
    if (typeof doc.details === 'string') return doc.details;
  } catch {
    // not JSON: fall through to the text itself
  }
  return body.trim().slice(0, 200);
}

/** An ImgscanError for a non-success response. The body is read (up to 64 KiB) to name the registry's error code. */
export async function responseError(method: string, response: Response, context: ErrorContext, hint?: string): Promise<ImgscanError> {
  const text = await readErrorBody(response);
  const detail = text ? describeErrorBody(text) : '';
  const status = `${response.status}${response.statusText ? ' ' + response.statusText : ''}`;
  const message = [`${method} answered ${status}`, detail, hint].filter(Boolean).join(': ');
  return new ImgscanError(codeForStatus(response.status), redact(message), context);
}

/**
 * Reads up to 64 KiB of an error body, giving up after a few seconds: some servers announce a Content-Length
 * they never send on error answers (distribution does on 416).
 */
async function readErrorBody(response: Response, ms = 3000): Promise<string> {
  const reader = response.body?.getReader();
  if (!reader) return '';
  const chunks: Buffer[] = [];
  let total = 0;
  const deadline = Date.now() + ms;
  try {
    while (total < 65536) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), Math.max(0, deadline - Date.now()))));
      const next = await Promise.race([reader.read(), timeout]).finally(() => clearTimeout(timer));
      if (!next || next.done) break;
      chunks.push(Buffer.from(next.value));
      total += next.value.length;
    }
  } catch {
    // body unavailable: the status alone is the message
  } finally {
    void reader.cancel().catch(() => undefined);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** OpenSSL and Node codes of a certificate that was not accepted (self-signed, unknown issuer, expired, wrong name...). */
const certificateCodes = /CERT|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|INVALID_CA|HOSTNAME_MISMATCH|INVALID_PURPOSE|PATH_LENGTH_EXCEEDED/;
/** The answer to a TLS ClientHello was not TLS: the server speaks plain HTTP on that port. */
const notTlsCodes = new Set(['ERR_SSL_WRONG_VERSION_NUMBER', 'ERR_SSL_PACKET_LENGTH_TOO_LONG']);

/** True when a fetch failed because the server's TLS certificate was not accepted (so the server speaks TLS). */
export function isCertificateError(err: unknown): boolean {
  const e = err as { code?: string; cause?: { code?: string } };
  const code = e?.cause?.code ?? e?.code;
  return typeof code === 'string' && certificateCodes.test(code);
}

/**
 * An ImgscanError for a failure below HTTP. Resets and timeouts are NETWORK (retried); a refused connection or a
 * port fetch refuses is UNREACHABLE (retried once at most); a certificate that is not accepted, or a server that
 * does not speak TLS, is TLS (retrying cannot help).
 */
export function networkError(method: string, err: unknown, context: ErrorContext): ImgscanError {
  if (err instanceof ImgscanError) return err;
  const e = err as { name?: string; message?: string; code?: string; cause?: { code?: string; message?: string } };
  const cause = e?.cause;
  const code = cause?.code ?? e?.code;
  const host = hostOf(context.url);
  if (code && (certificateCodes.test(code) || notTlsCodes.has(code))) {
    const what = certificateCodes.test(code)
      ? `TLS certificate of ${host} not accepted: ${cause?.message ?? e?.message} (${code})`
      : `TLS handshake with ${host} failed: the server does not speak TLS on this port (${code})`;
    return new ImgscanError('TLS', redact(`${method} failed: ${what}`), context, { cause: err });
  }
  const unreachable = unreachableMessage(code, cause?.message ?? e?.message, context.url);
  if (unreachable) return new ImgscanError('UNREACHABLE', redact(unreachable.message), context, { cause: err, retry: unreachable.retry });
  let what: string;
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') what = 'timed out';
  else what = [code, cause?.message ?? e?.message].filter(Boolean).join(' ') || String(err);
  return new ImgscanError('NETWORK', redact(`${method} failed: ${what}`), context, { cause: err, retry: 'yes' });
}

/**
 * The message for a server that cannot be reached at all: nothing listens on the port (ECONNREFUSED), or fetch
 * refuses the port itself (undici's "bad port": 1, 22, 25, 6000... the ports browsers block). Undefined otherwise.
 */
function unreachableMessage(code: string | undefined, message: string | undefined, url: string | undefined): { message: string; retry: Retry } | undefined {
  const host = hostOf(url);
  // A registry restarting refuses connections for a moment: one short retry.
  if (code === 'ECONNREFUSED') return { message: `registry not reachable at ${host}: connection refused`, retry: 'once' };
  if (message === 'bad port') {
    const port = portOf(url);
    // Retrying cannot help: fetch refuses the port itself.
    return { message: `fetch refuses to connect to port ${port} (${host}): it is one of the ports browsers block; run the registry on another port, e.g. 5000`, retry: 'no' };
  }
  return undefined;
}

function portOf(url: string | undefined): string {
  try {
    const u = new URL(url ?? '');
    return u.port || (u.protocol === 'https:' ? '443' : '80');
  } catch {
    return '?';
  }
}

function hostOf(url: string | undefined): string {
  try {
    return new URL(url ?? '').host || 'the server';
  } catch {
    return 'the server';
  }
}

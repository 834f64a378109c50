/**
 * Keeps credentials out of every message. Secrets a client learns (passwords, tokens) are registered here and
 * replaced wherever they appear; URLs lose their userinfo and sensitive query parameters; Authorization values
 * and bearer tokens are masked by shape even when they were never registered.
 */
const mask = '[REDACTED]';
const secrets = new Set<string>();

/** Remembers a secret so that `redact` removes it from any later text. Short values are ignored. */
export function registerSecret(secret: string | undefined): void {
  if (secret && secret.length >= 4) {
    secrets.add(secret);
    // The base64 form appears in Basic headers and in docker config files.
    secrets.add(Buffer.from(secret).toString('base64'));
  }
}

const sensitiveParams = /^(?:token|access_token|refresh_token|password|passwd|secret|signature|sig|verify|policy|key-pair-id|x-amz-signature|x-amz-credential|x-amz-security-token|x-goog-signature|x-goog-credential)$/i;

/** A URL without userinfo and with sensitive query parameters masked. */
export function redactUrl(url: string | URL): string {
  let u: URL;
  try {
    u = new URL(String(url));
  } catch {
    return redact(String(url));
  }
  if (u.username || u.password) {
    u.username = '';
    u.password = '';
  }
  for (const key of [...u.searchParams.keys()]) {
    if (sensitiveParams.test(key)) u.searchParams.set(key, mask);
  }
  return redact(u.toString());
}

/** Masks registered secrets, Authorization values, bearer/basic credentials and URL userinfo in free text. */
export function redact(text: string): string {
  let out = text;
  for (const s of secrets) if (out.includes(s)) out = out.split(s).join(mask);
  out = out.replace(/\b(authorization|proxy-authorization)(["']?\s*[:=]\s*["']?)[^"'\r\n,}]+/gi, `$1$2${mask}`);
  out = out.replace(/\b(Bearer|Basic)\s+[A-Za-z0-9\-._~+/]+=*/g, `$1 ${mask}`);
  out = out.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^/\s:@]+:[^/\s@]+@/gi, `$1${mask}@`);
  out = out.replace(/([?&](?:token|access_token|refresh_token|password|x-amz-signature|x-amz-credential|x-amz-security-token|x-goog-signature|x-goog-credential|signature|sig|verify|policy|key-pair-id)=)[^&\s"']+/gi, `$1${mask}`);
  out = out.replace(/\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g, mask);
  return out;
}

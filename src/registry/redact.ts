/**
 * Keeps credentials out of every message. Secrets a client learns (passwords, tokens) are registered here and
 * replaced wherever they appear; URLs lose their userinfo and sensitive query parameters; Authorization values
 * and bearer tokens are masked by shape even when they were never registered.
 */
const mask = '[REDACTED]';
const secrets = new Set<string>();

/**
 * Remembers a secret so that `redact` removes it from any later text, in every form a server may echo it in.
 * Short values are ignored.
 */
export function registerSecret(secret: string | undefined): void {
  if (secret && secret.length >= 4) for (const form of secretForms(secret)) secrets.add(form);
}

/**
 * A secret as written, base64 (Basic headers, docker config files), URL-encoded (encodeURIComponent, form
 * encoding with '+' for spaces, lowercase hex) and JSON-escaped without the quotes (JSON.stringify; Go's
 * encoding/json, which also escapes <, > and &; Python's json, which also escapes every non-ASCII character).
 */
export function secretForms(secret: string): string[] {
  const uri = encodeURIComponent(secret);
  const form = new URLSearchParams({ s: secret }).toString().slice(2);
  const json = JSON.stringify(secret).slice(1, -1);
  const escape = (s: string, chars: RegExp) => s.replace(chars, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  const goJson = escape(json, /[<>&\u2028\u2029]/g);
  const lowerHex = (s: string) => s.replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase());
  const encoded = [uri, uri.replace(/%20/g, '+'), form, lowerHex(uri), lowerHex(form)];
  const forms = [secret, Buffer.from(secret).toString('base64'), ...encoded, json, goJson, escape(json, /[^\x00-\x7f]/g), escape(goJson, /[^\x00-\x7f]/g)];
  return [...new Set(forms)];
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
  // Longest first: a form holding another (the JSON escape of a secret holding its raw prefix) goes whole.
  for (const s of [...secrets].sort((a, b) => b.length - a.length)) if (out.includes(s)) out = out.split(s).join(mask);
  out = out.replace(/\b(authorization|proxy-authorization)(["']?\s*[:=]\s*["']?)[^"'\r\n,}]+/gi, `$1$2${mask}`);
  out = out.replace(/\b(Bearer|Basic)\s+[A-Za-z0-9\-._~+/]+=*/g, `$1 ${mask}`);
  out = out.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^/\s:@]+:[^/\s@]+@/gi, `$1${mask}@`);
  out = out.replace(/([?&](?:token|access_token|refresh_token|password|x-amz-signature|x-amz-credential|x-amz-security-token|x-goog-signature|x-goog-credential|signature|sig|verify|policy|key-pair-id)=)[^&\s"']+/gi, `$1${mask}`);
  out = out.replace(/\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g, mask);
  return out;
}

/** The rel="next" target of an RFC 8288 Link header, resolved against the URL that returned it. */
export function nextLink(header: string | null, base: string | URL): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(/,(?=\s*<)/)) {
    const m = /^\s*<([^>]*)>(.*)$/.exec(part);
    if (!m) continue;
    const params = m[2];
    if (/;\s*rel\s*=\s*(?:"(?:[^"]*\s)?next(?:\s[^"]*)?"|next(?=\s*(?:;|$)))/i.test(params)) return new URL(m[1], base).toString();
  }
  return undefined;
}

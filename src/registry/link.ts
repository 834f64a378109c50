import { ImgscanError, type ErrorContext } from '../errors.js';
import { redactUrl } from './redact.js';

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

/**
 * The pages of one listing: each page URL is visited once and at most `max` pages are read. A listing whose next
 * page repeats a visited URL, or that goes on past `max` pages, fails with REGISTRY_ERROR naming the page.
 */
export class PageGuard {
  private readonly seen = new Set<string>();

  constructor(
    private readonly what: string,
    private readonly max: number,
    private readonly context: ErrorContext = {},
  ) {}

  /** Call before fetching each page. */
  visit(url: URL): void {
    // "?" with nothing after it, and a fragment, name the same page as the URL without them.
    const same = new URL(url);
    same.search = same.search;
    same.hash = '';
    const key = same.toString();
    if (this.seen.has(key)) {
      throw new ImgscanError('REGISTRY_ERROR', `${this.what} loops: page ${this.seen.size + 1} links back to a page already read`, { ...this.context, url: redactUrl(url) });
    }
    if (this.seen.size >= this.max) {
      throw new ImgscanError('REGISTRY_ERROR', `${this.what} has more than ${this.max} pages: refused as endless`, { ...this.context, url: redactUrl(url) });
    }
    this.seen.add(key);
  }
}

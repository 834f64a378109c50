import { ImgscanError } from '../errors.js';
import { defaultMaxListPages } from './limits.js';
import { nextLink, PageGuard } from './link.js';
import type { Transport } from './transport.js';

/** Page size asked of the registry (`?n=`); the registry may answer with fewer. */
export const defaultPageSize = 1000;

/** Options of a paged listing. */
export interface ListOptions {
  /** Page size asked of the registry (`?n=`); omitted: the server's default. */
  pageSize?: number;
  /** Pages read before the listing is refused as endless (default `defaultMaxListPages`). */
  maxPages?: number;
}

/**
 * Yields a JSON list field page by page, following `Link: <...>; rel="next"` until there is none. A page that
 * points back to an already read URL, or more than `maxPages` pages, fail the listing with REGISTRY_ERROR.
 */
export async function* pagedList(
  transport: Transport,
  firstUrl: string,
  field: string,
  scope: string,
  context: { repository?: string } = {},
  maxPages = defaultMaxListPages,
): AsyncGenerator<string> {
  let url: string | undefined = firstUrl;
  const pages = new PageGuard(field === 'tags' ? 'tag list' : 'catalog', maxPages, context);
  while (url) {
    pages.visit(transport.resolve(url));
    const { response, body } = await transport.fetchBytes({ url, scope, context, headers: { accept: 'application/json' } });
    let doc: Record<string, unknown>;
    try {
      doc = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
    } catch {
      throw new ImgscanError('REGISTRY_ERROR', `listing page is not JSON`, { ...context, url: transport.resolve(url).pathname });
    }
    const items = doc[field];
    if (items !== null && items !== undefined && !Array.isArray(items)) {
      throw new ImgscanError('REGISTRY_ERROR', `listing page has no "${field}" list`, { ...context, url: transport.resolve(url).pathname });
    }
    for (const item of (items as unknown[] | null) ?? []) if (typeof item === 'string') yield item;
    url = nextLink(response.headers.get('link'), transport.resolve(url));
  }
}

/** Every repository of a registry through `/v2/_catalog`, following pagination. */
export function catalog(transport: Transport, options: ListOptions = {}): AsyncGenerator<string> {
  return pagedList(transport, `/v2/_catalog?n=${options.pageSize ?? defaultPageSize}`, 'repositories', 'registry:catalog:*', {}, options.maxPages);
}

import { ImgscanError } from '../errors.js';
import { nextLink } from './link.js';
import type { Transport } from './transport.js';

/** Page size asked of the registry (`?n=`); the registry may answer with fewer. */
export const defaultPageSize = 1000;

/**
 * Yields a JSON list field page by page, following `Link: <...>; rel="next"` until there is none. A page that
 * points back to an already seen URL ends the listing instead of looping.
 */
export async function* pagedList(transport: Transport, firstUrl: string, field: string, scope: string, context: { repository?: string } = {}): AsyncGenerator<string> {
  let url: string | undefined = firstUrl;
  const seen = new Set<string>();
  while (url) {
    const key = transport.resolve(url).toString();
    if (seen.has(key)) return;
    seen.add(key);
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
export function catalog(transport: Transport, pageSize = defaultPageSize): AsyncGenerator<string> {
  return pagedList(transport, `/v2/_catalog?n=${pageSize}`, 'repositories', 'registry:catalog:*');
}

import { ImgscanError } from '../errors.js';
import type { Credential } from './credentials.js';
import { defaultMaxListPages } from './limits.js';
import { PageGuard } from './link.js';
import { redactUrl, registerSecret } from './redact.js';
import type { Transport } from './transport.js';

/** Where Docker Hub serves its repository-listing API. */
export const dockerHubApi = 'https://hub.docker.com';

interface HubPage {
  count?: number;
  next?: string | null;
  results?: { name?: string; namespace?: string }[];
}

/**
 * Docker Hub has no `_catalog`; its web API lists the repositories of a namespace instead, page by page
 * (`next` holds the absolute URL of the following page). Yields full repository names ("namespace/name").
 * `transport` must point at the Hub API (see `dockerHubApi`); with a username and password it logs in first so
 * that private repositories are listed too.
 */
export async function* hubRepositories(transport: Transport, namespace: string, options: { pageSize?: number; credential?: Credential; maxPages?: number } = {}): AsyncGenerator<string> {
  const headers: Record<string, string> = { accept: 'application/json' };
  const c = options.credential;
  if (c?.username && c.password) headers.authorization = `Bearer ${await hubLogin(transport, c.username, c.password)}`;
  let url: string | undefined = `/v2/namespaces/${encodeURIComponent(namespace)}/repositories?page_size=${options.pageSize ?? 100}`;
  const pages = new PageGuard('Docker Hub listing', options.maxPages ?? defaultMaxListPages, { repository: namespace });
  while (url) {
    const abs = transport.resolve(url);
    pages.visit(abs);
    // `next` may name another host in principle: send the login token only to the API's own origin.
    const pageHeaders = abs.origin === transport.resolve('/').origin ? headers : { accept: 'application/json' };
    const { body } = await transport.fetchBytes({ url: abs.toString(), headers: pageHeaders, context: { repository: namespace } });
    let page: HubPage;
    try {
      page = JSON.parse(body.toString('utf8')) as HubPage;
    } catch {
      throw new ImgscanError('REGISTRY_ERROR', 'Docker Hub listing page is not JSON', { repository: namespace, url: redactUrl(abs) });
    }
    if (!Array.isArray(page.results)) throw new ImgscanError('REGISTRY_ERROR', 'Docker Hub listing page has no "results" list', { repository: namespace, url: redactUrl(abs) });
    for (const r of page.results) {
      if (typeof r?.name === 'string' && r.name) yield `${r.namespace ?? namespace}/${r.name}`;
    }
    url = typeof page.next === 'string' && page.next ? page.next : undefined;
  }
}

async function hubLogin(transport: Transport, username: string, password: string): Promise<string> {
  const response = await transport.sendPlain(transport.resolve('/v2/users/login').toString(), {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (!response.ok) {
    throw new ImgscanError(response.status === 401 ? 'UNAUTHORIZED' : 'REGISTRY_ERROR', `Docker Hub login answered ${response.status}`, { url: redactUrl(transport.resolve('/v2/users/login')) });
  }
  const doc = (await response.json()) as { token?: string };
  if (!doc.token) throw new ImgscanError('REGISTRY_ERROR', 'Docker Hub login answered without a token');
  registerSecret(doc.token);
  return doc.token;
}

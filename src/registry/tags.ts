import { pagedList } from './catalog.js';
import type { Transport } from './transport.js';

/** The scope a pull of `repository` needs. */
export function pullScope(repository: string): string {
  return `repository:${repository}:pull`;
}

/** Every tag of a repository through `/v2/NAME/tags/list`, following pagination (`pageSize` omitted: server default). */
export function tags(transport: Transport, repository: string, pageSize?: number): AsyncGenerator<string> {
  const query = pageSize ? `?n=${pageSize}` : '';
  return pagedList(transport, `/v2/${repository}/tags/list${query}`, 'tags', pullScope(repository), { repository });
}

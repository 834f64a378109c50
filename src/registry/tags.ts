import { pagedList, type ListOptions } from './catalog.js';
import type { Transport } from './transport.js';

/** The scope a pull of `repository` needs. */
export function pullScope(repository: string): string {
  return `repository:${repository}:pull`;
}

/** Every tag of a repository through `/v2/NAME/tags/list`, following pagination (`pageSize` omitted: server default). */
export function tags(transport: Transport, repository: string, options: ListOptions = {}): AsyncGenerator<string> {
  const query = options.pageSize ? `?n=${options.pageSize}` : '';
  return pagedList(transport, `/v2/${repository}/tags/list${query}`, 'tags', pullScope(repository), { repository }, options.maxPages);
}

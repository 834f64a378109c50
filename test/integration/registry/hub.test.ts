import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient } from '../../../src/registry/client.js';

/** A stand-in for Docker Hub's repository-listing API with its documented response shape. */
function hubServer(repos: Record<string, string[]>, pageSize: number, token?: string) {
  const seen: string[] = [];
  let base = '';
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', base);
    seen.push(`${req.method} ${url.pathname}${url.search} ${req.headers.authorization ?? ''}`);
    if (req.method === 'POST' && url.pathname === '/v2/users/login') {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        const { username, password } = JSON.parse(body) as { username: string; password: string };
        if (username === 'hubuser' && password === 'hub-password') res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token }));
        else res.writeHead(401).end('{"detail":"Incorrect authentication credentials"}');
      });
      return;
    }
    const m = /^\/v2\/namespaces\/([^/]+)\/repositories$/.exec(url.pathname);
    if (!m || !repos[m[1]]) return void res.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"object not found"}');
    const size = Math.min(Number(url.searchParams.get('page_size') ?? pageSize), pageSize);
    const page = Number(url.searchParams.get('page') ?? '1');
    const all = repos[m[1]].filter((n) => !n.startsWith('private-') || req.headers.authorization === `Bearer ${token}`);
    const results = all.slice((page - 1) * size, page * size).map((name) => ({ name, namespace: m[1], repository_type: 'image', status: 1, is_private: false, star_count: 0, pull_count: 7, last_updated: '2024-01-01T00:00:00Z' }));
    const link = (p: number) => `${base}/v2/namespaces/${m[1]}/repositories?page=${p}&page_size=${size}`;
    res.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({ count: all.length, next: page * size < all.length ? link(page + 1) : null, previous: page > 1 ? link(page - 1) : null, results }),
    );
  });
  return {
    seen,
    start: () => new Promise<string>((r) => server.listen(0, '127.0.0.1', () => r((base = `http://127.0.0.1:${(server.address() as { port: number }).port}`)))),
    stop: () => new Promise<void>((r) => (server as Server).close(() => r())),
  };
}

describe('Docker Hub namespace listing (local server with the Hub response shape)', () => {
  const repos = { library: ['alpine', 'busybox', 'debian', 'nginx', 'ubuntu'], acme: ['one', 'private-two', 'three'] };
  const hub = hubServer(repos, 2, 'hub-session-token');
  let api: string;
  beforeAll(async () => {
    api = await hub.start();
  });
  afterAll(() => hub.stop());

  it('follows `next` through every page', async () => {
    const client = new RegistryClient('docker.io', { hubApi: api, pageSize: 2 });
    const listed: string[] = [];
    for await (const r of client.repositories('library')) listed.push(r);
    expect(listed).toEqual(repos.library.map((n) => `library/${n}`));
    expect(hub.seen.filter((s) => s.includes('/namespaces/library/')).length).toBe(3);
  });

  it('logs in first with credentials so private repositories are listed, and sends the token only to the API', async () => {
    const client = new RegistryClient('docker.io', { hubApi: api, pageSize: 2, credential: { username: 'hubuser', password: 'hub-password' } });
    const listed: string[] = [];
    for await (const r of client.repositories('acme')) listed.push(r);
    expect(listed).toEqual(['acme/one', 'acme/private-two', 'acme/three']);
  });

  it('answers NOT_FOUND for an unknown namespace', async () => {
    const client = new RegistryClient('docker.io', { hubApi: api });
    await expect((async () => {
      for await (const _ of client.repositories('nobody')) void _;
    })()).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('refuses a catalog on docker.io', () => {
    const client = new RegistryClient('docker.io', { hubApi: api });
    expect(() => client.catalog()).toThrow(/no catalog/);
  });
});

async function reachable(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { method: 'HEAD', signal: AbortSignal.timeout(3000) });
    await res.arrayBuffer();
    return true;
  } catch {
    return false;
  }
}

const online = await reachable('https://hub.docker.com/v2/namespaces/library/repositories?page_size=1');

describe('Docker Hub, live', () => {
  it.skipIf(!online)(online ? 'lists the first pages of the library namespace' : 'lists the library namespace (skipped: hub.docker.com is not reachable from here)', async () => {
    const client = new RegistryClient('docker.io', { pageSize: 10 });
    const listed: string[] = [];
    for await (const r of client.repositories('library')) {
      listed.push(r);
      if (listed.length >= 25) break;
    }
    expect(listed.length).toBe(25);
    expect(listed.every((r) => r.startsWith('library/'))).toBe(true);
    expect(new Set(listed).size).toBe(25);
  });
});

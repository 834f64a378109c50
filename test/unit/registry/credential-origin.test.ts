import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient } from '../../../src/registry/client.js';
import { Transport } from '../../../src/registry/transport.js';

// A registry (basic auth) whose listing points its next page at another origin, and whose /redirect sends
// the client there: that other origin must never see the registry's credentials. The CNCF registry cannot be
// made to answer so; two plain HTTP servers on 127.0.0.1 stand in for a registry behind a misconfigured proxy.
const seenElsewhere: IncomingHttpHeaders[] = [];
let registry: Server;
let elsewhere: Server;
let registryHost: string;
let elsewhereUrl: string;
const basic = `Basic ${Buffer.from('u:secret-pw').toString('base64')}`;

const listen = (server: Server) => new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));

beforeAll(async () => {
  elsewhere = createServer((req, res) => {
    seenElsewhere.push(req.headers);
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"name":"r","tags":["z"]}');
  });
  elsewhereUrl = `http://127.0.0.1:${await listen(elsewhere)}`;
  registry = createServer((req, res) => {
    if (req.headers.authorization !== basic) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="r"' }).end();
      return;
    }
    if (req.url === '/redirect') {
      res.writeHead(307, { location: `${elsewhereUrl}/storage/blob` }).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', link: `<${elsewhereUrl}/v2/r/tags/list?last=a>; rel="next"` }).end('{"name":"r","tags":["a"]}');
  });
  registryHost = `127.0.0.1:${await listen(registry)}`;
});

afterAll(() => {
  registry.close();
  elsewhere.close();
});

describe('credentials stay with the registry', () => {
  it('a next page on another origin is fetched without the registry credentials', async () => {
    seenElsewhere.length = 0;
    const client = new RegistryClient(registryHost, { scheme: 'http', credential: { username: 'u', password: 'secret-pw' }, retries: 0 });
    const tags: string[] = [];
    for await (const t of client.tags('r')) tags.push(t);
    expect(tags).toEqual(['a', 'z']);
    expect(seenElsewhere).toHaveLength(1);
    expect(seenElsewhere[0]!.authorization).toBeUndefined();
  });

  it('an Authorization header of the request is not carried to a redirect on another origin', async () => {
    seenElsewhere.length = 0;
    const transport = new Transport({ registry: registryHost, baseUrl: `http://${registryHost}`, retries: 0 });
    const { response } = await transport.fetchBytes({ url: '/redirect', headers: { authorization: basic, cookie: 'session=1', accept: 'application/json' } });
    expect(response.status).toBe(200);
    expect(seenElsewhere).toHaveLength(1);
    expect(seenElsewhere[0]!.authorization).toBeUndefined();
    expect(seenElsewhere[0]!.cookie).toBeUndefined();
    expect(seenElsewhere[0]!.accept).toBe('application/json');
  });
});

/**
 * A small token service for the distribution registry's `auth: token` mode: it checks HTTP basic credentials
 * and answers RS256 JWTs whose x5c header carries a self-signed certificate (made with openssl) that the
 * registry trusts through `rootcertbundle`. Anonymous requests get tokens without access.
 */
import { execFile } from 'node:child_process';
import { createPrivateKey, createSign, X509Certificate, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TokenServer {
  realm: string;
  service: string;
  issuer: string;
  certPath: string;
  /** Tokens issued so far, and the scopes asked for each. */
  issued: { user: string | null; scopes: string[] }[];
  /** Requests refused for bad credentials. */
  refused: number;
  /** Lifetime given to new tokens in seconds. */
  expiresIn: number;
  stop(): Promise<void>;
}

const b64url = (data: Buffer | string) => Buffer.from(data).toString('base64url');

export async function startTokenServer(users: Record<string, string>): Promise<TokenServer> {
  const dir = await mkdtemp(join(tmpdir(), 'imgscan-token-'));
  const keyPath = join(dir, 'key.pem');
  const certPath = join(dir, 'cert.pem');
  await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyPath, '-out', certPath, '-days', '2', '-subj', '/CN=imgscan-test-token']);
  const key = createPrivateKey(await readFile(keyPath));
  const cert = new X509Certificate(await readFile(certPath));
  const x5c = [cert.raw.toString('base64')];
  const service = 'imgscan-test-registry';
  const issuer = 'imgscan-test-issuer';
  let server: Server;
  const state: TokenServer = {
    realm: '',
    service,
    issuer,
    certPath,
    issued: [],
    refused: 0,
    expiresIn: 300,
    async stop() {
      await new Promise((r) => server.close(r));
      await rm(dir, { recursive: true, force: true });
    },
  };
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    let user: string | null = null;
    const auth = req.headers.authorization;
    if (auth) {
      const m = /^Basic (.+)$/.exec(auth);
      const [name, ...rest] = Buffer.from(m?.[1] ?? '', 'base64').toString('utf8').split(':');
      if (!m || users[name] === undefined || users[name] !== rest.join(':')) {
        state.refused++;
        res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ details: 'incorrect username or password' }));
        return;
      }
      user = name;
    }
    const scopes = url.searchParams.getAll('scope').flatMap((s) => s.split(' ')).filter(Boolean);
    const access = user
      ? scopes.map((s) => {
          const parts = s.split(':');
          const actions = parts.pop()!.split(',');
          const type = parts.shift()!;
          return { type, name: parts.join(':'), actions };
        })
      : [];
    const now = Math.floor(Date.now() / 1000);
    const header = { alg: 'RS256', typ: 'JWT', x5c };
    const claims = { iss: issuer, sub: user ?? '', aud: url.searchParams.get('service') ?? service, exp: now + state.expiresIn, nbf: now - 10, iat: now, jti: randomUUID(), access };
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    const signature = createSign('RSA-SHA256').update(input).sign(key);
    state.issued.push({ user, scopes });
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token: `${input}.${b64url(signature)}`, expires_in: state.expiresIn, issued_at: new Date().toISOString() }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  state.realm = `http://127.0.0.1:${(server.address() as { port: number }).port}/token`;
  return state;
}

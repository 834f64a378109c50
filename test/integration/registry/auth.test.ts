import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImgscanError } from '../../../src/errors.js';
import { RegistryClient } from '../../../src/registry/client.js';
import { buildLayout, inspectRaw, push, startRegistry, type TestRegistry } from '../../support/registry.js';
import { startTokenServer, type TokenServer } from '../../support/token-server.js';
import { sha256 } from './fixture.js';

const creds = { username: 'scanner', password: 'S3cret-pa55word' };
let dir: string;
let layout: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'imgscan-auth-'));
  layout = await buildLayout(join(dir, 'img'), 'x', { files: [['/etc/os-release', '/etc/os-release']] });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Every way an error could show a secret. */
function shown(err: ImgscanError): string {
  return [err.message, err.describe(), JSON.stringify(err.context), String(err.stack)].join('\n');
}

function assertNoSecret(err: unknown) {
  expect(err).toBeInstanceOf(ImgscanError);
  const text = shown(err as ImgscanError);
  expect(text).not.toContain(creds.password);
  expect(text).not.toContain(Buffer.from(`${creds.username}:${creds.password}`).toString('base64'));
}

async function exercise(host: string, credential?: { username: string; password: string }) {
  const client = new RegistryClient(host, { credential, retries: 1, backoffMs: 10 });
  const m = await client.manifest('secure/app', 'v1');
  if (m.document.kind !== 'manifest') throw new Error('expected a manifest');
  const config = await client.blob('secure/app', m.document.manifest.config);
  const repos: string[] = [];
  for await (const r of client.catalog()) repos.push(r);
  return { m, config, repos, client };
}

describe('HTTP basic auth (htpasswd, bcrypt)', () => {
  let registry: TestRegistry;
  beforeAll(async () => {
    registry = await startRegistry({ htpasswd: creds });
    await push(layout, `${registry.host}/secure/app:v1`, { format: 'oci', creds });
  });
  afterAll(() => registry?.stop());

  it('works with the right credentials', async () => {
    const { m, repos } = await exercise(registry.host, creds);
    expect(m.digest).toBe(sha256(await inspectRaw(`${registry.host}/secure/app:v1`, creds)));
    expect(repos).toEqual(['secure/app']);
  });

  it('answers UNAUTHORIZED without credentials', async () => {
    const err = await exercise(registry.host).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'UNAUTHORIZED' });
    expect((err as ImgscanError).message).toMatch(/401.*no credentials for/);
  });

  it('answers UNAUTHORIZED with a wrong password and never shows it', async () => {
    const wrong = { username: creds.username, password: 'Wr0ng-' + creds.password };
    const err = await exercise(registry.host, wrong).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'UNAUTHORIZED' });
    expect((err as ImgscanError).message).toContain('not accepted');
    expect(shown(err as ImgscanError)).not.toContain(wrong.password);
    assertNoSecret(err);
  });

  it('keeps the password out of errors raised after a successful login', async () => {
    const client = new RegistryClient(registry.host, { credential: creds });
    const err = await client.manifest('secure/app', 'missing').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'NOT_FOUND' });
    assertNoSecret(err);
  });
});

describe('bearer token auth (RS256 token server)', () => {
  let registry: TestRegistry;
  let tokens: TokenServer;
  beforeAll(async () => {
    tokens = await startTokenServer({ [creds.username]: creds.password });
    registry = await startRegistry({ token: tokens });
    await push(layout, `${registry.host}/secure/app:v1`, { format: 'oci', creds });
  });
  afterAll(async () => {
    await registry?.stop();
    await tokens?.stop();
  });

  it('gets tokens per scope, repository and registry:catalog:*, and caches them', async () => {
    const before = tokens.issued.length;
    const { m, client, repos } = await exercise(registry.host, creds);
    const issued = tokens.issued.slice(before);
    expect(repos).toEqual(['secure/app']);
    expect(issued.map((t) => t.scopes)).toEqual([['repository:secure/app:pull'], ['registry:catalog:*']]);
    expect(issued.every((t) => t.user === creds.username)).toBe(true);
    // Cached: more requests in the same scope need no new token.
    await client.manifest('secure/app', 'v1');
    await client.manifest('secure/app', m.digest);
    expect(tokens.issued.length).toBe(before + 2);
    expect(m.digest).toBe(sha256(await inspectRaw(`${registry.host}/secure/app:v1`, creds)));
  });

  it('refreshes a token when it expires', async () => {
    tokens.expiresIn = 1;
    try {
      const client = new RegistryClient(registry.host, { credential: creds });
      await client.manifest('secure/app', 'v1');
      const before = tokens.issued.length;
      await new Promise((r) => setTimeout(r, 1200));
      await client.manifest('secure/app', 'v1');
      expect(tokens.issued.length).toBe(before + 1);
    } finally {
      tokens.expiresIn = 300;
    }
  });

  it('answers UNAUTHORIZED for anonymous clients', async () => {
    const err = await exercise(registry.host).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'UNAUTHORIZED' });
    expect((err as ImgscanError).message).toContain('no credentials for');
  });

  it('answers UNAUTHORIZED when the token service refuses the password, and never shows it', async () => {
    const wrong = { username: creds.username, password: 'Wr0ng-' + creds.password };
    const refused = tokens.refused;
    const err = await exercise(registry.host, wrong).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'UNAUTHORIZED' });
    expect((err as ImgscanError).message).toContain('token service refused');
    expect(tokens.refused).toBe(refused + 1);
    expect(shown(err as ImgscanError)).not.toContain(wrong.password);
    assertNoSecret(err);
  });

  it('keeps tokens out of errors', async () => {
    const client = new RegistryClient(registry.host, { credential: creds });
    await client.manifest('secure/app', 'v1');
    const err = await client.manifest('secure/app', 'missing').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'NOT_FOUND' });
    assertNoSecret(err);
    expect(shown(err as ImgscanError)).not.toMatch(/eyJ[A-Za-z0-9_-]{8,}\./);
  });
});

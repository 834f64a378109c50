import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalizeServer, resolveCredential, runCredentialHelper } from '../../../src/registry/credentials.js';

let dir: string;
let helperLog: string;
const b64 = (s: string) => Buffer.from(s).toString('base64');

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'imgscan-creds-'));
  helperLog = join(dir, 'helper.log');
  // A credential helper following the docker-credential-helpers protocol: server URL on stdin, JSON on stdout.
  const helper = `#!/bin/sh
read server
echo "$1 $server" >> ${helperLog}
case "$server" in
  ghcr.io) echo '{"ServerURL":"ghcr.io","Username":"gh-user","Secret":"gh-secret"}' ;;
  https://index.docker.io/v1/) echo '{"ServerURL":"https://index.docker.io/v1/","Username":"<token>","Secret":"hub-refresh"}' ;;
  *) echo "credentials not found in native keychain"; exit 1 ;;
esac
`;
  await writeFile(join(dir, 'docker-credential-fake'), helper);
  await chmod(join(dir, 'docker-credential-fake'), 0o755);
  process.env.PATH = `${dir}:${process.env.PATH}`;
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function config(doc: unknown): Promise<string> {
  const path = join(dir, `config-${Math.random().toString(36).slice(2)}.json`);
  await writeFile(path, JSON.stringify(doc));
  return path;
}

describe('credentials', () => {
  it('normalizes config keys', () => {
    expect(normalizeServer('https://index.docker.io/v1/')).toBe('docker.io');
    expect(normalizeServer('registry-1.docker.io')).toBe('docker.io');
    expect(normalizeServer('http://LOCALHOST:5000/v2/')).toBe('localhost:5000');
  });

  it('prefers flags, then the environment', async () => {
    const env = { IMGSCAN_REGISTRY_USERNAME: 'env-user', IMGSCAN_REGISTRY_PASSWORD: 'env-pass' };
    expect(await resolveCredential('r.example', { username: 'flag-user', password: 'flag-pass', env, dockerConfig: false })).toEqual({ username: 'flag-user', password: 'flag-pass' });
    expect(await resolveCredential('r.example', { env, dockerConfig: false })).toEqual({ username: 'env-user', password: 'env-pass' });
    await expect(resolveCredential('r.example', { username: 'only-user', env: {}, dockerConfig: false })).rejects.toMatchObject({ code: 'USAGE' });
  });

  it('reads auths entries (base64 auth, identity and registry tokens), matching hosts loosely', async () => {
    const path = await config({
      auths: {
        'https://index.docker.io/v1/': { auth: b64('hub-user:hub:pass') },
        'reg.example:5000': { auth: b64('u:p'), identitytoken: 'id-tok' },
        'https://tok.example': { registrytoken: 'reg-tok' },
      },
    });
    expect(await resolveCredential('docker.io', { env: {}, dockerConfig: path })).toEqual({ username: 'hub-user', password: 'hub:pass' });
    expect(await resolveCredential('reg.example:5000', { env: {}, dockerConfig: path })).toEqual({ username: 'u', password: 'p', identityToken: 'id-tok' });
    expect(await resolveCredential('tok.example', { env: {}, dockerConfig: path })).toEqual({ registryToken: 'reg-tok' });
    expect(await resolveCredential('other.example', { env: {}, dockerConfig: path })).toBeUndefined();
  });

  it('runs credHelpers for their registry and credsStore for the others', async () => {
    const path = await config({ credHelpers: { 'ghcr.io': 'fake' }, credsStore: 'fake', auths: { 'ghcr.io': { auth: b64('not:used') } } });
    expect(await resolveCredential('ghcr.io', { env: {}, dockerConfig: path })).toEqual({ username: 'gh-user', password: 'gh-secret' });
    expect(await resolveCredential('docker.io', { env: {}, dockerConfig: path })).toEqual({ identityToken: 'hub-refresh' });
    // The helper has nothing for this host: anonymous.
    expect(await resolveCredential('quay.io', { env: {}, dockerConfig: path })).toBeUndefined();
  });

  it('reads $DOCKER_CONFIG/config.json by default', async () => {
    const sub = join(dir, 'dockercfg');
    await rm(sub, { recursive: true, force: true });
    await import('node:fs/promises').then((fs) => fs.mkdir(sub));
    await writeFile(join(sub, 'config.json'), JSON.stringify({ auths: { 'r.example': { username: 'a', password: 'b' } } }));
    expect(await resolveCredential('r.example', { env: { DOCKER_CONFIG: sub } })).toEqual({ username: 'a', password: 'b' });
    expect(await resolveCredential('r.example', { env: { DOCKER_CONFIG: join(dir, 'missing') } })).toBeUndefined();
  });

  it('never echoes a broken config file', async () => {
    const path = join(dir, 'broken.json');
    await writeFile(path, '{"auths": {"r": {"auth": "c2VjcmV0LXNlY3JldA=="}');
    const err = await resolveCredential('r', { env: {}, dockerConfig: path }).catch((e: Error) => e);
    expect(String((err as Error).message)).not.toContain('c2VjcmV0');
  });

  it('refuses helper names that are not plain words', async () => {
    await expect(runCredentialHelper('../evil', 'x')).rejects.toThrow(/bad helper name/);
  });
});

import { describe, expect, it } from 'vitest';
import { Authenticator, parseChallenges } from '../../../src/registry/auth.js';

describe('parseChallenges', () => {
  const cases: [string, ReturnType<typeof parseChallenges>][] = [
    [
      'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull"',
      [{ scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/alpine:pull' } }],
    ],
    ['Basic realm="Registry Realm"', [{ scheme: 'basic', params: { realm: 'Registry Realm' } }]],
    [
      'Bearer realm="https://r/token", scope="repository:a:pull repository:b:pull", error="insufficient_scope"',
      [{ scheme: 'bearer', params: { realm: 'https://r/token', scope: 'repository:a:pull repository:b:pull', error: 'insufficient_scope' } }],
    ],
    ['Basic realm="a", Bearer realm="b",service=s', [{ scheme: 'basic', params: { realm: 'a' } }, { scheme: 'bearer', params: { realm: 'b', service: 's' } }]],
    ['Bearer realm="with \\"quotes\\" and, comma"', [{ scheme: 'bearer', params: { realm: 'with "quotes" and, comma' } }]],
    ['', []],
  ];
  for (const [header, want] of cases) it(header || '(empty)', () => expect(parseChallenges(header)).toEqual(want));
});

function fakeTokenService(lifetime?: number) {
  const calls: { url: string; init: RequestInit }[] = [];
  let n = 0;
  const send = async (url: string, init: RequestInit) => {
    calls.push({ url, init });
    return new Response(JSON.stringify({ token: `tok-${++n}-abcdef`, ...(lifetime ? { expires_in: lifetime } : {}) }), { status: 200 });
  };
  return { calls, send };
}

const challenge = 'Bearer realm="https://auth.example/token",service="reg.example",scope="repository:a/b:pull"';

describe('Authenticator', () => {
  describe('a bearer token', () => {
    /** An authenticator with basic credentials for the token service, at a clock the test moves. */
    function challenged() {
      const clock = { now: 1_000_000 };
      const svc = fakeTokenService(300);
      const auth = new Authenticator({ registry: 'reg.example', credential: { username: 'u', password: 'p4ss' }, send: svc.send, now: () => clock.now });
      return { clock, svc, auth };
    }

    it('is not sent before a challenge, and is fetched after one', async () => {
      const { auth } = challenged();
      expect(await auth.header('repository:a/b:pull')).toBeUndefined();
      expect(await auth.onUnauthorized(challenge, 'repository:a/b:pull', undefined)).toBe(true);
      expect(await auth.header('repository:a/b:pull')).toBe('Bearer tok-1-abcdef');
    });

    it('is asked of the service for the scope, with the basic credentials', async () => {
      const { auth, svc } = challenged();
      await auth.onUnauthorized(challenge, 'repository:a/b:pull', undefined);
      const url = new URL(svc.calls[0].url);
      expect(url.searchParams.get('service')).toBe('reg.example');
      expect(url.searchParams.getAll('scope')).toEqual(['repository:a/b:pull']);
      expect((svc.calls[0].init.headers as Record<string, string>).authorization).toBe(`Basic ${Buffer.from('u:p4ss').toString('base64')}`);
    });

    it('is cached per scope', async () => {
      const { auth } = challenged();
      await auth.onUnauthorized(challenge, 'repository:a/b:pull', undefined);
      expect(await auth.header('repository:a/b:pull')).toBe('Bearer tok-1-abcdef');
      expect(await auth.header('repository:a/b:pull')).toBe('Bearer tok-1-abcdef');
    });

    it('for another scope is fetched without a second challenge', async () => {
      const { auth } = challenged();
      await auth.onUnauthorized(challenge, 'repository:a/b:pull', undefined);
      expect(await auth.header('repository:a/b:pull')).toBe('Bearer tok-1-abcdef');
      expect(await auth.header('registry:catalog:*')).toBe('Bearer tok-2-abcdef');
    });

    it('is refreshed 30 s before it expires', async () => {
      const { auth, clock } = challenged();
      await auth.onUnauthorized(challenge, 'repository:a/b:pull', undefined);
      expect(await auth.header('repository:a/b:pull')).toBe('Bearer tok-1-abcdef');
      clock.now += 271_000; // 300 s lifetime, refreshed 30 s early
      expect(await auth.header('repository:a/b:pull')).toBe('Bearer tok-2-abcdef');
    });
  });

  it('assumes 60 s when the service gives no expires_in', async () => {
    let now = 0;
    const svc = fakeTokenService();
    const auth = new Authenticator({ registry: 'r', send: svc.send, now: () => now });
    await auth.onUnauthorized(challenge, 's', undefined);
    now = 50_000;
    expect(await auth.header('s')).toBe('Bearer tok-1-abcdef');
    now = 55_000;
    expect(await auth.header('s')).toBe('Bearer tok-2-abcdef');
  });

  it('drops a refused token and fetches a new one', async () => {
    const svc = fakeTokenService(300);
    const auth = new Authenticator({ registry: 'r', send: svc.send });
    await auth.onUnauthorized(challenge, 's', undefined);
    await auth.onUnauthorized(challenge, 's', 'Bearer tok-1-abcdef');
    expect(await auth.header('s')).toBe('Bearer tok-2-abcdef');
    expect(svc.calls.length).toBe(2);
  });

  it('lets concurrent callers of a scope share one token fetch', async () => {
    const svc = fakeTokenService(300);
    const auth = new Authenticator({ registry: 'r', send: svc.send });
    await auth.onUnauthorized(challenge, 's', undefined);
    const [a, b] = await Promise.all([auth.header('t'), auth.header('t')]);
    expect(a).toBe(b);
    expect(svc.calls.length).toBe(2);
  });

  it('uses basic credentials when challenged for them', async () => {
    const auth = new Authenticator({ registry: 'r', credential: { username: 'u', password: 'pw12' }, send: fakeTokenService().send });
    expect(await auth.onUnauthorized('Basic realm="x"', undefined, undefined)).toBe(true);
    expect(await auth.header(undefined)).toBe(`Basic ${Buffer.from('u:pw12').toString('base64')}`);
  });

  it('gives up when basic credentials were refused', async () => {
    const auth = new Authenticator({ registry: 'r', credential: { username: 'u', password: 'pw12' }, send: fakeTokenService().send });
    await auth.onUnauthorized('Basic realm="x"', undefined, undefined);
    const header = await auth.header(undefined);
    expect(await auth.onUnauthorized('Basic realm="x"', undefined, header)).toBe(false);
  });

  it('gives up a basic challenge without credentials, and says there are none', async () => {
    const anonymous = new Authenticator({ registry: 'r', send: fakeTokenService().send });
    expect(await anonymous.onUnauthorized('Basic realm="x"', undefined, undefined)).toBe(false);
    expect(anonymous.unauthorizedHint()).toBe('authentication required: no credentials for r');
  });

  it('sends an identity token as an OAuth2 refresh_token grant', async () => {
    const svc = fakeTokenService(300);
    const auth = new Authenticator({ registry: 'r', credential: { identityToken: 'refresh-xyz' }, send: svc.send });
    await auth.onUnauthorized(challenge, 'repository:a/b:pull', undefined);
    expect(svc.calls[0].init.method).toBe('POST');
    const form = new URLSearchParams(String(svc.calls[0].init.body));
    expect(Object.fromEntries(form)).toEqual({ grant_type: 'refresh_token', refresh_token: 'refresh-xyz', client_id: 'imgscan', service: 'reg.example', scope: 'repository:a/b:pull' });
  });

  it('turns a refusal of the token service into UNAUTHORIZED', async () => {
    const auth = new Authenticator({ registry: 'r', credential: { username: 'u', password: 'bad-pass' }, send: async () => new Response('{"details":"nope"}', { status: 401 }) });
    await expect(auth.onUnauthorized(challenge, 's', undefined)).rejects.toMatchObject({ code: 'UNAUTHORIZED', message: expect.stringContaining('token service refused') });
  });
});

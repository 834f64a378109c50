import { describe, expect, it } from 'vitest';
import { registerSecret } from '../../../src/registry/redact.js';
import { Transport } from '../../../src/registry/transport.js';

/**
 * A fetch that plays the given answers in order (a function may throw, as fetch does on a network failure) and
 * records each URL and whether a dispatcher was passed.
 */
function scripted(answers: (() => Response)[]): { fetch: typeof fetch; urls: string[]; dispatchers: boolean[] } {
  const urls: string[] = [];
  const dispatchers: boolean[] = [];
  let n = 0;
  const fake = async (input: string | URL | Request, init?: RequestInit & { dispatcher?: unknown }) => {
    urls.push(String(input));
    dispatchers.push(init?.dispatcher !== undefined);
    const answer = answers[n++];
    if (!answer) throw new Error(`request ${n} was not expected`);
    return answer();
  };
  return { fetch: fake as typeof fetch, urls, dispatchers };
}

const networkFailure = (message: string, code = 'ECONNRESET') => () => {
  throw new TypeError('fetch failed', { cause: Object.assign(new Error(message), { code }) });
};

function transport(fetchFn: typeof fetch, lines: string[], baseUrl = 'https://reg.example') {
  return new Transport({ registry: 'reg.example', baseUrl, retries: 3, backoffMs: 1, maxBackoffMs: 2, fetch: fetchFn, log: (line) => lines.push(line) });
}

describe('retry log lines', () => {
  it('gives one line per retry: attempt, method, URL, delay and what failed', async () => {
    const lines: string[] = [];
    const { fetch, urls } = scripted([() => new Response('busy', { status: 503 }), networkFailure('other side closed'), () => new Response('{}', { status: 200 })]);
    const { response } = await transport(fetch, lines).fetchBytes({ url: '/v2/team/app/manifests/1.0' });
    expect(response.status).toBe(200);
    expect(urls).toHaveLength(3);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^retry 1\/3 of GET https:\/\/reg\.example\/v2\/team\/app\/manifests\/1\.0 in [12] ms: status 503$/);
    expect(lines[1]).toMatch(/^retry 2\/3 of GET https:\/\/reg\.example\/v2\/team\/app\/manifests\/1\.0 in [12] ms: GET failed: ECONNRESET other side closed$/);
  });

  it('honours Retry-After in the delay it reports', async () => {
    const lines: string[] = [];
    const { fetch } = scripted([() => new Response('', { status: 429, headers: { 'retry-after': '0' } }), () => new Response('{}', { status: 200 })]);
    await transport(fetch, lines).fetchBytes({ url: '/v2/_catalog' });
    expect(lines).toEqual(['retry 1/3 of GET https://reg.example/v2/_catalog in 0 ms: status 429']);
  });

  it('gives no line when nothing is retried', async () => {
    const lines: string[] = [];
    const { fetch } = scripted([() => new Response('{"errors":[{"code":"NAME_UNKNOWN"}]}', { status: 404 })]);
    await expect(transport(fetch, lines).fetchBytes({ url: '/v2/x/tags/list' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(lines).toEqual([]);
  });

  it('never carries credentials: URL userinfo, token and signature parameters, Authorization values, registered secrets', async () => {
    const secret = 'pa55-retry-secret';
    registerSecret(secret);
    const lines: string[] = [];
    const { fetch } = scripted([
      () => new Response('', { status: 502 }),
      networkFailure(`proxy refused Authorization: Bearer abc.def.ghi for user:${secret}`),
      () => new Response('', { status: 500 }),
      () => new Response('{}', { status: 200 }),
    ]);
    const t = transport(fetch, lines, `https://robot:${secret}@reg.example`);
    await t.fetchBytes({ url: `https://storage.example/blob?token=tok-${secret}&X-Amz-Signature=feedface&X-Amz-Credential=AKIAEXAMPLE&part=1` });
    expect(lines).toHaveLength(3);
    for (const line of lines) {
      expect(line).not.toContain(secret);
      expect(line).not.toContain('feedface');
      expect(line).not.toContain('AKIAEXAMPLE');
      expect(line).not.toContain('abc.def.ghi');
      expect(line).toMatch(/^retry \d\/3 of GET https:\/\/storage\.example\/blob\?token=\[REDACTED\]&X-Amz-Signature=\[REDACTED\]&X-Amz-Credential=\[REDACTED\]&part=1 in \d+ ms: /);
    }
    expect(lines[1]).toMatch(/GET failed: ECONNRESET proxy refused Authorization: \[REDACTED\]$/);
  });

  it('names the host only for a path request against a base URL with userinfo', async () => {
    const secret = 'pa55-retry-secret';
    registerSecret(secret);
    const pathLines: string[] = [];
    const again = scripted([() => new Response('', { status: 503 }), () => new Response('{}', { status: 200 })]);
    await transport(again.fetch, pathLines, `https://robot:${secret}@reg.example`).fetchBytes({ url: '/v2/' });
    expect(pathLines).toEqual([expect.stringMatching(/^retry 1\/3 of GET https:\/\/reg\.example\/v2\/ in \d+ ms: status 503$/)]);
  });
});

describe('TLS failures', () => {
  it.each([
    ['DEPTH_ZERO_SELF_SIGNED_CERT', 'self-signed certificate', 'TLS certificate of reg.example not accepted: self-signed certificate (DEPTH_ZERO_SELF_SIGNED_CERT)'],
    ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'unable to verify the first certificate', 'TLS certificate of reg.example not accepted: unable to verify the first certificate (UNABLE_TO_VERIFY_LEAF_SIGNATURE)'],
    ['CERT_HAS_EXPIRED', 'certificate has expired', 'TLS certificate of reg.example not accepted: certificate has expired (CERT_HAS_EXPIRED)'],
    ['ERR_TLS_CERT_ALTNAME_INVALID', "Hostname/IP does not match certificate's altnames", "TLS certificate of reg.example not accepted: Hostname/IP does not match certificate's altnames (ERR_TLS_CERT_ALTNAME_INVALID)"],
    ['ERR_SSL_WRONG_VERSION_NUMBER', 'ssl3_get_record:wrong version number', 'TLS handshake with reg.example failed: the server does not speak TLS on this port (ERR_SSL_WRONG_VERSION_NUMBER)'],
  ])('%s fails at once with code TLS naming the registry', async (code, message, want) => {
    const lines: string[] = [];
    const { fetch, urls } = scripted([networkFailure(message, code)]);
    await expect(transport(fetch, lines).fetchBytes({ url: '/v2/' })).rejects.toMatchObject({ code: 'TLS', message: `GET failed: ${want}`, context: { url: 'https://reg.example/v2/' } });
    expect(urls).toHaveLength(1);
    expect(lines).toEqual([]);
  });

  it('a reset during the handshake is a network failure, and retried', async () => {
    const lines: string[] = [];
    const { fetch } = scripted([networkFailure('Client network socket disconnected before secure TLS connection was established'), () => new Response('{}', { status: 200 })]);
    await transport(fetch, lines).fetchBytes({ url: '/v2/' });
    expect(lines).toEqual([expect.stringMatching(/^retry 1\/3 of GET https:\/\/reg\.example\/v2\/ in \d+ ms: GET failed: ECONNRESET Client network socket disconnected/)]);
  });
});

describe('insecure', () => {
  const insecure = (fetchFn: typeof fetch, lines: string[]) =>
    new Transport({ registry: 'reg.example:5000', baseUrl: 'https://reg.example:5000', insecure: true, retries: 1, backoffMs: 1, fetch: fetchFn, log: (line) => lines.push(line) });

  it('stays on HTTPS when the registry answers there, whatever the status', async () => {
    const lines: string[] = [];
    const { fetch, urls, dispatchers } = scripted([() => new Response('', { status: 401 }), () => new Response('["x"]', { status: 200 })]);
    const t = insecure(fetch, lines);
    await t.fetchBytes({ url: '/v2/x/tags/list' });
    expect(urls).toEqual(['https://reg.example:5000/v2/', 'https://reg.example:5000/v2/x/tags/list']);
    // Every request goes through the dispatcher that skips certificate verification.
    expect(dispatchers).toEqual([true, true]);
    expect(t.baseUrl).toBe('https://reg.example:5000');
    expect(lines).toEqual([]);
  });

  it('turns to plain HTTP, once, when the registry does not speak TLS but answers the registry API over HTTP', async () => {
    const lines: string[] = [];
    const { fetch, urls } = scripted([
      networkFailure('wrong version number', 'ERR_SSL_WRONG_VERSION_NUMBER'),
      () => new Response('{}', { status: 200 }),
      () => new Response('{}', { status: 200 }),
      () => new Response('{}', { status: 200 }),
    ]);
    const t = insecure(fetch, lines);
    await Promise.all([t.fetchBytes({ url: '/v2/a/manifests/1' }), t.fetchBytes({ url: '/v2/b/manifests/1' })]);
    expect(urls.slice(0, 2)).toEqual(['https://reg.example:5000/v2/', 'http://reg.example:5000/v2/']);
    expect(urls.slice(2).sort()).toEqual(['http://reg.example:5000/v2/a/manifests/1', 'http://reg.example:5000/v2/b/manifests/1']);
    expect(t.baseUrl).toBe('http://reg.example:5000');
    expect(lines).toEqual([
      'reg.example:5000 does not answer HTTPS (TLS handshake with reg.example:5000 failed: the server does not speak TLS on this port (ERR_SSL_WRONG_VERSION_NUMBER)): using plain HTTP',
    ]);
  });

  it('stays on HTTPS when plain HTTP does not answer the registry API either, and reports the HTTPS failure', async () => {
    const lines: string[] = [];
    const { fetch, urls } = scripted([networkFailure('connect ECONNREFUSED', 'ECONNREFUSED'), () => new Response('not a registry', { status: 400 }), networkFailure('connect ECONNREFUSED', 'ECONNREFUSED'), networkFailure('connect ECONNREFUSED', 'ECONNREFUSED')]);
    const t = insecure(fetch, lines);
    await expect(t.fetchBytes({ url: '/v2/' })).rejects.toMatchObject({ code: 'UNREACHABLE', message: 'registry not reachable at reg.example:5000: connection refused' });
    expect(urls).toEqual(['https://reg.example:5000/v2/', 'http://reg.example:5000/v2/', 'https://reg.example:5000/v2/', 'https://reg.example:5000/v2/']);
    expect(lines).toEqual([expect.stringMatching(/^retry 1\/1 of GET https:\/\/reg\.example:5000\/v2\/ in \d+ ms: connection refused$/)]);
  });

  it('does nothing of the kind without insecure', async () => {
    const lines: string[] = [];
    const { fetch, urls, dispatchers } = scripted([() => new Response('{}', { status: 200 })]);
    await transport(fetch, lines).fetchBytes({ url: '/v2/x' });
    expect(urls).toEqual(['https://reg.example/v2/x']);
    expect(dispatchers).toEqual([false]);
  });

describe('loopback registry named without a scheme (tlsFirst)', () => {
  const loopback = (fetchFn: typeof fetch) =>
    new Transport({ registry: '127.0.0.1:5000', baseUrl: 'http://127.0.0.1:5000', tlsFirst: true, retries: 0, backoffMs: 1, fetch: fetchFn });

  it('moves to HTTPS when the server answers there', async () => {
    const { fetch, urls, dispatchers } = scripted([() => new Response('', { status: 401 }), () => new Response('{}', { status: 200 })]);
    const t = loopback(fetch);
    await t.fetchBytes({ url: '/v2/x/tags/list' });
    expect(urls).toEqual(['https://127.0.0.1:5000/v2/', 'https://127.0.0.1:5000/v2/x/tags/list']);
    // Certificates are verified: no dispatcher that skips verification.
    expect(dispatchers).toEqual([false, false]);
    expect(t.baseUrl).toBe('https://127.0.0.1:5000');
  });

  it('moves to HTTPS when the certificate is refused, and reports that, not retried', async () => {
    const refused = networkFailure('self-signed certificate', 'DEPTH_ZERO_SELF_SIGNED_CERT');
    const { fetch, urls } = scripted([refused, refused]);
    const t = loopback(fetch);
    await expect(t.fetchBytes({ url: '/v2/_catalog' })).rejects.toMatchObject({ code: 'TLS', message: expect.stringContaining('TLS certificate of 127.0.0.1:5000 not accepted') });
    expect(urls).toEqual(['https://127.0.0.1:5000/v2/', 'https://127.0.0.1:5000/v2/_catalog']);
  });

  it.each([
    ['plain HTTP on the port', 'ERR_SSL_WRONG_VERSION_NUMBER'],
    ['nothing listening', 'ECONNREFUSED'],
  ])('stays on plain HTTP when the HTTPS probe fails with %s', async (_what, code) => {
    const { fetch, urls } = scripted([networkFailure(code, code), () => new Response('{}', { status: 200 })]);
    const t = loopback(fetch);
    await t.fetchBytes({ url: '/v2/' });
    expect(urls).toEqual(['https://127.0.0.1:5000/v2/', 'http://127.0.0.1:5000/v2/']);
    expect(t.baseUrl).toBe('http://127.0.0.1:5000');
  });
});
});

describe('a registry that cannot be reached', () => {
  it('a refused connection is UNREACHABLE naming the host, retried once only', async () => {
    const lines: string[] = [];
    const refused = networkFailure('connect ECONNREFUSED 10.0.0.9:5000', 'ECONNREFUSED');
    const { fetch, urls } = scripted([refused, refused, refused, refused]);
    await expect(transport(fetch, lines).fetchBytes({ url: '/v2/x/manifests/y' })).rejects.toMatchObject({ code: 'UNREACHABLE', message: 'registry not reachable at reg.example: connection refused' });
    expect(urls).toHaveLength(2);
    expect(lines).toEqual([expect.stringMatching(/^retry 1\/1 of GET https:\/\/reg\.example\/v2\/x\/manifests\/y in \d+ ms: connection refused$/)]);
  });

  it('a port fetch refuses is named, with another port suggested, and not retried', async () => {
    const lines: string[] = [];
    // What undici's fetch throws for a blocked port, without a system error code.
    const blocked = () => {
      throw new TypeError('fetch failed', { cause: new Error('bad port') });
    };
    const { fetch, urls } = scripted([blocked, blocked]);
    const t = transport(fetch, lines, 'http://127.0.0.1:1');
    const err = await t.fetchBytes({ url: '/v2/' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'UNREACHABLE', message: 'fetch refuses to connect to port 1 (127.0.0.1:1): it is one of the ports browsers block; run the registry on another port, e.g. 5000' });
    expect(urls).toHaveLength(1);
    expect(lines).toEqual([]);
  });
});

import { describe, expect, it } from 'vitest';
import { registerSecret } from '../../../src/registry/redact.js';
import { Transport } from '../../../src/registry/transport.js';

/** A fetch that plays the given answers in order (a function may throw, as fetch does on a network failure). */
function scripted(answers: (() => Response)[]): { fetch: typeof fetch; urls: string[] } {
  const urls: string[] = [];
  let n = 0;
  const fake = async (input: string | URL | Request) => {
    urls.push(String(input));
    const answer = answers[n++];
    if (!answer) throw new Error(`request ${n} was not expected`);
    return answer();
  };
  return { fetch: fake as typeof fetch, urls };
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

    // A path request against a base URL with userinfo: the line names the host only.
    const pathLines: string[] = [];
    const again = scripted([() => new Response('', { status: 503 }), () => new Response('{}', { status: 200 })]);
    await transport(again.fetch, pathLines, `https://robot:${secret}@reg.example`).fetchBytes({ url: '/v2/' });
    expect(pathLines).toEqual([expect.stringMatching(/^retry 1\/3 of GET https:\/\/reg\.example\/v2\/ in \d+ ms: status 503$/)]);
  });
});

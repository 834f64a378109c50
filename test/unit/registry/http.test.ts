import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { backoffDelay, parseRetryAfter } from '../../../src/registry/backoff.js';
import { ImgscanError } from '../../../src/errors.js';
import { describeErrorBody, networkError } from '../../../src/registry/http-error.js';
import { nextLink } from '../../../src/registry/link.js';

describe('Link header', () => {
  it.each([
    ['</v2/_catalog?last=b&n=2>; rel="next"', 'http://r/v2/_catalog?n=2', 'http://r/v2/_catalog?last=b&n=2'],
    ['<https://other/v2/x/tags/list?last=t>; rel=next', 'http://r/v2/x/tags/list', 'https://other/v2/x/tags/list?last=t'],
    ['<p1>; rel="prev", <p3>; rel="next"', 'http://r/a/p2', 'http://r/a/p3'],
    ['<p1>; rel="prev"', 'http://r/a', undefined],
    ['<p1>; rel="nextpage"', 'http://r/a', undefined],
    ['<p1>; rel=nextpage', 'http://r/a', undefined],
    ['<p2>; rel="prev next"', 'http://r/a', 'http://r/p2'],
    ['<p2>; rel=next; title="x"', 'http://r/a', 'http://r/p2'],
    [null, 'http://r/', undefined],
  ])('%s', (header, base, want) => expect(nextLink(header, base)).toBe(want));
});

describe('retry timing', () => {
  it('reads Retry-After as seconds, whole or not', () => {
    expect(parseRetryAfter('2')).toBe(2000);
    expect(parseRetryAfter('1.5')).toBe(1500);
  });

  it('reads Retry-After as an HTTP date', () => {
    const now = Date.parse('Wed, 21 Oct 2015 07:28:00 GMT');
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:30 GMT', now)).toBe(30_000);
  });

  it('ignores a Retry-After that is neither, or none', () => {
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
  });
  it('doubles the backoff up to the cap, with jitter in the upper half', () => {
    const opts = { baseMs: 100, maxMs: 1000 };
    expect([0, 1, 2, 3, 4].map((n) => backoffDelay(n, opts, () => 0))).toEqual([50, 100, 200, 400, 500]);
    expect([0, 1, 2, 3, 4].map((n) => backoffDelay(n, opts, () => 1))).toEqual([100, 200, 400, 800, 1000]);
  });
});

describe('registry error bodies', () => {
  it('names the distribution error codes', () => {
    expect(describeErrorBody('{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{"Tag":"x"}}]}')).toBe('MANIFEST_UNKNOWN manifest unknown');
    expect(describeErrorBody('{"message":"object not found"}')).toBe('object not found');
    expect(describeErrorBody('<html>bad gateway</html>')).toBe('<html>bad gateway</html>');
  });
});

describe('whether a failure below HTTP may be retried', () => {
  /** The error fetch itself throws for `url`, turned into an ImgscanError. */
  async function failure(url: string) {
    const err = await fetch(url).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeDefined();
    return networkError('GET', err, { url });
  }

  it('a reset connection is NETWORK and may be retried', async () => {
    const server = createServer((req) => req.socket.destroy());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const e = await failure(`http://127.0.0.1:${(server.address() as AddressInfo).port}/v2/`);
      expect([e.code, e.retry]).toEqual(['NETWORK', 'yes']);
    } finally {
      server.close();
    }
  });

  it('a refused connection is UNREACHABLE and gets one retry', async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    await new Promise((r) => server.close(r));
    const e = await failure(`http://127.0.0.1:${port}/v2/`);
    expect([e.code, e.retry]).toEqual(['UNREACHABLE', 'once']);
  });

  it('a port fetch refuses is UNREACHABLE and never retried', async () => {
    const e = await failure('http://127.0.0.1:1/v2/');
    expect([e.code, e.retry]).toEqual(['UNREACHABLE', 'no']);
    expect(e.message).toContain('port 1');
  });

  it('an error made without saying is not retried', () => {
    expect(new ImgscanError('REGISTRY_ERROR', 'x').retry).toBe('no');
  });
});

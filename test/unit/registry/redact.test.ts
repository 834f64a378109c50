import { describe, expect, it } from 'vitest';
import { redact, redactUrl, registerSecret } from '../../../src/registry/redact.js';

describe('redact', () => {
  it('removes userinfo and sensitive query parameters from URLs', () => {
    expect(redactUrl('https://user:hunter22@reg.example/v2/?n=1')).toBe('https://reg.example/v2/?n=1');
    expect(redactUrl('https://s3.example/blob?X-Amz-Signature=abc&X-Amz-Credential=k&keep=1')).toBe('https://s3.example/blob?X-Amz-Signature=[REDACTED]&X-Amz-Credential=[REDACTED]&keep=1');
    // Docker Hub's CDN (verify=) and CloudFront signed URLs (Policy, Signature, Key-Pair-Id).
    expect(redactUrl('https://production.cloudflare.docker.com/registry-v2/x?verify=1700000000-abc%2Bdef')).toBe('https://production.cloudflare.docker.com/registry-v2/x?verify=[REDACTED]');
    expect(redact('GET https://d1.cloudfront.net/b?Policy=eyJ&Signature=s1&Key-Pair-Id=K2 failed')).toBe('GET https://d1.cloudfront.net/b?Policy=[REDACTED]&Signature=[REDACTED]&Key-Pair-Id=[REDACTED] failed');
  });

  it.each([
    ['an Authorization value', 'Authorization: Bearer abc.def', 'Authorization: [REDACTED]'],
    ['basic credentials', 'sent Basic dXNlcjpwYXNz==', 'sent Basic [REDACTED]'],
    ['a JWT', 'token eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln here', 'token [REDACTED] here'],
    ['URL userinfo', 'see http://bob:pw@host/x', 'see http://[REDACTED]@host/x'],
  ])('masks %s', (_what, text, want) => {
    expect(redact(text)).toBe(want);
  });

  it('masks a registered secret, as is and in base64', () => {
    registerSecret('pa55-unusual-word');
    expect(redact('failed with pa55-unusual-word and ' + Buffer.from('pa55-unusual-word').toString('base64'))).toBe('failed with [REDACTED] and [REDACTED]');
  });

  it('masks a registered password in the forms servers echo it in: URL-encoded, form-encoded, JSON-escaped', () => {
    const password = 'S3cr "et"+&<tag> \u00fc/=?%';
    registerSecret(password);
    // Each form as another implementation writes it (Python's urllib.parse and json, Go's net/url and encoding/json).
    const echoed = [
      'S3cr%20%22et%22%2B%26%3Ctag%3E%20%C3%BC%2F%3D%3F%25', // urllib.parse.quote with encodeURIComponent's safe set
      'S3cr+%22et%22%2B%26%3Ctag%3E+%C3%BC%2F%3D%3F%25', // urllib.parse.quote_plus, Go url.QueryEscape
      'S3cr+%22et%22%2b%26%3ctag%3e+%c3%bc%2f%3d%3f%25', // lowercase hex
      'S3cr \\"et\\"+&<tag> \u00fc/=?%', // JSON.stringify, Python json.dumps(ensure_ascii=False)
      'S3cr \\"et\\"+\\u0026\\u003ctag\\u003e \u00fc/=?%', // Go encoding/json
      'S3cr \\"et\\"+&<tag> \\u00fc/=?%', // Python json.dumps
      'UzNjciAiZXQiKyY8dGFnPiDDvC89PyU=', // base64
    ];
    for (const form of echoed) expect(redact(`server said: user=crawler password=${form} end`)).toBe('server said: user=crawler password=[REDACTED] end');
  });

  it('masks the base64 of user:password as Basic auth sends it, once user:password is registered', () => {
    registerSecret('crawler:S3cr "et"+&<tag> \u00fc/=?%');
    expect(redact('got Y3Jhd2xlcjpTM2NyICJldCIrJjx0YWc+IMO8Lz0/JQ== here')).toBe('got [REDACTED] here');
  });
});

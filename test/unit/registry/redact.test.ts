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

  it('masks Authorization values, bearer and basic credentials, JWTs and registered secrets', () => {
    expect(redact('Authorization: Bearer abc.def')).toBe('Authorization: [REDACTED]');
    expect(redact('sent Basic dXNlcjpwYXNz==')).toBe('sent Basic [REDACTED]');
    expect(redact('token eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln here')).toBe('token [REDACTED] here');
    expect(redact('see http://bob:pw@host/x')).toBe('see http://[REDACTED]@host/x');
    registerSecret('pa55-unusual-word');
    expect(redact('failed with pa55-unusual-word and ' + Buffer.from('pa55-unusual-word').toString('base64'))).toBe('failed with [REDACTED] and [REDACTED]');
  });
});

/**
 * TLS and --insecure against real registries on loopback: one serving HTTPS with a self-signed certificate, one
 * serving plain HTTP. A loopback registry is asked over HTTPS first and stays on plain HTTP when it does not
 * speak TLS (as docker does), so both are reached at 127.0.0.1.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../../support/dataset.js';
import { push, startRegistry, type TestRegistry } from '../../support/registry.js';
import { selfSignedCertificate } from '../../support/tls.js';
import { crawledRows, expectedCrawl, missingTools, startWorld, type Expected, type World } from './setup.js';

const missing = await missingTools(['openssl']);

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe.skipIf(missing.length > 0)('imgscan crawl over TLS, and --insecure', () => {
  let certDir: string;
  let world: World;
  let plain: TestRegistry;

  beforeAll(async () => {
    certDir = await mkdtemp(join(tmpdir(), 'imgscan-tls-'));
    const tls = await selfSignedCertificate(certDir, { ips: ['127.0.0.1'], dns: [] });
    world = await startWorld({ tls });
    plain = await startRegistry();
    await push(`oci:${world.fx.layouts.main.path}:base`, `${plain.host}/lib/base:latest`, { format: 'oci' });
  });
  afterAll(async () => {
    await plain?.stop();
    await world?.stop();
    await rm(certDir, { recursive: true, force: true });
  });

  describe('without --insecure, a self-signed registry', () => {
    // A loopback registry is asked over HTTPS first (as docker does): this one speaks TLS, so HTTPS it is.
    const error = (host: string) =>
      `GET failed: TLS certificate of ${host} not accepted: self-signed certificate (DEPTH_ZERO_SELF_SIGNED_CERT); --insecure skips certificate verification (and falls back to plain HTTP)`;

    it('fails at once, not retried, with a TLS error naming it', async () => {
      const host = world.registry.host;
      const started = Date.now();
      const run = await cli(['crawl', `${host}/`, '--data', join(world.tmp, 'refused')]);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(new RegExp(`^Error: source ${escape(host)}, \\(https://${escape(host)}/v2/_catalog\\S*\\): ${escape(error(host))} \\[TLS\\]$`, 'm'));
      // Not retried: a certificate does not get better.
      expect(run.stderr).not.toContain('imgscan: retry');
      expect(Date.now() - started).toBeLessThan(20_000);
    });

    it('with --json, fails with the TLS error as JSON, naming the source and URL', async () => {
      const host = world.registry.host;
      const json = await cli(['crawl', `${host}/`, '--data', join(world.tmp, 'refused'), '--json']);
      expect(json.code).toBe(1);
      expect(JSON.parse(json.stdout)).toEqual({ error: { code: 'TLS', message: error(host), context: { source: host, url: expect.stringMatching(`^https://${escape(host)}/v2/_catalog`) } } });
    });
  });

  it('with --insecure, crawls the self-signed registry over HTTPS', async () => {
    const host = world.registry.host;
    const dir = join(world.tmp, 'insecure');
    const run = await cli(['crawl', `${host}/`, '--insecure', '--tags', 'all', '--platform', 'all', '--data', dir]);
    expect(run.stderr).not.toMatch(/^(failed|Error):/m);
    // HTTPS answered: no fallback to plain HTTP and nothing retried.
    expect(run.stderr).not.toContain('imgscan: ');
    expect(run.code).toBe(0);
    const expected = await expectedCrawl(world.registry, world.pushed, { host });
    const rows = await crawledRows(dir);
    expect(rows.refs).toEqual(expected.refs);
    expect(rows.layers).toEqual(expected.layers);
    expect(rows.files).toEqual(expected.files);
  });

  it('with --insecure, a loopback registry is tried over HTTPS first', async () => {
    const dir = join(world.tmp, 'insecure-loopback');
    const run = await cli(['crawl', world.registry.host, '--insecure', '--tags', 'all', '--platform', 'all', '--data', dir, '--json']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const expected = await expectedCrawl(world.registry, world.pushed);
    expect(JSON.parse(run.stdout)).toMatchObject({ failures: 0, images: expected.refs.length, layers_read: expected.layers.length });
    expect((await crawledRows(dir)).refs).toEqual(expected.refs);
  });

  describe('a loopback registry without TLS is crawled over plain HTTP', () => {
    let expected: Expected;
    beforeAll(async () => {
      expected = await expectedCrawl(plain, [{ repository: 'lib/base', tag: 'latest' }], { host: plain.host });
    });

    async function crawlPlain(flags: string[]) {
      const dir = join(world.tmp, `plain${flags.join('')}`);
      const run = await cli(['crawl', `${plain.host}/`, ...flags, '--data', dir]);
      expect(run.code, run.stderr).toBe(0);
      const rows = await crawledRows(dir);
      expect(rows.refs).toEqual(expected.refs);
      expect(rows.files).toEqual(expected.files);
      return run;
    }

    it('without --insecure, saying nothing about it', async () => {
      const run = await crawlPlain([]);
      expect(run.stderr).not.toContain('imgscan: ');
    });

    it('with --insecure, after saying HTTPS was not answered', async () => {
      const host = plain.host;
      const run = await crawlPlain(['--insecure']);
      expect(run.stderr.split('\n')).toContain(
        `imgscan: ${host} does not answer HTTPS (TLS handshake with ${host} failed: the server does not speak TLS on this port (ERR_SSL_WRONG_VERSION_NUMBER)): using plain HTTP`,
      );
    });
  });
});

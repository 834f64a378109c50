import { readFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ImgscanError } from '../../../src/errors.js';
import { RegistryClient } from '../../../src/registry/client.js';
import type { Descriptor } from '../../../src/oci/types.js';
import { startFaultProxy, type FaultProxy } from '../../support/fault-proxy.js';
import { blobPath, buildLayout, push, startRegistry, type TestRegistry } from '../../support/registry.js';
import { sha256 } from './fixture.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

let registry: TestRegistry;
let proxy: FaultProxy;
let dir: string;
/** The biggest layer of the pushed image (the one holding /usr/bin/ls). */
let layer: Descriptor;
const repo = 'faults/app';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'imgscan-faults-'));
  registry = await startRegistry();
  const layout = await buildLayout(join(dir, 'img'), 'x', { files: [['/usr/bin/ls', '/bin/ls'], ['/etc/os-release', '/etc/os-release']] });
  await push(layout, `${registry.host}/${repo}:1`, { format: 'oci' });
  proxy = await startFaultProxy(registry.url);
  const m = await new RegistryClient(registry.host).manifest(repo, '1');
  if (m.document.kind !== 'manifest') throw new Error('expected a manifest');
  layer = [...m.document.manifest.layers].sort((a, b) => b.size - a.size)[0];
});

afterAll(async () => {
  await proxy?.stop();
  await registry?.stop();
  await rm(dir, { recursive: true, force: true });
});

beforeEach(() => proxy.reset());

const fast = { backoffMs: 20, maxBackoffMs: 200, retries: 4 };
const blobRoute = /\/blobs\/sha256:/;

describe('blob reads through a fault-injecting proxy', () => {
  it('resumes with Range after connections drop mid-blob and returns the verified blob', async () => {
    expect(layer.size).toBeGreaterThan(20_000);
    proxy.faults.push({ method: 'GET', path: blobRoute, dropAfterBytes: 5000, times: 2 });
    const client = new RegistryClient(proxy.host, fast);
    const bytes = await readAll(await client.openBlob(repo, layer));
    expect(bytes.equals(await readFile(blobPath(registry, layer.digest)))).toBe(true);
    expect(sha256(bytes)).toBe(layer.digest);
    expect(proxy.ranges).toEqual(['bytes=5000-', 'bytes=10000-']);
    expect(proxy.blobGets.get(layer.digest)).toBe(3);
  });

  it('resumes after a stalled connection (idle timeout)', async () => {
    proxy.faults.push({ method: 'GET', path: blobRoute, dropAfterBytes: 7000, stall: true, times: 1 });
    const client = new RegistryClient(proxy.host, { ...fast, idleTimeoutMs: 300 });
    const bytes = await readAll(await client.openBlob(repo, layer));
    expect(sha256(bytes)).toBe(layer.digest);
    expect(proxy.ranges).toEqual(['bytes=7000-']);
  });

  it('retries 500s and honours 429 Retry-After', async () => {
    proxy.faults.push({ method: 'GET', path: blobRoute, status: 500, times: 2 }, { method: 'GET', path: blobRoute, status: 429, retryAfter: '1', times: 1 });
    const client = new RegistryClient(proxy.host, fast);
    const started = Date.now();
    const bytes = await readAll(await client.openBlob(repo, layer));
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(sha256(bytes)).toBe(layer.digest);
    expect(proxy.blobGets.get(layer.digest)).toBe(4);
  });

  it('retries 502/503 on manifests and tag lists', async () => {
    proxy.faults.push({ path: /\/manifests\//, status: 503, times: 2 }, { path: /\/tags\/list$/, status: 502, times: 2 });
    const client = new RegistryClient(proxy.host, fast);
    const tags: string[] = [];
    for await (const t of client.tags(repo)) tags.push(t);
    expect(tags).toEqual(['1']);
    expect((await client.manifest(repo, '1')).document.kind).toBe('manifest');
  });

  it('gives up with REGISTRY_ERROR after the retries, naming the URL', async () => {
    proxy.faults.push({ path: /\/manifests\//, status: 500, times: 10 });
    const client = new RegistryClient(proxy.host, { ...fast, retries: 2 });
    const err = (await client.manifest(repo, '1').catch((e: unknown) => e)) as ImgscanError;
    expect(err).toBeInstanceOf(ImgscanError);
    expect(err.code).toBe('REGISTRY_ERROR');
    expect(err.context.url).toBe(`${proxy.url}/v2/${repo}/manifests/1`);
    expect(proxy.faults[0].times).toBe(7);
  });

  it('fails at once with RATE_LIMITED when Retry-After is longer than allowed', async () => {
    proxy.faults.push({ path: /\/manifests\//, status: 429, retryAfter: '3600', times: 1 });
    const client = new RegistryClient(proxy.host, fast);
    await expect(client.manifest(repo, '1')).rejects.toMatchObject({ code: 'RATE_LIMITED' });
  });

  it('follows redirects to a storage origin without sending Authorization there', async () => {
    proxy.redirectBlobs = true;
    const client = new RegistryClient(proxy.host, { ...fast, credential: { registryToken: 'opaque-registry-token' } });
    const bytes = await readAll(await client.openBlob(repo, layer));
    expect(sha256(bytes)).toBe(layer.digest);
    expect(proxy.requests.some((r) => r.startsWith('GET /_storage/'))).toBe(true);
    expect(proxy.storageAuthorizations).toEqual([]);
  });

  it('resumes through redirects too', async () => {
    proxy.redirectBlobs = true;
    proxy.faults.push({ method: 'GET', path: /^\/_storage\//, dropAfterBytes: 4096, times: 1 });
    const client = new RegistryClient(proxy.host, fast);
    expect(sha256(await readAll(await client.openBlob(repo, layer)))).toBe(layer.digest);
  });

  it('fails the stream with DIGEST_MISMATCH or SIZE_MISMATCH instead of ending it', async () => {
    const client = new RegistryClient(proxy.host, fast);
    const wrongDigest = { digest: 'sha256:' + '0'.repeat(64), size: layer.size };
    // The registry has no such blob: the open itself fails.
    await expect(client.openBlob(repo, wrongDigest)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(readAll(await client.openBlob(repo, { digest: layer.digest, size: layer.size - 1 }))).rejects.toMatchObject({ code: 'SIZE_MISMATCH' });
    await expect(readAll(await client.openBlob(repo, { digest: layer.digest, size: layer.size + 1 }))).rejects.toMatchObject({ code: 'SIZE_MISMATCH' });
    // Left to a reader that hashes every byte itself, the digest is not checked; the size still is.
    for (const size of [layer.size - 1, layer.size + 1]) {
      await expect(readAll(await client.openBlob(repo, { digest: layer.digest, size }, undefined, false))).rejects.toMatchObject({ code: 'SIZE_MISMATCH' });
    }
    expect(sha256(await readAll(await client.openBlob(repo, layer, undefined, false)))).toBe(layer.digest);
  });

  it('holds to the concurrency limit, blob streams included', async () => {
    const client = new RegistryClient(proxy.host, { ...fast, concurrency: 1 });
    const first = await client.openBlob(repo, layer);
    let secondOpened = false;
    const second = client.openBlob(repo, layer).then((s) => {
      secondOpened = true;
      return s;
    });
    await new Promise((r) => setTimeout(r, 200));
    expect(secondOpened).toBe(false);
    expect(sha256(await readAll(first))).toBe(layer.digest);
    expect(sha256(await readAll(await second))).toBe(layer.digest);
  });

  it('gives the slot back when a stream is destroyed before its end', async () => {
    const client = new RegistryClient(proxy.host, { ...fast, concurrency: 1 });
    const first = await client.openBlob(repo, layer);
    for await (const chunk of first) {
      expect((chunk as Buffer).length).toBeGreaterThan(0);
      break;
    }
    expect(first.destroyed).toBe(true);
    const second = await Promise.race([client.openBlob(repo, layer), new Promise<undefined>((r) => setTimeout(() => r(undefined), 3000))]);
    expect(second).toBeDefined();
    expect(sha256(await readAll(second!))).toBe(layer.digest);
  });

  it('counts blob GETs at the proxy', async () => {
    const client = new RegistryClient(proxy.host, fast);
    await readAll(await client.openBlob(repo, layer));
    await readAll(await client.openBlob(repo, layer));
    expect(proxy.blobGets.get(layer.digest)).toBe(2);
    expect(proxy.blobGetCount()).toBe(2);
  });
});

/**
 * Blob reads from a registry that misbehaves at the transport level, through a proxy in front of a real registry:
 * a body that trickles (the progress rule and the time limit), and a Content-Length longer than the body.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ImgscanError } from '../../../src/errors.js';
import type { Descriptor } from '../../../src/oci/types.js';
import { RegistryClient } from '../../../src/registry/client.js';
import { startFaultProxy, type FaultProxy } from '../../support/fault-proxy.js';
import { blobPath, buildLayout, push, startRegistry, type TestRegistry } from '../../support/registry.js';
import { sha256 } from './fixture.js';

async function readAll(stream: Readable, pauseMs = 0): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) {
    chunks.push(c as Buffer);
    if (pauseMs) await new Promise((r) => setTimeout(r, pauseMs));
  }
  return Buffer.concat(chunks);
}

let registry: TestRegistry;
let proxy: FaultProxy;
let dir: string;
/** The biggest layer of the pushed image (the one holding /usr/bin/ls), as the registry stores it. */
let layer: Descriptor;
let stored: Buffer;
const repo = 'slow/app';
const blobRoute = /\/blobs\/sha256:/;
const fast = { backoffMs: 20, maxBackoffMs: 100, retries: 2 };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'imgscan-slow-'));
  registry = await startRegistry();
  const layout = await buildLayout(join(dir, 'img'), 'x', { files: [['/usr/bin/ls', '/bin/ls']] });
  await push(layout, `${registry.host}/${repo}:1`, { format: 'oci' });
  proxy = await startFaultProxy(registry.url);
  const m = await new RegistryClient(registry.host).manifest(repo, '1');
  if (m.document.kind !== 'manifest') throw new Error('expected a manifest');
  layer = [...m.document.manifest.layers].sort((a, b) => b.size - a.size)[0];
  stored = await readFile(blobPath(registry, layer.digest));
});

afterAll(async () => {
  await proxy?.stop();
  await registry?.stop();
  await rm(dir, { recursive: true, force: true });
});

beforeEach(() => proxy.reset());

describe('a blob that trickles', () => {
  it('is given up after the resumed reads with TOO_SLOW, naming the blob and the rate', async () => {
    expect(layer.size).toBeGreaterThan(20_000);
    // 200 bytes every 100 ms: 2 000 bytes/s, under 8 KiB in a 1 s window.
    proxy.faults.push({ method: 'GET', path: blobRoute, trickle: { bytes: 200, everyMs: 100 }, times: 99 });
    const lines: string[] = [];
    const client = new RegistryClient(proxy.host, { ...fast, minProgress: { minBytes: 8192, windowMs: 1000 }, log: (l) => lines.push(l) });
    const started = Date.now();
    const err = await readAll(await client.openBlob(repo, layer)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImgscanError);
    const e = err as ImgscanError;
    expect(e.code).toBe('TOO_SLOW');
    expect(e.context.layer).toBe(layer.digest);
    expect(e.describe()).toMatch(new RegExp(`layer ${layer.digest}.*: blob arrives too slowly: \\d+ bytes in 1 s, below the minimum of 8192 bytes in 1 s, 2 resumed reads included \\(got \\d+ of ${layer.size} bytes\\)`));
    // Three reads of about a second each (the first and two resumed with Range), not 20 KB at 2 KB/s per read.
    expect(Date.now() - started).toBeLessThan(6000);
    expect(proxy.blobGets.get(layer.digest)).toBe(3);
    expect(proxy.ranges).toHaveLength(2);
    for (const r of proxy.ranges) expect(r).toMatch(/^bytes=[1-9]\d*-$/);
    expect(lines.filter((l) => l.includes('too slow'))).toHaveLength(2);
  });

  it('is resumed with Range when only the first read is slow, and returns the verified blob', async () => {
    proxy.faults.push({ method: 'GET', path: blobRoute, trickle: { bytes: 200, everyMs: 100 }, times: 1 });
    const client = new RegistryClient(proxy.host, { ...fast, minProgress: { minBytes: 8192, windowMs: 1000 } });
    const bytes = await readAll(await client.openBlob(repo, layer));
    expect(bytes.equals(stored)).toBe(true);
    expect(proxy.ranges).toEqual([expect.stringMatching(/^bytes=[1-9]\d*-$/)]);
  });

  it('does not count the time the reader takes: a slow consumer of a fast body is not too slow', async () => {
    const client = new RegistryClient(proxy.host, { ...fast, minProgress: { minBytes: 1 << 20, windowMs: 200 } });
    const bytes = await readAll(await client.openBlob(repo, layer), 300);
    expect(sha256(bytes)).toBe(layer.digest);
    expect(proxy.blobGets.get(layer.digest)).toBe(1);
  });

  it('fails with TIMEOUT past the time limit even when each window has enough bytes', async () => {
    // 1 000 bytes every 100 ms: enough for the rule (8 KiB a second), too slow for a 1.5 s limit.
    proxy.faults.push({ method: 'GET', path: blobRoute, trickle: { bytes: 1000, everyMs: 100 }, times: 99 });
    const client = new RegistryClient(proxy.host, { ...fast, minProgress: { minBytes: 8192, windowMs: 1000 }, timeLimitMs: 1500 });
    const started = Date.now();
    const err = await readAll(await client.openBlob(repo, layer)).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'TIMEOUT', message: 'blob not read within the time limit of 1.5 s', context: { layer: layer.digest } });
    expect(Date.now() - started).toBeLessThan(3000);
    expect(proxy.blobGets.get(layer.digest)).toBe(1);
  });
});

describe('a Content-Length longer than the blob', () => {
  it('the whole blob, closed after it: good by its size and digest, no Range asked past the end', async () => {
    proxy.faults.push({ method: 'GET', path: blobRoute, extraContentLength: 10, times: 99 });
    const client = new RegistryClient(proxy.host, fast);
    const bytes = await readAll(await client.openBlob(repo, layer));
    expect(bytes.equals(stored)).toBe(true);
    expect(proxy.ranges).toEqual([]);
    expect(proxy.blobGets.get(layer.digest)).toBe(1);
  });

  it('the whole blob, then silence on an open connection: good after a short wait, not the idle timeout', async () => {
    proxy.faults.push({ method: 'GET', path: blobRoute, extraContentLength: 10, stall: true, times: 99 });
    const client = new RegistryClient(proxy.host, { ...fast, idleTimeoutMs: 20_000 });
    const started = Date.now();
    const bytes = await readAll(await client.openBlob(repo, layer));
    expect(bytes.equals(stored)).toBe(true);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(proxy.ranges).toEqual([]);
  });
});

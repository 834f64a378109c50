/**
 * A registry filled with the fixture images for the crawl tests, and what a crawl of it must find, read back
 * independently: manifests with `skopeo inspect --raw`, layer contents from the registry's own blob files with
 * GNU tar, sha256sum and b3sum (expected.ts).
 */
import { createHash } from 'node:crypto';
import { createServer, request as httpRequest } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { queryDataset, sortRows } from '../../support/dataset.js';
import { run } from '../../support/exec.js';
import { expectedLayer } from '../../support/expected.js';
import { buildFixtures, type Fixtures } from '../../support/fixtures.js';
import { missingTools as requireTools } from '../../support/tools.js';
import type { FileRow, ImageRefRow } from '../../../src/model/rows.js';
import { blobPath, inspectRaw, push, startRegistry, type RegistryOptions, type TestRegistry } from '../../support/registry.js';

export const sha256 = (b: Uint8Array) => 'sha256:' + createHash('sha256').update(b).digest('hex');

/** Missing system tools for the crawl tests: skipped loudly where one is missing, failed under CI (support/tools.ts). */
export async function missingTools(extra: string[] = []): Promise<string[]> {
  return requireTools(['docker-registry', 'skopeo', 'umoci', 'zstd', 'b3sum', ...extra], 'crawl tests');
}

export interface Pushed {
  repository: string;
  tag: string;
}

/**
 * Six repositories (more than one catalog page at --page-size 2): zstd/app1 (zstd layers), lib/base, apps/app1
 * and apps/app2 (sharing L0), mirror/app1 (the same image again), multi/app (an index of amd64 and arm64).
 */
export async function populate(registry: TestRegistry, fx: Fixtures, creds?: { username: string; password: string }): Promise<Pushed[]> {
  const h = registry.host;
  const { main, zstd, multi } = fx.layouts;
  await push(`oci:${zstd.path}:app1`, `${h}/zstd/app1:latest`, { format: 'oci', compress: 'zstd', creds });
  const plain: [string, string][] = [
    [`oci:${main.path}:base`, 'lib/base'],
    [`oci:${main.path}:app1`, 'apps/app1'],
    [`oci:${main.path}:app2`, 'apps/app2'],
    [`oci:${main.path}:app1`, 'mirror/app1'],
  ];
  for (const [src, repo] of plain) await push(src, `${h}/${repo}:latest`, { format: 'oci', creds });
  const args = ['copy', '-q', '--all', '--dest-tls-verify=false', '--format', 'oci'];
  if (creds) args.push('--dest-creds', `${creds.username}:${creds.password}`);
  await run('skopeo', [...args, `oci:${multi.path}:multi`, `docker://${h}/multi/app:latest`]);
  return ['zstd/app1', 'lib/base', 'apps/app1', 'apps/app2', 'mirror/app1', 'multi/app'].map((repository) => ({ repository, tag: 'latest' }));
}

/** The columns of a files row the crawl tests compare (mode, owner and times are the scan tests' concern). */
export type FileKey = Pick<FileRow, 'layer_digest' | 'entry_index' | 'path' | 'entry_type' | 'size' | 'digest'>;

export interface Expected {
  /** Manifest digest -> its layer digests, for every image (index children included, all platforms). */
  images: Map<string, string[]>;
  /** image_refs rows, sorted (sortRows). */
  refs: ImageRefRow[];
  layers: string[];
  /** files rows, sorted (sortRows). */
  files: FileKey[];
  /** Layer digest -> repositories whose images use it. */
  layerRepositories: Map<string, Set<string>>;
}

interface Doc {
  manifests?: { digest: string }[];
  layers?: { digest: string }[];
}

/**
 * What a crawl of every pushed tag with all platforms must store, from skopeo and the registry's blob files.
 * `files: false` leaves the files (read with GNU tar and b3sum, the slow part) out: `files` is then [].
 */
export async function expectedCrawl(registry: TestRegistry, pushed: Pushed[], options: { host?: string; creds?: { username: string; password: string }; files?: boolean } = {}): Promise<Expected> {
  const { host = registry.host, creds } = options;
  const images = new Map<string, string[]>();
  const refs: ImageRefRow[] = [];
  const layerRepositories = new Map<string, Set<string>>();
  const addImage = (repository: string, tag: string, raw: Buffer, index: string | null) => {
    const doc = JSON.parse(raw.toString('utf8')) as Doc;
    const digest = sha256(raw);
    const layers = doc.layers!.map((l) => l.digest);
    images.set(digest, layers);
    refs.push({ registry: host, repository, tag, manifest_digest: digest, index_digest: index });
    for (const l of layers) {
      if (!layerRepositories.has(l)) layerRepositories.set(l, new Set());
      layerRepositories.get(l)!.add(repository);
    }
  };
  for (const { repository, tag } of pushed) {
    const raw = await inspectRaw(`${registry.host}/${repository}:${tag}`, creds);
    const doc = JSON.parse(raw.toString('utf8')) as Doc;
    if (!doc.manifests) {
      addImage(repository, tag, raw, null);
      continue;
    }
    for (const m of doc.manifests) {
      const child = await inspectRaw(`${registry.host}/${repository}@${m.digest}`, creds);
      expect(sha256(child)).toBe(m.digest);
      addImage(repository, tag, child, sha256(raw));
    }
  }
  const layers = [...layerRepositories.keys()].sort();
  const files: FileKey[] = [];
  for (const l of options.files === false ? [] : layers) {
    const e = await expectedLayer(blobPath(registry, l));
    expect(e.layer_digest).toBe(l);
    for (const [i, entry] of e.entries.entries()) files.push({ layer_digest: l, entry_index: i, path: entry.path, entry_type: entry.entry_type, size: entry.size, digest: entry.digest });
  }
  return { images, refs: sortRows(refs), layers, files: sortRows(files), layerRepositories };
}

/** FNV-1a 32 over UTF-8, written out here (not imported) to pick repository names for each shard. */
export function fnv(text: string): number {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(text, 'utf8')) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h;
}

/** Makes sure each of `n` shards has a repository: copies of lib/base under names that hash to each shard. */
export async function pushOnePerShard(world: World, n: number): Promise<void> {
  for (let shard = 0; shard < n; shard++) {
    const name = Array.from({ length: 50 * n }, (_, i) => `extra/base${i}`).find((r) => fnv(r) % n === shard)!;
    await push(`oci:${world.fx.layouts.main.path}:base`, `${world.registry.host}/${name}:latest`, { format: 'oci' });
    world.pushed.push({ repository: name, tag: 'latest' });
  }
}

/** A registry with the fixtures pushed, and a temp dir for datasets. */
export interface World {
  fx: Fixtures;
  registry: TestRegistry;
  pushed: Pushed[];
  tmp: string;
  stop(): Promise<void>;
}

export async function startWorld(options: RegistryOptions & { creds?: { username: string; password: string } } = {}): Promise<World> {
  const tmp = await mkdtemp(join(tmpdir(), 'imgscan-crawl-'));
  const fx = await buildFixtures(join(tmp, 'fixtures'));
  const registry = await startRegistry(options);
  const pushed = await populate(registry, fx, options.creds);
  return {
    fx,
    registry,
    pushed,
    tmp,
    async stop() {
      await registry.stop();
      await rm(tmp, { recursive: true, force: true });
    },
  };
}

/** What a crawl stored, in the shape of Expected (and the compressions of its layers). */
export interface Crawled {
  images: Map<string, string[]>;
  refs: ImageRefRow[];
  layers: string[];
  files: FileKey[];
  compressions: string[];
}

export async function crawledRows(dir: string): Promise<Crawled> {
  const images = new Map<string, string[]>();
  for (const r of await queryDataset<{ m: string; l: string[] }>(dir, 'SELECT manifest_digest AS m, list(layer_digest ORDER BY position) AS l FROM image_layers GROUP BY 1')) images.set(r.m, r.l);
  const stored = await queryDataset<{ m: string }>(dir, 'SELECT manifest_digest AS m FROM images');
  expect(stored.map((r) => r.m).sort()).toEqual([...images.keys()].sort());
  const refs = await queryDataset<ImageRefRow>(dir, 'SELECT * FROM image_refs');
  const layerRows = await queryDataset<{ layer_digest: string; compression: string }>(dir, 'SELECT layer_digest, compression FROM layers');
  const files = await queryDataset<FileKey>(dir, 'SELECT layer_digest, entry_index, path, entry_type, size, digest FROM files');
  return { images, refs: sortRows(refs), layers: layerRows.map((r) => r.layer_digest).sort(), files: sortRows(files), compressions: [...new Set(layerRows.map((r) => r.compression))].sort() };
}

/** A loopback proxy that holds every blob GET back for `delayMs` before forwarding it: a slow registry. */
export interface SlowProxy {
  host: string;
  delayMs: number;
  stop(): Promise<void>;
}

export async function startSlowProxy(upstream: string, delayMs: number): Promise<SlowProxy> {
  const up = new URL(upstream);
  const proxy: SlowProxy = { host: '', delayMs, stop: async () => undefined };
  const server = createServer((req, res) => {
    const slow = req.method === 'GET' && /\/blobs\/sha256:/.test(req.url ?? '');
    const go = () => {
      const upReq = httpRequest({ host: up.hostname, port: up.port, method: req.method, path: req.url, headers: { ...req.headers, host: up.host } }, (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.pipe(res);
      });
      upReq.on('error', () => res.socket?.destroy());
      req.pipe(upReq);
    };
    if (slow && proxy.delayMs > 0) setTimeout(go, proxy.delayMs);
    else go();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  proxy.host = `127.0.0.1:${(server.address() as { port: number }).port}`;
  proxy.stop = () =>
    new Promise((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  return proxy;
}

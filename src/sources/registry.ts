import { ImgscanError, withContext } from '../errors.js';
import { parseConfig } from '../oci/manifest.js';
import { MediaType } from '../oci/media-types.js';
import type { Descriptor, ImageConfig, Manifest, Platform } from '../oci/types.js';
import { formatRegistryRef, type RegistryRef } from '../ref/ref.js';
import { RegistryClient, type FetchedManifest, type RegistryClientOptions } from '../registry/client.js';
import {
  candidateTags,
  formatPlatform,
  inShard,
  newestTags,
  platformSelected,
  selectPlatforms,
  type PlatformSelection,
  type Shard,
  type TagSelection,
} from '../registry/select.js';
import type { Failure } from '../model/failure.js';
import { platformOf, StaticImage } from './image.js';
import type { Image, ImageRef, Source } from './types.js';
import { notAnImage } from '../oci/artifact.js';

export type { PlatformSelection, Shard, TagSelection } from '../registry/select.js';

/** A ref of a registry image; `indexDigest` names the index it was selected from under this tag. */
export interface RegistryImageRef extends ImageRef {
  indexDigest: string | null;
}

/** Something left out on purpose: an artifact that is not an image, a platform not selected, no "latest" tag. */
export interface SourceSkip {
  target: string;
  reason: string;
}

export interface RegistrySourceOptions {
  /** A client to use; otherwise one is made with `RegistryClient.create(ref.registry, clientOptions)`. */
  client?: RegistryClient;
  clientOptions?: RegistryClientOptions;
  /** Tags read from each repository (default: latest only). Ignored when the reference names a tag or digest. */
  tags?: TagSelection;
  /** Index entries taken (default: linux/amd64 when present, else all). */
  platforms?: PlatformSelection;
  /** At most this many repositories (after sharding), in listing order. */
  maxRepositories?: number;
  /** At most this many images yielded. */
  maxImages?: number;
  /** Only repositories whose name hashes (FNV-1a 32) to `index` modulo `count`. */
  shard?: Shard;
  /**
   * What a reference without tag or digest names. "auto" (default): the repository if it exists, else the
   * namespace of that path; a reference with only a registry names the whole registry.
   */
  target?: 'auto' | 'repository' | 'namespace';
  /**
   * Receives failures of single repositories (target "registry/repository") and images (target and image
   * "registry/repository:tag" or "@digest"); without it the first failure is thrown.
   */
  onFailure?: (failure: Failure) => void;
  onSkip?: (skip: SourceSkip) => void;
  /** Manifests fetched at once within a repository (default 4). */
  manifestConcurrency?: number;
}

/** Adds a ref to a registry image unless it has it (the same tag reached through the same index). */
function addRef(image: StaticImage, ref: RegistryImageRef): void {
  // A registry image is built with RegistryImageRefs only.
  const refs = image.refs as RegistryImageRef[];
  if (!refs.some((r) => r.repository === ref.repository && r.tag === ref.tag && r.indexDigest === ref.indexDigest)) refs.push(ref);
}

/** Runs `fn` over items with at most `limit` at once; results keep the input order. */
async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/**
 * A registry as a Source: a whole registry (every repository of the catalog), a namespace (repositories under a
 * path; Docker Hub's listing API on docker.io), a repository (its selected tags) or one image (tag or digest).
 * Indexes resolve to the selected platforms. Within a repository an image reached through several tags is
 * yielded once with all its refs; the same image in another repository is yielded again with that
 * repository's refs.
 */
export class RegistrySource implements Source {
  readonly name: string;
  private client: RegistryClient | undefined;
  private readonly o: RegistrySourceOptions;

  constructor(
    private readonly ref: RegistryRef,
    options: RegistrySourceOptions = {},
  ) {
    this.name = formatRegistryRef(ref);
    this.o = options;
    this.client = options.client;
  }

  async close(): Promise<void> {
    // Sockets belong to the shared fetch dispatcher; nothing is held between requests.
  }

  async *images(): AsyncGenerator<Image> {
    const client = (this.client ??= await RegistryClient.create(this.ref.registry, this.o.clientOptions));
    let yielded = 0;
    const max = this.o.maxImages ?? Infinity;
    if (max <= 0) return;
    const ref = this.ref;
    if (!ref.defaultedTag && ref.repository && (ref.tag || ref.digest)) {
      if (!inShard(ref.repository, this.o.shard)) return;
      const reference = ref.digest ?? ref.tag!;
      for (const image of await this.resolveRepository(client, ref.repository, [{ reference, tag: ref.tag ?? null }])) {
        yield image;
        if (++yielded >= max) return;
      }
      return;
    }
    let repositories = 0;
    for await (const { repository, tags } of this.repositories(client)) {
      if (!inShard(repository, this.o.shard)) continue;
      if (repositories++ >= (this.o.maxRepositories ?? Infinity)) return;
      let listed: string[];
      try {
        listed = tags ?? (await collect(client.tags(repository)));
      } catch (err) {
        this.fail('repository', `${client.registry}/${repository}`, withContext(err, { repository }, 'REGISTRY_ERROR'));
        continue;
      }
      const selection = this.o.tags ?? { kind: 'latest' };
      const chosen = candidateTags(listed, selection);
      if (chosen.length === 0) {
        this.o.onSkip?.({ target: `${client.registry}/${repository}`, reason: `no tag matches the selection (${selection.kind})` });
        continue;
      }
      let images = await this.resolveRepository(client, repository, chosen.map((tag) => ({ reference: tag, tag })));
      if (selection.kind === 'newest' && selection.by !== 'listing') images = keepNewest(images, selection.count);
      for (const image of images) {
        yield image;
        if (++yielded >= max) return;
      }
    }
  }

  /** The repositories a reference without tag or digest names, with tags when probing already listed them. */
  private async *repositories(client: RegistryClient): AsyncGenerator<{ repository: string; tags?: string[] }> {
    const ref = this.ref;
    const target = this.o.target ?? 'auto';
    if (!ref.repository) {
      for await (const repository of client.catalog()) yield { repository };
      return;
    }
    if (target !== 'namespace') {
      try {
        const tags = await collect(client.tags(ref.repository));
        yield { repository: ref.repository, tags };
        return;
      } catch (err) {
        const e = withContext(err, { repository: ref.repository }, 'REGISTRY_ERROR');
        // Docker Hub answers 401 for a repository that does not exist when the client is anonymous.
        const missing = e.code === 'NOT_FOUND' || (ref.registry === 'docker.io' && e.code === 'UNAUTHORIZED');
        if (target === 'repository' || !missing) {
          this.fail('repository', `${client.registry}/${ref.repository}`, e);
          return;
        }
      }
    }
    const namespace = ref.path;
    let found = false;
    for await (const repository of client.repositories(namespace)) {
      found = true;
      yield { repository };
    }
    if (!found) throw new ImgscanError('SOURCE_NOT_FOUND', `no repository or namespace "${namespace}"`, { source: this.name });
  }

  /** Fetches each reference of one repository and merges images reached through several of them. */
  private async resolveRepository(client: RegistryClient, repository: string, references: { reference: string; tag: string | null }[]): Promise<StaticImage[]> {
    const byDigest = new Map<string, StaticImage>();
    const pending = new Map<string, Promise<StaticImage | undefined>>();
    const order: StaticImage[] = [];
    const build = (digest: string, make: () => Promise<StaticImage | undefined>) => {
      let p = pending.get(digest);
      if (!p) {
        p = make();
        pending.set(digest, p);
      }
      return p;
    };
    const perReference = await mapLimit(references, this.o.manifestConcurrency ?? 4, async ({ reference, tag }) => {
      const target = `${client.registry}/${repository}${tag ? `:${tag}` : `@${reference}`}`;
      const found: { image: StaticImage; ref: RegistryImageRef }[] = [];
      let top: FetchedManifest;
      try {
        top = await client.manifest(repository, reference, { image: target });
      } catch (err) {
        this.fail('image', target, withContext(err, { image: target }, 'REGISTRY_ERROR'));
        return found;
      }
      const ref = (indexDigest: string | null): RegistryImageRef => ({ registry: client.registry, repository, tag, indexDigest });
      if (top.document.kind !== 'index') {
        const image = await build(top.digest, () => this.buildImage(client, repository, top, target, undefined, undefined, true));
        if (image) found.push({ image, ref: ref(null) });
        return found;
      }
      const entries = await this.indexEntries(client, repository, top, target);
      for (const { entry, indexDigest } of entries) {
        const childName = `${target} (${formatPlatform(entry.platform)})`;
        const image = await build(entry.digest, async () => {
          try {
            const child = await client.manifest(repository, entry.digest, { image: childName });
            return await this.buildImage(client, repository, child, childName, indexDigest, entry.platform, false);
          } catch (err) {
            this.fail('image', childName, withContext(err, { image: childName }, 'REGISTRY_ERROR'));
            return undefined;
          }
        });
        if (image) found.push({ image, ref: ref(indexDigest) });
      }
      return found;
    });
    for (const { image, ref } of perReference.flat()) {
      if (!byDigest.has(image.digest)) {
        byDigest.set(image.digest, image);
        order.push(image);
      }
      addRef(byDigest.get(image.digest)!, ref);
    }
    return order;
  }

  /** The selected entries of an index, nested indexes flattened (each entry keeps the index that listed it). */
  private async indexEntries(client: RegistryClient, repository: string, top: FetchedManifest, target: string, depth = 0): Promise<{ entry: Descriptor; indexDigest: string }[]> {
    if (top.document.kind !== 'index') return [];
    const out: { entry: Descriptor; indexDigest: string }[] = [];
    const all = top.document.index.manifests;
    for (const entry of all) {
      if (entry.mediaType === MediaType.ociIndex || entry.mediaType === MediaType.dockerManifestList) {
        if (depth >= 3) continue;
        try {
          const nested = await client.manifest(repository, entry.digest, { image: target });
          out.push(...(await this.indexEntries(client, repository, nested, target, depth + 1)));
        } catch (err) {
          this.fail('image', `${target}@${entry.digest}`, withContext(err, { image: target }, 'REGISTRY_ERROR'));
        }
      }
    }
    const chosen = selectPlatforms(all.filter((e) => e.mediaType !== MediaType.ociIndex && e.mediaType !== MediaType.dockerManifestList), this.o.platforms ?? 'default');
    for (const entry of all) {
      if (!chosen.includes(entry) && entry.mediaType !== MediaType.ociIndex && entry.mediaType !== MediaType.dockerManifestList) {
        this.o.onSkip?.({ target: `${target}@${entry.digest}`, reason: `platform ${formatPlatform(entry.platform)} not selected` });
      }
    }
    return [...chosen.map((entry) => ({ entry, indexDigest: top.digest })), ...out];
  }

  /** Fetches and checks the config (or converts schema 1) and builds the image; undefined for artifacts. */
  private async buildImage(
    client: RegistryClient,
    repository: string,
    fetched: FetchedManifest,
    name: string,
    indexDigest: string | undefined,
    fromIndex: Platform | undefined,
    checkPlatform: boolean,
  ): Promise<StaticImage | undefined> {
    try {
      const doc = fetched.document;
      let manifest: Manifest;
      let config: ImageConfig;
      const converted = doc.kind === 'schema1';
      if (doc.kind === 'schema1') {
        const c = await client.convertSchema1(repository, fetched, { image: name });
        manifest = c.manifest;
        config = c.config;
      } else if (doc.kind === 'manifest') {
        manifest = doc.manifest;
        const artifact = notAnImage(manifest);
        if (artifact !== null) {
          this.o.onSkip?.({ target: name, reason: `not a container image (${artifact})` });
          return undefined;
        }
        const bytes = await client.config(repository, manifest.config, { image: name });
        config = parseConfig(bytes, manifest.layers.length, { image: name, repository });
      } else {
        throw new ImgscanError('MANIFEST_INVALID', 'an index lists another index where an image manifest was expected', { image: name });
      }
      const platform = platformOf(config, fromIndex);
      if (checkPlatform && !platformSelected(platform, this.o.platforms ?? 'default')) {
        this.o.onSkip?.({ target: name, reason: `platform ${formatPlatform(platform)} not selected` });
        return undefined;
      }
      return new StaticImage({
        digest: fetched.digest,
        mediaType: fetched.mediaType,
        manifest,
        config,
        platform,
        refs: [],
        name,
        indexDigest,
        convertedFromSchema1: converted,
        // Layers are read by the scan, which checks every blob's size and digest itself (as for local sources),
        // and by --keep-blobs, which checks its own copy: the stream checks the size only.
        openBlob: (desc) => client.openBlob(repository, desc, { image: name }, false),
      });
    } catch (err) {
      this.fail('image', name, withContext(err, { image: name, repository }, 'REGISTRY_ERROR'));
      return undefined;
    }
  }

  private fail(scope: 'repository' | 'image', target: string, error: ImgscanError): void {
    if (!this.o.onFailure) throw error;
    this.o.onFailure({ scope, target, image: scope === 'image' ? target : null, error });
  }
}

/** Keeps the images of the `count` newest tags (by config `created`), in their original order. */
function keepNewest(images: StaticImage[], count: number): StaticImage[] {
  const created = new Map<string, string | undefined>();
  for (const image of images) {
    for (const r of image.refs) {
      if (r.tag === null) continue;
      const prev = created.get(r.tag);
      const c = image.config.created;
      if (!created.has(r.tag) || (c && (!prev || Date.parse(c) > Date.parse(prev)))) created.set(r.tag, c);
    }
  }
  const keep = new Set(newestTags(created, count));
  const out: StaticImage[] = [];
  for (const image of images) {
    const refs = image.refs.filter((r) => r.tag !== null && keep.has(r.tag));
    if (refs.length === 0) continue;
    image.refs.splice(0, image.refs.length, ...refs);
    out.push(image);
  }
  return out;
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

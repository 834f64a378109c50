import { resolve } from 'node:path';
import { ImgscanError } from '../errors.js';
import { digestAlgorithm, digestHex } from '../oci/digest.js';
import { parseConfig, parseDocument, parseMetadataJson } from '../oci/manifest.js';
import type { Descriptor, Platform } from '../oci/types.js';
import { DirTree, type FileTree } from './file-tree.js';
import { verifyBytes } from '../oci/verify.js';
import { mergeImages, platformOf, StaticImage } from './image.js';
import type { Image, ImageRef, Source } from './types.js';
import { isAttestation, notAnImage } from '../oci/artifact.js';
import { formatPlatform } from '../oci/platform.js';

const refNameAnnotation = 'org.opencontainers.image.ref.name';

export function blobPath(digest: string): string {
  return `blobs/${digestAlgorithm(digest)}/${digestHex(digest)}`;
}

export interface LayoutReadOptions {
  /** Only index entries with this ref name; every entry when absent. */
  tag?: string;
  /** How the images are named in image_refs. */
  registry: string;
  repository: string;
  /** Names for an image (default: registry, repository and the entry's ref name as tag). */
  refsFor?: (tag: string | null, configDigest: string) => ImageRef[];
}

/** Reads every image an OCI image layout holds, from a directory or from inside an archive. */
export async function readLayoutImages(tree: FileTree, options: LayoutReadOptions): Promise<StaticImage[]> {
  const where = { path: tree.location };
  if (!tree.exists('oci-layout')) throw new ImgscanError('SOURCE_NOT_FOUND', 'not an OCI image layout (no oci-layout file)', where);
  const layout = (parseMetadataJson(await tree.read('oci-layout'), { path: `${tree.location}/oci-layout` }) ?? {}) as { imageLayoutVersion?: string };
  if (!layout.imageLayoutVersion?.startsWith('1.')) {
    throw new ImgscanError('MANIFEST_INVALID', `unsupported imageLayoutVersion ${JSON.stringify(layout.imageLayoutVersion)}`, where);
  }
  const top = parseDocument(await tree.read('index.json'), undefined, { path: `${tree.location}/index.json` });
  if (top.kind !== 'index') throw new ImgscanError('MANIFEST_INVALID', 'index.json is not an image index', where);
  const entries = top.index.manifests.filter((d) => options.tag === undefined || d.annotations?.[refNameAnnotation] === options.tag);
  if (entries.length === 0 && options.tag !== undefined) {
    const tags = top.index.manifests.map((d) => d.annotations?.[refNameAnnotation]).filter(Boolean);
    throw new ImgscanError('SOURCE_NOT_FOUND', `tag "${options.tag}" not found; the layout has: ${tags.join(', ') || '(no tags)'}`, where);
  }
  const images: StaticImage[] = [];
  const skipped: string[] = [];
  for (const entry of entries) {
    const tag = entry.annotations?.[refNameAnnotation] ?? null;
    const resolved = await resolveDescriptor(tree, entry, undefined, undefined, 0, skipped);
    for (const r of resolved) {
      const name = `${options.repository}${tag ? `:${tag}` : ''}@${r.digest}`;
      const refs = options.refsFor?.(tag, r.configDigest) ?? [{ registry: options.registry, repository: options.repository, tag }];
      const image = await loadImage(tree, r, refs, name);
      if (typeof image === 'string') skipped.push(`${name}: ${image}`);
      else images.push(image);
    }
  }
  // Signatures, attestations and other artifacts are not images; a tag asked for must hold at least one image.
  if (images.length === 0 && options.tag !== undefined) {
    throw new ImgscanError('SOURCE_NOT_FOUND', `tag "${options.tag}" holds no container image (${skipped.join('; ')})`, where);
  }
  return mergeImages(images);
}

interface Resolved {
  digest: string;
  bytes: Buffer;
  mediaType: string;
  platform?: Platform;
  indexDigest?: string;
  configDigest: string;
}

/**
 * The image manifests an index entry stands for. Within an index, attestation entries are left out, and so are
 * entries whose manifest is not in the layout (the image-layout spec allows that, and `docker save` of a
 * multi-platform image writes only the platforms it has); `skipped` receives why.
 */
async function resolveDescriptor(tree: FileTree, desc: Descriptor, platform: Platform | undefined, indexDigest: string | undefined, depth: number, skipped: string[]): Promise<Resolved[]> {
  if (depth > 4) throw new ImgscanError('MANIFEST_INVALID', 'indexes nested too deeply', { path: tree.location });
  const context = { path: `${tree.location}/${blobPath(desc.digest)}` };
  const bytes = await tree.read(blobPath(desc.digest));
  verifyBytes(bytes, desc, 'manifest', context);
  const doc = parseDocument(bytes, desc.mediaType, context);
  if (doc.kind === 'index') {
    const out: Resolved[] = [];
    for (const child of doc.index.manifests) {
      if (isAttestation(child)) skipped.push(`${child.digest}: an attestation`);
      else if (!tree.exists(blobPath(child.digest))) skipped.push(`${child.digest} (${formatPlatform(child.platform)}): not in the layout`);
      else out.push(...(await resolveDescriptor(tree, child, child.platform, desc.digest, depth + 1, skipped)));
    }
    return out;
  }
  if (doc.kind === 'schema1') throw new ImgscanError('MANIFEST_INVALID', 'Docker schema 1 manifests are not expected in an OCI layout', context);
  return [{ digest: desc.digest, bytes, mediaType: doc.mediaType, platform: platform ?? desc.platform, indexDigest, configDigest: doc.manifest.config.digest }];
}

/** The image, or why the manifest is not one (an artifact). */
async function loadImage(tree: FileTree, r: Resolved, refs: ImageRef[], name: string): Promise<StaticImage | string> {
  const doc = parseDocument(r.bytes, r.mediaType, { image: name });
  if (doc.kind !== 'manifest') throw new ImgscanError('MANIFEST_INVALID', 'expected an image manifest', { image: name });
  const manifest = doc.manifest;
  const artifact = notAnImage(manifest);
  if (artifact !== null) return `not a container image (${artifact})`;
  const configBytes = await tree.read(blobPath(manifest.config.digest));
  verifyBytes(configBytes, manifest.config, 'config', { image: name });
  const config = parseConfig(configBytes, manifest.layers.length, { image: name });
  return new StaticImage({
    digest: r.digest,
    mediaType: doc.mediaType,
    manifest,
    config,
    platform: platformOf(config, r.platform),
    refs,
    name,
    indexDigest: r.indexDigest,
    openBlob: (d) => tree.open(blobPath(d.digest)),
    locateBlob: (d) => tree.locate(blobPath(d.digest)),
  });
}

/** `oci:PATH[:TAG]`: an OCI image layout directory. */
export class OciLayoutSource implements Source {
  readonly name: string;
  private readonly dir: string;

  constructor(
    path: string,
    private readonly tag: string | undefined,
  ) {
    this.dir = resolve(path);
    this.name = `oci:${path}${tag ? `:${tag}` : ''}`;
  }

  async *images(): AsyncIterable<Image> {
    const tree = new DirTree(this.dir);
    const images = await readLayoutImages(tree, {
      tag: this.tag,
      registry: 'oci',
      repository: this.dir,
    });
    yield* images;
  }

  async close(): Promise<void> {}
}

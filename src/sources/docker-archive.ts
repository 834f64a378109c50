import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { ImgscanError } from '../errors.js';
import { sha256Digest } from '../oci/digest.js';
import { parseConfig, parseMetadataJson } from '../oci/manifest.js';
import { MediaType } from '../oci/media-types.js';
import type { Descriptor, Manifest } from '../oci/types.js';
import type { FileTree } from './file-tree.js';
import { mergeImages, platformOf, StaticImage } from './image.js';
import { readLayoutImages } from './oci-layout.js';
import { TarTree } from './tar-tree.js';
import type { Image, ImageRef, Source } from './types.js';

/** The media type imgscan gives an uncompressed layer of a classic `docker save` archive. */
export const dockerTarLayerType = 'application/vnd.docker.image.rootfs.diff.tar';

interface ArchiveEntry {
  Config: string;
  RepoTags?: string[] | null;
  Layers: string[];
}

/** Names of an archive's image from its RepoTags (none when untagged). */
export type RefsOf = (repoTags: string[]) => ImageRef[];

/**
 * The refs of an image of an archive file: the archive's path, with each of its RepoTags as written
 * ("alpine:3.19", "docker.io/library/alpine:3.19") as the tag, as skopeo names them (docker-archive:PATH:REF);
 * untagged, the path alone.
 */
export function archiveRefs(archive: string): RefsOf {
  return (tags) => (tags.length === 0 ? [{ registry: 'docker-archive', repository: archive, tag: null }] : tags.map((tag) => ({ registry: 'docker-archive', repository: archive, tag })));
}

/** Splits "repo:tag" (the tag is after the last colon that follows the last slash). */
export function splitRepoTag(repoTag: string): { repository: string; tag: string | null } {
  const slash = repoTag.lastIndexOf('/');
  const colon = repoTag.lastIndexOf(':');
  return colon > slash ? { repository: repoTag.slice(0, colon), tag: repoTag.slice(colon + 1) } : { repository: repoTag, tag: null };
}

async function memberDigest(tree: FileTree, path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of await tree.open(path)) hash.update(chunk as Buffer);
  return `sha256:${hash.digest('hex')}`;
}

/**
 * Reads the images of a `docker save` archive held in `tree`: the OCI layout inside newer archives when present,
 * else the classic manifest.json form, for which a Docker v2 schema 2 manifest is synthesized (its digest is the
 * image's identity; the layers are the archive's tar files, identified by their sha256).
 */
export async function readArchiveImages(tree: FileTree, label: string, refsOf: RefsOf = archiveRefs(label)): Promise<StaticImage[]> {
  const where = { path: tree.location };
  if (!tree.exists('manifest.json') && !tree.exists('index.json')) {
    throw new ImgscanError('SOURCE_NOT_FOUND', 'not a docker save archive (no manifest.json)', where);
  }
  const entries = (tree.exists('manifest.json') ? parseMetadataJson(await tree.read('manifest.json'), { path: `${tree.location}/manifest.json` }) : []) as ArchiveEntry[];
  if (!Array.isArray(entries)) throw new ImgscanError('MANIFEST_INVALID', 'manifest.json is not a list', where);
  for (const [i, entry] of entries.entries()) {
    if (typeof entry?.Config !== 'string' || !Array.isArray(entry.Layers)) throw new ImgscanError('MANIFEST_INVALID', `manifest.json entry ${i} lacks Config or Layers`, where);
  }
  const configDigest = (e: ArchiveEntry) => e.Config.replace(/^blobs\/sha256\//, 'sha256:');
  if (tree.exists('oci-layout') && tree.exists('index.json')) {
    const byConfig = new Map(entries.map((e) => [configDigest(e), e]));
    const fromLayout = await readLayoutImages(tree, {
      registry: 'docker-archive',
      repository: label,
      refsFor: (tag, config) => refsOf(byConfig.get(config)?.RepoTags ?? (tag ? [tag] : [])),
    });
    // Docker lists in index.json only some of the images manifest.json has (an untagged one saved beside tagged
    // ones): those are read the classic way.
    const covered = new Set(fromLayout.map((im) => im.manifest.config.digest));
    const rest = entries.map((e, i) => [e, i] as const).filter(([e]) => !covered.has(configDigest(e)));
    return mergeImages([...fromLayout, ...(await classicImages(tree, rest, label, refsOf))]);
  }
  return mergeImages(await classicImages(tree, entries.map((e, i) => [e, i] as const), label, refsOf));
}

/** Images of manifest.json entries, with a Docker v2 schema 2 manifest synthesized for each. */
async function classicImages(tree: FileTree, entries: (readonly [ArchiveEntry, number])[], label: string, refsOf: RefsOf): Promise<StaticImage[]> {
  const images: StaticImage[] = [];
  for (const [entry, i] of entries) {
    const configBytes = await tree.read(entry.Config);
    const name = `docker-archive:${label}${entry.RepoTags?.[0] ? `:${entry.RepoTags[0]}` : `#${i}`}`;
    const config = parseConfig(configBytes, entry.Layers.length, { image: name });
    const diffIds = config.rootfs?.diff_ids ?? [];
    const paths = new Map<string, string>();
    const layers: Descriptor[] = [];
    for (const [pos, path] of entry.Layers.entries()) {
      const fromPath = /^blobs\/sha256\/([0-9a-f]{64})$/.exec(path);
      const head = await tree.head(path, 4);
      const gzip = head[0] === 0x1f && head[1] === 0x8b;
      const zstd = head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd;
      const digest = fromPath ? `sha256:${fromPath[1]}` : !gzip && !zstd && diffIds[pos] ? diffIds[pos] : await memberDigest(tree, path);
      paths.set(digest, path);
      layers.push({ mediaType: gzip ? MediaType.dockerLayer : zstd ? MediaType.ociLayerZstd : dockerTarLayerType, digest, size: tree.size(path) });
    }
    const manifest: Manifest = {
      schemaVersion: 2,
      mediaType: MediaType.dockerManifest,
      config: { mediaType: MediaType.dockerConfig, digest: sha256Digest(configBytes), size: configBytes.length },
      layers,
    };
    images.push(
      new StaticImage({
        digest: sha256Digest(JSON.stringify(manifest)),
        mediaType: MediaType.dockerManifest,
        manifest,
        config,
        platform: platformOf(config, undefined),
        refs: refsOf(entry.RepoTags ?? []),
        name,
        openBlob: (d) => tree.open(paths.get(d.digest)!),
        locateBlob: (d) => tree.locate(paths.get(d.digest)!),
      }),
    );
  }
  return images;
}

/** `docker-archive:PATH`: a `docker save` tarball. */
export class DockerArchiveSource implements Source {
  readonly name: string;

  constructor(private readonly path: string) {
    this.name = `docker-archive:${path}`;
  }

  async *images(): AsyncIterable<Image> {
    const tree = await TarTree.open(resolve(this.path));
    yield* await readArchiveImages(tree, resolve(this.path));
  }

  async close(): Promise<void> {}
}

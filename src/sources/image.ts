import type { Readable } from 'node:stream';
import type { Descriptor, ImageConfig, Manifest, Platform } from '../oci/types.js';
import type { BlobFile, Image, ImageRef, Layer } from './types.js';

/** The platform of an image: its config first, then the index entry that selected it. */
export function platformOf(config: ImageConfig, fromIndex: Platform | undefined): Platform {
  return {
    os: config.os ?? fromIndex?.os ?? '',
    architecture: config.architecture ?? fromIndex?.architecture ?? '',
    ...(config.variant ?? fromIndex?.variant ? { variant: config.variant ?? fromIndex?.variant } : {}),
  };
}

export interface ImageParts {
  digest: string;
  mediaType: string;
  manifest: Manifest;
  config: ImageConfig;
  platform: Platform;
  refs: ImageRef[];
  name: string;
  indexDigest?: string;
  convertedFromSchema1?: boolean;
  openBlob(desc: Descriptor): Promise<Readable>;
  /** Where a blob lies in a local file, for sources that keep blobs in files. */
  locateBlob?(desc: Descriptor): BlobFile;
}

/** An Image built from parts that an adapter has already fetched and verified. */
export class StaticImage implements Image {
  readonly digest: string;
  readonly mediaType: string;
  readonly manifest: Manifest;
  readonly config: ImageConfig;
  readonly platform: Platform;
  readonly refs: ImageRef[];
  readonly name: string;
  readonly indexDigest?: string;
  readonly convertedFromSchema1: boolean;
  private readonly openBlob: (desc: Descriptor) => Promise<Readable>;
  private readonly locateBlob: ((desc: Descriptor) => BlobFile) | undefined;

  constructor(parts: ImageParts) {
    this.digest = parts.digest;
    this.mediaType = parts.mediaType;
    this.manifest = parts.manifest;
    this.config = parts.config;
    this.platform = parts.platform;
    this.refs = parts.refs;
    this.name = parts.name;
    this.indexDigest = parts.indexDigest;
    this.convertedFromSchema1 = parts.convertedFromSchema1 ?? false;
    this.openBlob = parts.openBlob;
    this.locateBlob = parts.locateBlob;
  }

  layers(): Layer[] {
    const diffIds = this.config.rootfs?.diff_ids ?? [];
    const locate = this.locateBlob;
    return this.manifest.layers.map((descriptor, i) => ({
      descriptor,
      diffId: diffIds[i],
      open: () => this.openBlob(descriptor),
      ...(locate && { locate: () => locate(descriptor) }),
    }));
  }
}

/** Adds refs of images met again under another name, keeping one Image per manifest digest. */
export function mergeImages(images: StaticImage[]): StaticImage[] {
  const byDigest = new Map<string, StaticImage>();
  for (const image of images) {
    const seen = byDigest.get(image.digest);
    if (!seen) {
      byDigest.set(image.digest, image);
      continue;
    }
    for (const ref of image.refs) {
      if (!seen.refs.some((r) => r.registry === ref.registry && r.repository === ref.repository && r.tag === ref.tag)) seen.refs.push(ref);
    }
  }
  return [...byDigest.values()];
}

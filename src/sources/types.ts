import type { Readable } from 'node:stream';
import type { Descriptor, ImageConfig, Manifest, Platform } from '../oci/types.js';

/** Where an image was found under a name: one row of image_refs. */
export interface ImageRef {
  /** Registry host, or the source kind for local sources ("oci", "docker-archive", "docker-daemon"). */
  registry: string;
  /** Repository, or the local path for layouts and archives. */
  repository: string;
  /** Tag, or null when the image was reached by digest only. */
  tag: string | null;
}

/** Where a blob lies in a local file: `size` bytes from `offset` of `path`. */
export interface BlobFile {
  path: string;
  offset: number;
  size: number;
}

/** One layer of an image. Everything is lazy: nothing is read until `open` is called. */
export interface Layer {
  /** The layer's descriptor in the manifest: compressed digest, size, media type. */
  readonly descriptor: Descriptor;
  /** The uncompressed digest the image config lists for this position, if the config has one. */
  readonly diffId: string | undefined;
  /** Opens the compressed blob exactly as stored. The caller verifies digest and size while reading. */
  open(): Promise<Readable>;
  /**
   * Where the compressed blob lies, for layers of local sources: a worker thread reads it there itself instead
   * of through `open`. Throws BLOB_MISSING as `open` does. Absent for remote blobs.
   */
  locate?(): BlobFile;
}

/** One single-platform image, identified by its manifest digest. */
export interface Image {
  /** Digest of the manifest bytes. */
  readonly digest: string;
  /** Media type of the manifest. */
  readonly mediaType: string;
  /** The manifest (schema 1 converted to schema 2 shape, see `convertedFromSchema1`). */
  readonly manifest: Manifest;
  /** The parsed image config. */
  readonly config: ImageConfig;
  /** Platform from the config, or from the index entry that selected the image. */
  readonly platform: Platform;
  /** Every name that resolved to this image in this source. */
  readonly refs: ImageRef[];
  /** The index (or manifest list) this image was selected from, if any. */
  readonly indexDigest?: string;
  /** True when the manifest was Docker schema 1 and was converted. */
  readonly convertedFromSchema1: boolean;
  /** Human-readable name for messages, e.g. "oci:/path:tag" or "localhost:5000/repo:tag". */
  readonly name: string;
  /** Layers in manifest order. */
  layers(): Layer[];
}

/** A place images come from. Adapters supply this small core; the pipeline derives the rest. */
export interface Source {
  /** The reference the user gave, for messages. */
  readonly name: string;
  /** Yields each distinct image once (refs merged), resolving indexes to their platform manifests. */
  images(): AsyncIterable<Image>;
  /** Releases files, sockets and temp data. */
  close(): Promise<void>;
}

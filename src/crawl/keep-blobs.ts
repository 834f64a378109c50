import { createHash } from 'node:crypto';
import { createWriteStream, mkdirSync, renameSync, rmSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { pipeline, Transform, type Readable, type TransformCallback } from 'node:stream';
import type { Image, Layer, Source } from '../sources/types.js';

/**
 * A source whose layer blobs are also written to `dir/blobs/<alg>/<hex>` (the OCI layout's blob paths) while
 * they stream through the scan. A blob file appears (by rename) only once all its bytes were read and their
 * sha256 matched the descriptor; a partial or wrong blob leaves nothing behind.
 */
export function keepingBlobs(source: Source, dir: string): Source {
  return {
    name: source.name,
    close: () => source.close(),
    async *images() {
      for await (const image of source.images()) yield keptImage(image, dir);
    },
  };
}

function keptImage(image: Image, dir: string): Image {
  return {
    digest: image.digest,
    mediaType: image.mediaType,
    manifest: image.manifest,
    config: image.config,
    platform: image.platform,
    refs: image.refs,
    indexDigest: image.indexDigest,
    convertedFromSchema1: image.convertedFromSchema1,
    name: image.name,
    layers: (): Layer[] =>
      image.layers().map((layer) => ({
        descriptor: layer.descriptor,
        diffId: layer.diffId,
        open: async (): Promise<Readable> => {
          const input = await layer.open();
          const [alg, hex] = layer.descriptor.digest.split(':');
          // Only sha256 blobs are kept: their digest is checked here without a second hashing library.
          if (alg !== 'sha256' || !hex) return input;
          const blobs = join(dir, 'blobs', alg);
          mkdirSync(blobs, { recursive: true });
          const tee = new KeepBlob(join(blobs, hex), hex);
          // pipeline destroys the blob stream too when the scan stops reading early.
          pipeline(input, tee, () => undefined);
          return tee;
        },
      })),
  };
}

/** Passes bytes through unchanged and writes them to `path.partial`, renamed to `path` when the sha256 matches. */
class KeepBlob extends Transform {
  private readonly hash = createHash('sha256');
  private readonly file: WriteStream;
  private readonly partial: string;

  constructor(
    private readonly path: string,
    private readonly hex: string,
  ) {
    super();
    this.partial = `${path}.${process.pid}.partial`;
    this.file = createWriteStream(this.partial);
    this.file.on('error', (err) => this.destroy(err));
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.hash.update(chunk);
    // The scan may hand the chunk's memory to a worker thread (a transfer detaches it): the file gets a copy.
    const copy = Buffer.from(chunk);
    this.push(chunk);
    if (this.file.write(copy)) done();
    else this.file.once('drain', () => done());
  }

  override _flush(done: TransformCallback): void {
    this.file.end(() => {
      try {
        if (this.hash.digest('hex') === this.hex) renameSync(this.partial, this.path);
        else rmSync(this.partial, { force: true });
        done();
      } catch (err) {
        done(err as Error);
      }
    });
  }

  override _destroy(err: Error | null, done: (err: Error | null) => void): void {
    this.file.destroy();
    rmSync(this.partial, { force: true });
    done(err);
  }
}

import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type Docker from 'dockerode';
import { ImgscanError } from '../errors.js';
import { readArchiveImages, splitRepoTag } from './docker-archive.js';
import { TarTree } from './tar-tree.js';
import type { Image, Source } from './types.js';

export interface DaemonOptions {
  /** Image names or ids; empty for every image of the daemon. */
  images: string[];
  /** Where the `docker save` stream is spooled (default: the system temp dir). */
  tmpDir?: string;
  /** Connection options; by default dockerode honours DOCKER_HOST. */
  docker?: Docker.DockerOptions;
}

/**
 * `docker-daemon:IMAGE`: images of a Docker engine. As in go-containerregistry's daemon package, the engine's
 * `docker save` stream is the archive: it is spooled to one temp file (the classic format puts manifest.json
 * last) and read by the docker-archive adapter, then removed.
 */
export class DockerDaemonSource implements Source {
  readonly name: string;
  private docker: Promise<Docker> | undefined;
  private spool: string | undefined;

  constructor(private readonly options: DaemonOptions) {
    this.name = `docker-daemon:${options.images.join(',') || '*'}`;
  }

  /**
   * The engine's client, loaded when first needed: dockerode and what it brings (ssh2, gRPC, protobufjs) take
   * about 0.4 CPU-seconds to load, which every crawl of a registry alone would otherwise pay at start.
   */
  private client(): Promise<Docker> {
    this.docker ??= import('dockerode').then(({ default: Dockerode }) => new Dockerode(this.options.docker));
    return this.docker;
  }

  /** What to save: the images asked for, else every tag of every image (untagged ones by id). */
  private async names(): Promise<string[]> {
    if (this.options.images.length > 0) return this.options.images;
    const list = await (await this.client()).listImages();
    return list.flatMap((i) => {
      const tags = (i.RepoTags ?? []).filter((t) => t !== '<none>:<none>');
      return tags.length > 0 ? tags : [i.Id];
    });
  }

  async *images(): AsyncIterable<Image> {
    let names: string[];
    try {
      names = await this.names();
    } catch (err) {
      throw new ImgscanError('SOURCE_NOT_FOUND', `cannot reach the Docker daemon: ${(err as Error).message}`, { source: this.name }, { cause: err });
    }
    if (names.length === 0) return;
    this.spool = mkdtempSync(join(this.options.tmpDir ?? tmpdir(), 'imgscan-daemon-'));
    const file = join(this.spool, 'save.tar');
    try {
      // dockerode's getImages (GET /images/get?names=...) saves several images into one archive; its typings lack it.
      const docker = (await this.client()) as unknown as { getImages(opts: { names: string[] }): Promise<NodeJS.ReadableStream> };
      const stream = await docker.getImages({ names });
      await pipeline(stream, createWriteStream(file));
    } catch (err) {
      throw new ImgscanError('SOURCE_NOT_FOUND', `docker save of ${names.join(', ')} failed: ${(err as Error).message}`, { source: this.name }, { cause: err });
    }
    const tree = await TarTree.open(file);
    // Named as the daemon names them: repository and tag of each RepoTag.
    const refs = (tags: string[]) => (tags.length === 0 ? [{ registry: 'docker-daemon', repository: 'docker-daemon', tag: null }] : tags.map((t) => ({ registry: 'docker-daemon', ...splitRepoTag(t) })));
    yield* await readArchiveImages(tree, 'docker-daemon', refs);
  }

  async close(): Promise<void> {
    if (this.spool) rmSync(this.spool, { recursive: true, force: true });
    this.spool = undefined;
  }
}

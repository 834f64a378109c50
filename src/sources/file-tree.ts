import { createReadStream, existsSync, statSync } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { ImgscanError } from '../errors.js';
import type { BlobFile } from './types.js';

/** Read access to the files of an image layout, whether a directory or a tar archive holds them. */
export interface FileTree {
  /** Where the tree lives, for messages. */
  readonly location: string;
  exists(path: string): boolean;
  size(path: string): number;
  read(path: string): Promise<Buffer>;
  /** The first `n` bytes (fewer if the file is shorter). */
  head(path: string, n: number): Promise<Buffer>;
  open(path: string): Promise<Readable>;
  /** Where the file's bytes lie on disk. */
  locate(path: string): BlobFile;
}

/** A FileTree over a directory. */
export class DirTree implements FileTree {
  constructor(readonly location: string) {}

  exists(path: string): boolean {
    return existsSync(join(this.location, path));
  }

  size(path: string): number {
    return statSync(join(this.location, path)).size;
  }

  async read(path: string): Promise<Buffer> {
    try {
      return await readFile(join(this.location, path));
    } catch (err) {
      throw missing(this.location, path, err);
    }
  }

  async head(path: string, n: number): Promise<Buffer> {
    const fh = await open(join(this.location, path), 'r').catch((err) => {
      throw missing(this.location, path, err);
    });
    try {
      const buf = Buffer.alloc(n);
      const { bytesRead } = await fh.read(buf, 0, n, 0);
      return buf.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  }

  async open(path: string): Promise<Readable> {
    return createReadStream(this.locate(path).path, { highWaterMark: 1 << 20 });
  }

  locate(path: string): BlobFile {
    const file = join(this.location, path);
    const stat = statSync(file, { throwIfNoEntry: false });
    if (!stat) throw missing(this.location, path);
    return { path: file, offset: 0, size: stat.size };
  }
}

export function missing(location: string, path: string, cause?: unknown): ImgscanError {
  return new ImgscanError('BLOB_MISSING', `${path} is missing`, { path: `${location}/${path}` }, { cause });
}

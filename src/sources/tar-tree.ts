import { createReadStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { ImgscanError } from '../errors.js';
import { type FileTree, missing } from './file-tree.js';
import type { BlobFile } from './types.js';

interface Member {
  offset: number;
  size: number;
}

const block = 512;

/**
 * A FileTree over an uncompressed tar archive (a `docker save` output). Only headers are read to build the
 * index: member data is read in place, by offset, when asked for.
 */
export class TarTree implements FileTree {
  private constructor(
    readonly location: string,
    private readonly members: Map<string, Member>,
  ) {}

  static async open(path: string): Promise<TarTree> {
    let fh: FileHandle;
    try {
      fh = await open(path, 'r');
    } catch (err) {
      throw new ImgscanError('SOURCE_NOT_FOUND', `cannot open archive: ${(err as Error).message}`, { path }, { cause: err });
    }
    try {
      return new TarTree(path, await indexArchive(fh, path));
    } finally {
      await fh.close();
    }
  }

  exists(path: string): boolean {
    return this.members.has(normalize(path));
  }

  size(path: string): number {
    const m = this.members.get(normalize(path));
    if (!m) throw missing(this.location, path);
    return m.size;
  }

  async read(path: string): Promise<Buffer> {
    const m = this.members.get(normalize(path));
    if (!m) throw missing(this.location, path);
    return this.readAt(m.offset, m.size, path);
  }

  async head(path: string, n: number): Promise<Buffer> {
    const m = this.members.get(normalize(path));
    if (!m) throw missing(this.location, path);
    return this.readAt(m.offset, Math.min(n, m.size), path);
  }

  private async readAt(offset: number, size: number, path: string): Promise<Buffer> {
    const fh = await open(this.location, 'r');
    try {
      const buf = Buffer.alloc(size);
      const { bytesRead } = await fh.read(buf, 0, size, offset);
      if (bytesRead !== size) throw new ImgscanError('TAR_INVALID', `archive member ${path} is truncated`, { path: this.location });
      return buf;
    } finally {
      await fh.close();
    }
  }

  async open(path: string): Promise<Readable> {
    const m = this.locate(path);
    if (m.size === 0) return createReadStream(this.location, { start: 1, end: 0 });
    return createReadStream(this.location, { start: m.offset, end: m.offset + m.size - 1, highWaterMark: 1 << 20 });
  }

  locate(path: string): BlobFile {
    const m = this.members.get(normalize(path));
    if (!m) throw missing(this.location, path);
    return { path: this.location, offset: m.offset, size: m.size };
  }
}

function normalize(path: string): string {
  return path.replace(/^\.?\/+/, '').replace(/\/+$/, '');
}

function field(header: Buffer, start: number, length: number): string {
  const raw = header.subarray(start, start + length);
  const nul = raw.indexOf(0);
  return raw.subarray(0, nul < 0 ? length : nul).toString('utf8');
}

function numeric(header: Buffer, start: number, length: number): number {
  if (header[start] & 0x80) {
    let value = 0;
    for (let i = start + 1; i < start + length; i++) value = value * 256 + header[i];
    return value;
  }
  const text = field(header, start, length).trim();
  return text ? parseInt(text, 8) : 0;
}

function paxPath(data: Buffer): string | undefined {
  let pos = 0;
  let path: string | undefined;
  while (pos < data.length) {
    const space = data.indexOf(0x20, pos);
    if (space < 0) break;
    const len = parseInt(data.subarray(pos, space).toString('ascii'), 10);
    if (!(len > 0)) break;
    const record = data.subarray(space + 1, pos + len - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (record.slice(0, eq) === 'path') path = record.slice(eq + 1);
    pos += len;
  }
  return path;
}

async function indexArchive(fh: FileHandle, location: string): Promise<Map<string, Member>> {
  const { size: fileSize } = await fh.stat();
  const members = new Map<string, Member>();
  const links = new Map<string, string>();
  const header = Buffer.alloc(block);
  let pos = 0;
  let longName: string | undefined;
  while (pos + block <= fileSize) {
    await fh.read(header, 0, block, pos);
    if (header.every((b) => b === 0)) break;
    if (pos === 0 && (header[0] === 0x1f || (header[0] === 0x28 && header[1] === 0xb5))) {
      throw new ImgscanError('SOURCE_NOT_FOUND', 'archive is compressed; decompress it first (gzip -d / zstd -d)', { path: location });
    }
    if (field(header, 257, 5) !== 'ustar' && !checksumOk(header)) {
      throw new ImgscanError('TAR_INVALID', `not a tar archive (bad header at byte ${pos})`, { path: location });
    }
    const size = numeric(header, 124, 12);
    const type = String.fromCharCode(header[156] || 0x30);
    const dataStart = pos + block;
    if (dataStart + size > fileSize) throw new ImgscanError('TAR_INVALID', `archive truncated inside member at byte ${pos}`, { path: location });
    if (type === 'x' || type === 'L') {
      const data = Buffer.alloc(size);
      await fh.read(data, 0, size, dataStart);
      longName = type === 'L' ? data.toString('utf8').replace(/\0+$/, '') : (paxPath(data) ?? longName);
    } else if (type !== 'g') {
      const prefix = field(header, 345, 155);
      const name = longName ?? (prefix ? `${prefix}/${field(header, 0, 100)}` : field(header, 0, 100));
      longName = undefined;
      if (type === '0' || type === '7' || type === '\0') members.set(normalize(name), { offset: dataStart, size });
      else if (type === '1' || type === '2') links.set(normalize(name), linkTarget(name, field(header, 157, 100), type));
    }
    pos = dataStart + Math.ceil(size / block) * block;
  }
  // Docker writes a repeated layer as a link to the first copy.
  for (const [name, target] of links) {
    let t: string | undefined = target;
    for (let hops = 0; t !== undefined && !members.has(t) && hops < 8; hops++) t = links.get(t);
    const m = t === undefined ? undefined : members.get(t);
    if (m) members.set(name, m);
  }
  return members;
}

function linkTarget(name: string, target: string, type: string): string {
  if (type === '1' || target.startsWith('/')) return normalize(target);
  const parts = normalize(name).split('/').slice(0, -1);
  for (const p of target.split('/')) {
    if (p === '..') parts.pop();
    else if (p !== '.' && p !== '') parts.push(p);
  }
  return parts.join('/');
}

function checksumOk(header: Buffer): boolean {
  const stored = parseInt(field(header, 148, 8).trim() || 'x', 8);
  let sum = 0;
  for (let i = 0; i < block; i++) sum += i >= 148 && i < 156 ? 0x20 : header[i];
  return stored === sum;
}

import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ImgscanError } from '../errors.js';
import { parseRef, splitOciSpec, type SourceRef } from '../ref/ref.js';
import { DockerArchiveSource } from './docker-archive.js';
import { OciLayoutSource } from './oci-layout.js';
import type { Source } from './types.js';

/** True when the file starts with a POSIX tar header ("ustar" at offset 257), as `docker save` writes. */
function isTar(path: string): boolean {
  const header = Buffer.alloc(512);
  const fd = openSync(path, 'r');
  try {
    return readSync(fd, header, 0, 512, 0) === 512 && header.toString('latin1', 257, 262) === 'ustar';
  } finally {
    closeSync(fd);
  }
}

/** The reference a path given without a scheme was likely meant as: an OCI layout directory or a tar archive. */
export function schemeFor(path: string): string | undefined {
  if (/^(oci|docker-archive|docker-daemon|docker):/.test(path) || !existsSync(path)) return undefined;
  const stat = statSync(path);
  if (stat.isDirectory()) return existsSync(join(path, 'oci-layout')) ? `oci:${path}` : undefined;
  return stat.isFile() && isTar(path) ? `docker-archive:${path}` : undefined;
}

/** Refuses a local path given without its scheme, saying which reference it is (a USAGE error). */
export function refuseBarePath(input: string): void {
  const meant = schemeFor(input);
  if (meant) throw new ImgscanError('USAGE', `${input} is ${meant.startsWith('oci:') ? 'an OCI image layout' : 'a tar archive'}: give it with its scheme, ${meant}`);
}

/** Opens a local source (`oci:` layout or `docker-archive:`) for `imgscan scan`. */
export function openLocalSource(input: string | SourceRef): Source {
  if (typeof input === 'string') refuseBarePath(input);
  const ref = typeof input === 'string' ? parseRef(input) : input;
  switch (ref.kind) {
    case 'oci': {
      const { path, tag } = splitOciSpec(ref, (p) => existsSync(join(p, 'oci-layout')));
      return new OciLayoutSource(path, tag);
    }
    case 'docker-archive':
      return new DockerArchiveSource(ref.path);
    default:
      throw new ImgscanError('USAGE', `${typeof input === 'string' ? input : ref.kind} is a ${ref.kind === 'registry' ? 'registry' : 'daemon'} reference: use \`imgscan crawl\` for it`);
  }
}

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ImgscanError } from '../errors.js';
import { parseRef, splitOciSpec, type SourceRef } from '../ref/ref.js';
import { DockerArchiveSource } from './docker-archive.js';
import { OciLayoutSource } from './oci-layout.js';
import type { Source } from './types.js';

/** Opens a local source (`oci:` layout or `docker-archive:`) for `imgscan scan`. */
export function openLocalSource(input: string | SourceRef): Source {
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

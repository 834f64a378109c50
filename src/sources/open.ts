import { ImgscanError } from '../errors.js';
import { parseRef, type SourceRef } from '../ref/ref.js';
import { DockerArchiveSource } from './docker-archive.js';
import { OciLayoutSource } from './oci-layout.js';
import type { Source } from './types.js';

/** Opens a local source (`oci:` layout or `docker-archive:`) for `imgscan scan`. */
export function openLocalSource(input: string | SourceRef): Source {
  const ref = typeof input === 'string' ? parseRef(input) : input;
  switch (ref.kind) {
    case 'oci':
      return new OciLayoutSource(ref.path, ref.tag);
    case 'docker-archive':
      return new DockerArchiveSource(ref.path);
    default:
      throw new ImgscanError('USAGE', `${typeof input === 'string' ? input : ref.kind} is a ${ref.kind === 'registry' ? 'registry' : 'daemon'} reference: use \`imgscan crawl\` for it`);
  }
}

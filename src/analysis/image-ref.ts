import { resolve } from 'node:path';
import { isDigest } from '../oci/digest.js';
import { parseRef, type RegistryRef } from '../ref/ref.js';
import { sqlString } from '../store/duckdb.js';

/**
 * The SQL condition (over manifest_digest and the registry, repository, tag of image_refs) that selects the
 * images an --image REF names: a manifest digest or a prefix of at least 12 hex digits of one, a ref as the
 * report prints it (oci:PATH:TAG, REGISTRY/REPOSITORY:TAG), or any form `imgscan scan` accepts.
 */
export function imageRefCondition(ref: string): string {
  const text = ref.trim();
  const or: string[] = [`a_ref_name(r.registry, r.repository, r.tag) = ${sqlString(text)}`];
  const hex = /^(sha256:)?([0-9a-f]{12,64})$/.exec(text);
  if (hex) or.push(`i2.manifest_digest LIKE ${sqlString(`sha256:${hex[2]}%`)}`);
  if (isDigest(text)) or.push(`i2.manifest_digest = ${sqlString(text)}`);
  let parsed;
  try {
    parsed = parseRef(text);
  } catch {
    return or.join(' OR ');
  }
  const tagIs = (tag: string | undefined) => (tag === undefined ? '' : ` AND r.tag = ${sqlString(tag)}`);
  const paths = (p: string) => [...new Set([p, resolve(p)])].map(sqlString).join(', ');
  switch (parsed.kind) {
    case 'oci':
      or.push(`(r.registry = 'oci' AND r.repository IN (${paths(parsed.path)})${tagIs(parsed.tag)})`);
      break;
    case 'docker-archive':
      or.push(`(r.registry = 'docker-archive' AND r.repository IN (${paths(parsed.path)}))`);
      break;
    case 'docker-daemon': {
      // The daemon names an image as it was pulled: "alpine:3.19", or in full ("docker.io/library/alpine:3.19")
      // on the containerd image store. Each form of the name given matches.
      let names = [parsed.image];
      try {
        const r = parseRef(parsed.image);
        if (r.kind === 'registry') names = [...new Set([parsed.image, ...nameForms(r)])];
      } catch {
        // An image id, or a name parseRef does not take: matched as given.
      }
      const list = names.map(sqlString).join(', ');
      or.push(`(r.registry = 'docker-daemon' AND (r.repository IN (${list}) OR r.repository || ':' || r.tag IN (${list})))`);
      break;
    }
    default:
      if (parsed.digest) or.push(`i2.manifest_digest = ${sqlString(parsed.digest)}`);
      else if (parsed.repository) {
        or.push(`(r.registry = ${sqlString(parsed.registry)} AND r.repository = ${sqlString(parsed.repository)}${tagIs(parsed.tag)})`);
        // A name also matches the RepoTags of docker-archive images, in any of the forms docker save writes.
        const repoTags = nameForms(parsed);
        if (repoTags.length > 0) or.push(`(r.registry = 'docker-archive' AND r.tag IN (${repoTags.map(sqlString).join(', ')}))`);
        // A bare name also matches daemon images.
        if (parsed.defaultedRegistry) or.push(`(r.registry = 'docker-daemon' AND r.repository IN (${sqlString(parsed.path)}, ${sqlString(parsed.repository)})${tagIs(parsed.tag)})`);
      }
  }
  return or.join(' OR ');
}

/** A tagged name in the forms Docker writes it: as typed ("alpine:3.19"), by repository, and in full. */
function nameForms(r: RegistryRef): string[] {
  if (r.tag === undefined) return [];
  return [...new Set([r.path, r.repository, `${r.registry}/${r.repository}`].map((n) => `${n}:${r.tag}`))];
}

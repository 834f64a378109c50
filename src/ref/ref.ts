import { ImgscanError } from '../errors.js';
import { isDigest } from '../oci/digest.js';

/** A registry reference: a registry, a namespace or repository within it, or one image by tag or digest. */
export interface RegistryRef {
  kind: 'registry';
  /** Canonical registry host ("docker.io" for Docker Hub, "localhost:5000", ...). */
  registry: string;
  /** The path as given after the host, "" for a whole registry; no "library/" added. */
  path: string;
  /** Repository with Docker Hub's "library/" filled in for official images; "" for a whole registry. */
  repository: string;
  /** Tag, when one was given (or "latest" filled in, see `defaultedTag`). */
  tag: string | undefined;
  digest: string | undefined;
  /** True when the tag was not given and "latest" was filled in (only for image-like references). */
  defaultedTag: boolean;
  /** True when the host was not given and docker.io was filled in. */
  defaultedRegistry: boolean;
}

export interface OciLayoutRef {
  kind: 'oci';
  path: string;
  tag: string | undefined;
  /** What followed "oci:": a path and a tag may both hold colons, so a source opening it may split it otherwise. */
  spec: string;
}

export interface DockerArchiveRef {
  kind: 'docker-archive';
  path: string;
}

export interface DockerDaemonRef {
  kind: 'docker-daemon';
  /** Image name or id as the daemon knows it; "" selects every image of the daemon. */
  image: string;
}

export type SourceRef = RegistryRef | OciLayoutRef | DockerArchiveRef | DockerDaemonRef;

export const acceptedForms = [
  'oci:PATH[:TAG]',
  'docker-archive:PATH',
  'docker-daemon:IMAGE',
  '[docker://]REGISTRY[/NAMESPACE[/REPOSITORY]][:TAG|@DIGEST]',
  'REPOSITORY[:TAG|@DIGEST] (Docker Hub)',
];

const dockerHubAliases = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com']);
const componentPattern = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const tagPattern = /^[\w][\w.-]{0,127}$/;
const hostPattern = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?$|^\[[0-9a-fA-F:]+\](?::[0-9]+)?$/;

function invalid(input: string, why: string): ImgscanError {
  return new ImgscanError('REF_INVALID', `invalid reference "${input}": ${why}; accepted forms: ${acceptedForms.join(', ')}`);
}

/** The API host for a canonical registry name (Docker Hub serves its API elsewhere). */
export function registryApiHost(registry: string): string {
  return registry === 'docker.io' ? 'registry-1.docker.io' : registry;
}

function looksLikeHost(component: string): boolean {
  return component === 'localhost' || component.includes('.') || component.includes(':') || component.startsWith('[');
}

/** Parses every input form imgscan accepts. Throws REF_INVALID naming the accepted forms. */
export function parseRef(input: string): SourceRef {
  const trimmed = input.trim();
  if (trimmed === '') throw invalid(input, 'empty');
  if (trimmed.startsWith('oci:')) return parseOci(trimmed.slice(4), input);
  if (trimmed.startsWith('docker-archive:')) {
    const path = trimmed.slice('docker-archive:'.length);
    if (!path) throw invalid(input, 'missing archive path');
    return { kind: 'docker-archive', path };
  }
  if (trimmed.startsWith('docker-daemon:')) return { kind: 'docker-daemon', image: trimmed.slice('docker-daemon:'.length) };
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//.exec(trimmed);
  if (scheme && scheme[1] !== 'docker') throw invalid(input, `unknown scheme "${scheme[1]}://"`);
  const bare = scheme ? trimmed.slice('docker://'.length) : trimmed;
  return parseRegistry(bare, input);
}

function parseOci(rest: string, input: string): OciLayoutRef {
  if (!rest) throw invalid(input, 'missing layout path');
  const colon = rest.lastIndexOf(':');
  if (colon > 0) {
    const tag = rest.slice(colon + 1);
    if (tag && !tag.includes('/')) return { kind: 'oci', path: rest.slice(0, colon), tag, spec: rest };
  }
  return { kind: 'oci', path: rest, tag: undefined, spec: rest };
}

/**
 * Where an `oci:` spec splits into a layout path and a tag, given which directories are layouts: the whole spec
 * when it is one, else the split at the last colon, else at an earlier colon (skopeo splits at the first:
 * `oci:dir:nginx:latest` is the ref name "nginx:latest" of dir). Without any layout, the parsed split stands.
 */
export function splitOciSpec(ref: OciLayoutRef, isLayout: (path: string) => boolean): { path: string; tag: string | undefined } {
  const spec = ref.spec;
  if (isLayout(spec)) return { path: spec, tag: undefined };
  for (let i = spec.lastIndexOf(':'); i > 0; i = spec.lastIndexOf(':', i - 1)) {
    if (i < spec.length - 1 && isLayout(spec.slice(0, i))) return { path: spec.slice(0, i), tag: spec.slice(i + 1) };
  }
  return { path: ref.path, tag: ref.tag };
}

function parseRegistry(bare: string, input: string): RegistryRef {
  let rest = bare;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!isDigest(digest)) throw invalid(input, `bad digest "${digest}"`);
  }
  const parts = rest.split('/');
  let registry = 'docker.io';
  let defaultedRegistry = true;
  if (parts.length > 1 && looksLikeHost(parts[0])) {
    registry = parts.shift()!;
    defaultedRegistry = false;
  } else if (parts.length === 1 && !digest && /^(?:localhost|[^:/]+\.[^:/]+|\[[0-9a-fA-F:]+\])(?::\d+)?$/.test(parts[0])) {
    // A bare host (with optional port) names a whole registry.
    const host = parts[0];
    if (!hostPattern.test(host)) throw invalid(input, `bad registry host "${host}"`);
    return { kind: 'registry', registry: canonicalRegistry(host), path: '', repository: '', tag: undefined, digest: undefined, defaultedTag: false, defaultedRegistry: false };
  }
  if (!hostPattern.test(registry)) throw invalid(input, `bad registry host "${registry}"`);
  registry = canonicalRegistry(registry);
  let tag: string | undefined;
  const last = parts[parts.length - 1];
  const colon = last.indexOf(':');
  if (colon >= 0) {
    tag = last.slice(colon + 1);
    parts[parts.length - 1] = last.slice(0, colon);
    if (!tagPattern.test(tag)) throw invalid(input, `bad tag "${tag}"`);
  }
  const path = parts.join('/');
  if (path === '') {
    if (tag || digest) throw invalid(input, 'a tag or digest needs a repository');
    return { kind: 'registry', registry, path: '', repository: '', tag: undefined, digest: undefined, defaultedTag: false, defaultedRegistry };
  }
  for (const c of parts) if (!componentPattern.test(c)) throw invalid(input, `bad repository component "${c}"`);
  const repository = registry === 'docker.io' && parts.length === 1 ? `library/${path}` : path;
  const defaultedTag = !tag && !digest;
  return { kind: 'registry', registry, path, repository, tag: tag ?? (defaultedTag ? 'latest' : undefined), digest, defaultedTag, defaultedRegistry };
}

function canonicalRegistry(host: string): string {
  return dockerHubAliases.has(host.toLowerCase()) ? 'docker.io' : host.toLowerCase();
}

/** Formats a registry reference the way users type it. */
export function formatRegistryRef(ref: RegistryRef): string {
  let s = ref.repository ? `${ref.registry}/${ref.repository}` : ref.registry;
  if (ref.tag) s += `:${ref.tag}`;
  if (ref.digest) s += `@${ref.digest}`;
  return s;
}

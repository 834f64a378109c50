import type { Readable } from 'node:stream';
import { ImgscanError, type ErrorContext } from '../errors.js';
import type { Descriptor } from '../oci/types.js';
import { registryApiHost } from '../ref/ref.js';
import { Authenticator } from './auth.js';
import { blobSize, fetchBlob, openBlob } from './blobs.js';
import type { ProgressRule } from './body-watch.js';
import { catalog, defaultPageSize } from './catalog.js';
import { fetchConfig } from './config.js';
import { resolveCredential, type Credential, type CredentialSources } from './credentials.js';
import { dockerHubApi, hubRepositories } from './hub.js';
import { fetchManifest, type FetchedManifest } from './manifests.js';
import { convertSchema1, type ConvertedSchema1 } from './schema1.js';
import { tags } from './tags.js';
import { Transport, type TransportOptions } from './transport.js';

export type { Credential, CredentialSources } from './credentials.js';
export type { FetchedManifest } from './manifests.js';
export type { ConvertedSchema1 } from './schema1.js';

export interface RegistryClientOptions extends Omit<TransportOptions, 'registry' | 'baseUrl' | 'auth'> {
  /** Credentials to use as they are; when omitted, `credentials` is searched (see `RegistryClient.create`). */
  credential?: Credential;
  /** Where `RegistryClient.create` looks for credentials (flags, environment, docker config). */
  credentials?: CredentialSources;
  /**
   * "https", except for localhost, 127.0.0.0/8 and [::1] unless given: there HTTPS when the server speaks TLS
   * on the port, else "http" (as docker does). With `insecure` "https" everywhere
   * (without certificate verification), falling back to "http" for a registry that does not answer HTTPS.
   */
  scheme?: 'http' | 'https';
  /** Base URL of Docker Hub's web API, for listing namespaces on docker.io (default https://hub.docker.com). */
  hubApi?: string;
  /** Page size asked of `_catalog`, tag lists and the Hub API (`n`, `page_size`); omitted: server defaults. */
  pageSize?: number;
  /** Idle time after which a blob stream reconnects (default 60 000 ms). */
  idleTimeoutMs?: number;
  /** Least progress of a blob read before it is given up and resumed (default `defaultProgressRule`; false: none). */
  minProgress?: ProgressRule | false;
  /** Pages of one listing (catalog, tag list, Hub namespace) read before it is refused as endless (default 10 000). */
  maxListPages?: number;
}

/** What `/v2/` answered. */
export interface PingResult {
  status: number;
  /** The Docker-Distribution-Api-Version header, e.g. "registry/2.0". */
  apiVersion: string | undefined;
}

function isLoopback(host: string): boolean {
  const name = host.replace(/:\d+$/, '');
  return name === 'localhost' || name === '[::1]' || /^127\./.test(name);
}

/** An OCI distribution client for one registry. Every method's errors are ImgscanErrors without secrets. */
export class RegistryClient {
  /** Canonical registry name, e.g. "docker.io" or "localhost:5000". */
  readonly registry: string;
  private readonly transport: Transport;
  private readonly options: RegistryClientOptions;
  private hubTransport: Transport | undefined;

  /** Resolves credentials (unless given) from flags, environment and docker config, then builds the client. */
  static async create(registry: string, options: RegistryClientOptions = {}): Promise<RegistryClient> {
    const credential = options.credential ?? (await resolveCredential(registry, options.credentials));
    return new RegistryClient(registry, { ...options, credential });
  }

  constructor(registry: string, options: RegistryClientOptions = {}) {
    this.registry = registry;
    this.options = options;
    const host = registryApiHost(registry);
    // A loopback registry named without a scheme starts on plain HTTP and moves to HTTPS if it speaks TLS.
    const loopback = options.scheme === undefined && isLoopback(host) && !options.insecure;
    const scheme = options.scheme ?? (loopback ? 'http' : 'https');
    const baseUrl = `${scheme}://${host}`;
    let transport: Transport | undefined;
    const auth = new Authenticator({
      registry,
      credential: options.credential,
      send: (url, init) => transport!.sendPlain(url, init),
    });
    transport = new Transport({ ...options, registry, baseUrl, auth, tlsFirst: loopback });
    this.transport = transport;
  }

  /** GET /v2/: checks the registry answers the distribution API (401 is returned, not thrown). */
  async ping(): Promise<PingResult> {
    const { response } = await this.transport.fetchBytes({ url: '/v2/', accept: [401] });
    return { status: response.status, apiVersion: response.headers.get('docker-distribution-api-version') ?? undefined };
  }

  /** Every repository through `_catalog`. Docker Hub has none: use `repositories(namespace)` there. */
  catalog(): AsyncGenerator<string> {
    if (this.registry === 'docker.io') {
      throw new ImgscanError('USAGE', 'Docker Hub has no catalog: give a namespace, e.g. docker.io/library');
    }
    return catalog(this.transport, { pageSize: this.options.pageSize ?? defaultPageSize, maxPages: this.options.maxListPages });
  }

  /**
   * Repositories under a namespace (a path prefix). On docker.io through Docker Hub's repository-listing API;
   * elsewhere the catalog filtered to names starting with "namespace/".
   */
  async *repositories(namespace: string): AsyncGenerator<string> {
    if (this.registry === 'docker.io') {
      if (namespace.includes('/')) throw new ImgscanError('USAGE', `Docker Hub namespaces have one component, not "${namespace}"`);
      // Docker Hub's web API is not the registry: `insecure` does not extend to it.
      this.hubTransport ??= new Transport({ ...this.options, insecure: false, registry: 'hub.docker.com', baseUrl: this.options.hubApi ?? dockerHubApi });
      yield* hubRepositories(this.hubTransport, namespace, { pageSize: this.options.pageSize, credential: this.options.credential, maxPages: this.options.maxListPages });
      return;
    }
    const prefix = namespace.replace(/\/+$/, '') + '/';
    for await (const name of this.catalog()) if (name.startsWith(prefix)) yield name;
  }

  /** Every tag of a repository, in the registry's order. */
  tags(repository: string): AsyncGenerator<string> {
    return tags(this.transport, repository, { pageSize: this.options.pageSize, maxPages: this.options.maxListPages });
  }

  /** A manifest or index by tag or digest, verified (see `fetchManifest`). */
  manifest(repository: string, reference: string, context?: ErrorContext): Promise<FetchedManifest> {
    return fetchManifest(this.transport, repository, reference, context);
  }

  /** Converts a fetched schema 1 manifest; layer sizes are asked of the registry with HEAD requests. */
  async convertSchema1(repository: string, fetched: FetchedManifest, context?: ErrorContext): Promise<ConvertedSchema1> {
    if (fetched.document.kind !== 'schema1') throw new ImgscanError('INTERNAL', 'not a schema 1 manifest', { repository, ...context });
    const fsLayers = fetched.document.raw.fsLayers;
    // A malformed fsLayers list is reported by the conversion itself; only well-formed digests are asked for.
    const digests = new Set((Array.isArray(fsLayers) ? (fsLayers as ({ blobSum?: unknown } | null)[]) : []).map((l) => l?.blobSum).filter((d): d is string => typeof d === 'string'));
    const sizes = new Map<string, number>();
    await Promise.all([...digests].filter((d) => /^sha(256|512):[0-9a-f]+$/.test(d)).map(async (d) => sizes.set(d, await blobSize(this.transport, repository, d, context))));
    return convertSchema1(fetched.bytes, (d) => sizes.get(d) ?? -1, { repository, ...context });
  }

  /** A small blob (an image config) read whole and verified. */
  blob(repository: string, desc: Pick<Descriptor, 'digest' | 'size'>, context?: ErrorContext): Promise<Buffer> {
    return fetchBlob(this.transport, repository, desc, context);
  }

  /** An image config read whole and checked against its descriptor (errors name the config, not a layer). */
  config(repository: string, desc: Pick<Descriptor, 'digest' | 'size'>, context?: ErrorContext): Promise<Buffer> {
    return fetchConfig(this.transport, repository, desc, context);
  }

  /**
   * A blob as a stream that verifies digest and size while it is read and resumes dropped connections. With
   * `verifyDigest` false only the size is checked: for a reader that hashes every byte itself.
   */
  openBlob(repository: string, desc: Pick<Descriptor, 'digest' | 'size'>, context?: ErrorContext, verifyDigest = true): Promise<Readable> {
    const { idleTimeoutMs, minProgress, timeLimitMs } = this.options;
    return openBlob(this.transport, repository, desc, { idleTimeoutMs, minProgress, timeoutMs: timeLimitMs, context, verifyDigest });
  }

  /** The size of a blob, from a HEAD request. */
  blobSize(repository: string, digest: string): Promise<number> {
    return blobSize(this.transport, repository, digest);
  }
}

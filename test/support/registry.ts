/**
 * A real CNCF distribution registry (`docker-registry serve`) for tests: filesystem storage in a temp dir, a
 * free loopback port, optional htpasswd (bcrypt) or token auth (with the in-process RS256 token server of
 * token-server.ts), optional TLS with a given certificate (see tls.ts). Images are built with umoci and pushed
 * with skopeo.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Agent } from 'undici';
import type { TokenServer } from './token-server.js';

const run = promisify(execFile);

export interface TestRegistry {
  /** "127.0.0.1:PORT" */
  host: string;
  /** "http://127.0.0.1:PORT", or https:// with `tls`. */
  url: string;
  /** Storage root directory (the registry's own files). */
  root: string;
  stop(): Promise<void>;
}

export interface RegistryOptions {
  htpasswd?: { username: string; password: string };
  token?: TokenServer;
  /** Serve schema 1 (the registry converts and signs schema 2 for clients that accept only schema 1). */
  schema1?: boolean;
  /** Serve HTTPS only, with this certificate and key (PEM files). */
  tls?: { certificate: string; key: string };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

export async function startRegistry(options: RegistryOptions = {}): Promise<TestRegistry> {
  const dir = await mkdtemp(join(tmpdir(), 'imgscan-registry-'));
  const root = join(dir, 'storage');
  const port = await freePort();
  const lines = [
    'version: 0.1',
    'log:',
    '  level: error',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${root}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: 127.0.0.1:${port}`,
  ];
  if (options.tls) lines.push('  tls:', `    certificate: ${options.tls.certificate}`, `    key: ${options.tls.key}`);
  if (options.schema1) lines.push('compatibility:', '  schema1:', '    enabled: true');
  if (options.htpasswd) {
    const file = join(dir, 'htpasswd');
    await run('htpasswd', ['-Bbc', file, options.htpasswd.username, options.htpasswd.password]);
    lines.push('auth:', '  htpasswd:', '    realm: imgscan-test', `    path: ${file}`);
  }
  if (options.token) {
    lines.push(
      'auth:',
      '  token:',
      `    realm: ${options.token.realm}`,
      `    service: ${options.token.service}`,
      `    issuer: ${options.token.issuer}`,
      `    rootcertbundle: ${options.token.certPath}`,
    );
  }
  const config = join(dir, 'config.yml');
  await writeFile(config, lines.join('\n') + '\n');
  const child = spawn('docker-registry', ['serve', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  // A test worker that dies or times out must not leave the registry running.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.once('exit', () => process.removeListener('exit', killOnExit));
  const url = `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  await waitUntilUp(url, child, () => stderr);
  return {
    host: `127.0.0.1:${port}`,
    url,
    root,
    async stop() {
      await stopChild(child);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function waitUntilUp(url: string, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 20_000;
  // The test's own certificate is not one to verify here.
  const dispatcher = url.startsWith('https:') ? new Agent({ connect: { rejectUnauthorized: false } }) : undefined;
  try {
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`docker-registry exited with ${child.exitCode}: ${log()}`);
      try {
        const res = await fetch(`${url}/v2/`, { dispatcher } as RequestInit);
        await res.arrayBuffer();
        if (res.status === 200 || res.status === 401) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    await dispatcher?.close();
  }
  child.kill('SIGKILL');
  throw new Error(`docker-registry did not answer at ${url}: ${log()}`);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

export interface LayoutImage {
  /** Files to add, each as its own layer: [source path on this machine, path in the image]. */
  files: [string, string][];
  architecture?: string;
  os?: string;
  variant?: string;
  created?: string;
}

/** Builds an OCI layout image with umoci (one layer per inserted file); returns the "oci:DIR:TAG" reference. */
export async function buildLayout(dir: string, tag: string, image: LayoutImage): Promise<string> {
  await run('umoci', ['init', '--layout', dir]).catch(() => undefined);
  await run('umoci', ['new', '--image', `${dir}:${tag}`]);
  for (const [src, dst] of image.files) await run('umoci', ['insert', '--image', `${dir}:${tag}`, src, dst]);
  const config = ['config', '--image', `${dir}:${tag}`, '--architecture', image.architecture ?? 'amd64', '--os', image.os ?? 'linux'];
  if (image.created) config.push('--created', image.created);
  await run('umoci', config);
  return `oci:${dir}:${tag}`;
}

export interface PushOptions {
  format?: 'oci' | 'v2s2';
  compress?: 'gzip' | 'zstd';
  creds?: { username: string; password: string };
}

/** Copies an image reference (oci:..., docker://...) to `docker://HOST/REPO:TAG` with skopeo. */
export async function push(source: string, dest: string, options: PushOptions = {}): Promise<void> {
  const args = ['copy', '-q', '--src-tls-verify=false', '--dest-tls-verify=false'];
  if (options.format === 'v2s2') args.push('--format', 'v2s2');
  if (options.format === 'oci') args.push('--format', 'oci');
  if (options.compress) {
    // skopeo reuses blobs it remembers under another compression unless its cache is empty.
    await rm('/var/lib/containers/cache/blob-info-cache-v1.boltdb', { force: true });
    args.push('--dest-compress-format', options.compress);
  }
  if (options.creds) args.push('--dest-creds', `${options.creds.username}:${options.creds.password}`);
  args.push(source, `docker://${dest}`);
  await run('skopeo', args, { maxBuffer: 1 << 24 });
}

/** The exact manifest bytes as skopeo sees them (an independent client). */
export async function inspectRaw(ref: string, creds?: { username: string; password: string }): Promise<Buffer> {
  const args = ['inspect', '--raw', '--tls-verify=false'];
  if (creds) args.push('--creds', `${creds.username}:${creds.password}`);
  args.push(`docker://${ref}`);
  const { stdout } = await run('skopeo', args, { encoding: 'buffer', maxBuffer: 1 << 24 });
  return stdout;
}

/** The tags skopeo lists for a repository. */
export async function listTags(ref: string): Promise<string[]> {
  const { stdout } = await run('skopeo', ['list-tags', '--tls-verify=false', `docker://${ref}`]);
  return (JSON.parse(stdout) as { Tags: string[] }).Tags;
}

/** sha256sum of a file, as "sha256:HEX". */
export async function sha256sum(path: string): Promise<string> {
  const { stdout } = await run('sha256sum', [path]);
  return `sha256:${stdout.split(' ')[0]}`;
}

/** A blob's path in the registry's own storage. */
export function blobPath(registry: TestRegistry, digest: string): string {
  const hex = digest.slice('sha256:'.length);
  return join(registry.root, 'docker/registry/v2/blobs/sha256', hex.slice(0, 2), hex, 'data');
}

/** Repository names as the registry's storage holds them (directories with a _manifests folder). */
export async function storedRepositories(registry: TestRegistry): Promise<string[]> {
  const { stdout } = await run('find', [join(registry.root, 'docker/registry/v2/repositories'), '-type', 'd', '-name', '_manifests']);
  const base = join(registry.root, 'docker/registry/v2/repositories') + '/';
  return stdout
    .split('\n')
    .filter(Boolean)
    .map((p) => p.slice(base.length, -'/_manifests'.length))
    .sort();
}

/** PUTs a document as a manifest (for indexes assembled by hand). */
export async function putManifest(registry: TestRegistry, repository: string, reference: string, body: Buffer, mediaType: string): Promise<Response> {
  const res = await fetch(`${registry.url}/v2/${repository}/manifests/${reference}`, { method: 'PUT', body: new Uint8Array(body), headers: { 'content-type': mediaType } });
  await res.arrayBuffer();
  if (!res.ok) throw new Error(`PUT manifest answered ${res.status}`);
  return res;
}

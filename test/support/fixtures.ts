/**
 * Real container images for tests, built with umoci, skopeo and GNU tar from files of Debian packages
 * (`apt-get download`, cached in FIXTURE_CACHE) or, when apt cannot fetch them, from files of this machine.
 * Every digest in the returned objects is read back from the written layout files, never typed in.
 *
 * Layouts (all under workDir):
 *   main/        OCI layout, gzip layers. Tags `base` (L0), `app1` (L0, L1, L2), `app2` (L0, L1').
 *                L0 and the L1s are umoci repacks; L2 is a GNU-format tar added verbatim (`umoci raw add-layer`).
 *   zstd/        `app1` with every layer recompressed to zstd by skopeo.
 *   plain/       `app1` with uncompressed layers (media type ...layer.v1.tar).
 *   mixed/       `mixed`: app1's config with L0 gzip, L1 zstd, L2 uncompressed.
 *   multi/       `multi`: an image index (blob) with a linux/amd64 and a linux/arm64 manifest of different content.
 *   multi-flat/  the same two manifests listed directly in index.json with their platforms and no ref names.
 *   archives/app1.docker.tar      `skopeo copy ... docker-archive:`: classic manifest.json + repositories form.
 *   archives/app1.docker-oci.tar  the `docker save` form of Docker 25+: an OCI layout plus manifest.json and
 *                                 repositories in one tar (assembled with tar from the plain layout; skopeo
 *                                 cannot write it).
 * What is where is listed in FIXTURE_PATHS.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, link, mkdir, mkdtemp, readdir, readFile, rename, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { run, runText } from './exec.js';

/** Downloaded .deb files are kept here between runs. */
export const FIXTURE_CACHE = join(tmpdir(), 'imgscan-fixture-cache');
/** skopeo reuses blobs it remembers under another compression unless this cache is gone. */
const BLOB_INFO_CACHE = '/var/lib/containers/cache/blob-info-cache-v1.boltdb';
/** Debian 12 packages whose files make up the images: base gets tzdata + sed, app1 hello, app2 gzip, arm64 grep. */
export const FIXTURE_PACKAGES = ['tzdata', 'sed', 'hello', 'gzip', 'grep'] as const;
export type FixturePackage = (typeof FIXTURE_PACKAGES)[number];

const long100 = `opt/fixture/long/${'a'.repeat(60)}/${'b'.repeat(40)}.txt`;
const long255 = `opt/fixture/long/${'c'.repeat(100)}/${'d'.repeat(100)}/${'e'.repeat(60)}.txt`;
const gnuLong = `opt/fixture/gnu-long/${'g'.repeat(120)}.txt`;

/** Paths (normalized: no leading "/" or "./", no trailing "/") of the special entries and where they live. */
export const FIXTURE_PATHS = {
  /** L0: 64 KiB of pseudo-random bytes; copied to app1 L1 and app2 L1 (cross-layer and cross-image duplicate). */
  payload: 'opt/fixture/payload.bin',
  payloadCopyApp1: 'opt/app1/payload-copy.bin',
  payloadCopyApp2: 'opt/app2/payload-copy.bin',
  /** L0: three paths, one content (duplicates inside one layer); app1 L2's first twice.txt has it too. */
  dups: ['opt/fixture/dup-1', 'opt/fixture/dup-2', 'opt/fixture/sub/dup-3'],
  /** L0: a file and a hardlink to it (its link target is hardlinkTarget). */
  hardlinkTarget: 'opt/fixture/hard-a',
  hardlink: 'opt/fixture/hard-b',
  /** L0: a symlink whose target is stored as `symlinkTarget`. */
  symlink: 'opt/fixture/symlink',
  symlinkTarget: 'hard-a',
  /** L0: a file of 0 bytes. */
  empty: 'opt/fixture/empty',
  /** L0: paths longer than 100 and 255 bytes (PAX headers, written by umoci). */
  long100,
  long255,
  /** L0 writes it, app1 L1 writes it again with the same bytes (same path re-written in a higher layer). */
  rewritten: 'etc/fixture.conf',
  /** L0 has it; app1 L1 deletes it: the whiteout entry. */
  deleted: 'opt/fixture/delete-me',
  whiteout: 'opt/fixture/.wh.delete-me',
  /** L0 fills the directory; app1 L2 replaces it: the opaque entry and the only file left. */
  opaqueDir: 'opt/fixture/replace-me',
  opaque: 'opt/fixture/replace-me/.wh..wh..opq',
  opaqueOld: ['opt/fixture/replace-me/old-1', 'opt/fixture/replace-me/old-2'],
  opaqueNew: 'opt/fixture/replace-me/new-1',
  /** app1 L2: a path longer than 100 bytes in a GNU tar (GNU long-name header). */
  gnuLong,
  /** app1 L2: the same path twice in one layer, first with the dups' content, then other bytes. */
  twice: 'opt/fixture/twice.txt',
  /** app1 L2: a fifo, and (when built as root) the character device 1,3. */
  fifo: 'opt/fixture/fifo',
  charDevice: 'opt/fixture/null',
  /** multi: a text file saying the platform, e.g. "linux/arm64\n". */
  platform: 'etc/platform',
} as const;

export type ImageName = 'base' | 'app1' | 'app2' | 'app1Zstd' | 'app1Plain' | 'mixed' | 'amd64' | 'arm64';

export interface FixtureLayer {
  digest: string;
  mediaType: string;
  size: number;
  /** From the config's rootfs.diff_ids at the same position. */
  diffId: string;
  /** Absolute path of the blob file. */
  blob: string;
}

export interface FixtureImage {
  name: ImageName;
  layout: string;
  /** The ref name in index.json that reaches the image (the index's tag for multi; null in multi-flat). */
  tag: string | null;
  manifestDigest: string;
  manifestMediaType: string;
  configDigest: string;
  /** Layer digests in manifest order (0 = base). */
  layers: string[];
  diffIds: string[];
  layerDescriptors: FixtureLayer[];
  os: string;
  architecture: string;
  /** The index the image was selected from, for the multi-platform images. */
  indexDigest: string | null;
}

export interface FixtureLayout {
  path: string;
  /** Ref names in index.json. */
  tags: string[];
}

export interface FixtureArchive {
  path: string;
  /** "docker-archive:PATH". */
  ref: string;
  repoTags: string[];
  configDigest: string;
  /** Member paths of the layer tars, in order. */
  layerFiles: string[];
  /** sha256 of each (uncompressed) layer tar: the digests imgscan gives these layers. */
  diffIds: string[];
  /** True for the Docker 25+ form that also holds an OCI layout. */
  ociLayout: boolean;
  /** The OCI manifest digest inside, for the form that has one. */
  manifestDigest: string | null;
}

export interface Fixtures {
  workDir: string;
  /** Where the file content came from; 'machine' means apt could not fetch the packages. */
  content: 'debian' | 'machine';
  /** Package name to the .deb used (or the machine source). */
  packages: Record<FixturePackage, string>;
  /** True when the character device entry was written (needs root). */
  charDevice: boolean;
  layouts: { main: FixtureLayout; zstd: FixtureLayout; plain: FixtureLayout; mixed: FixtureLayout; multi: FixtureLayout; multiFlat: FixtureLayout };
  archives: { classic: FixtureArchive; ociInside: FixtureArchive };
  images: Record<ImageName, FixtureImage>;
  multiIndex: { layout: string; tag: string; digest: string; manifests: { digest: string; architecture: string }[] };
}

const CREATED = '2024-01-02T03:04:05Z';
const FIXED_TIME = new Date('2024-01-02T03:04:05Z');
const asRoot = process.getuid?.() === 0;
const rootless = asRoot ? [] : ['--rootless'];

// ---------------------------------------------------------------------------------------------------------------
// Content: Debian packages, cached; machine files as the fallback.

async function cachedDeb(pkg: string): Promise<string | undefined> {
  const dir = join(FIXTURE_CACHE, 'debs');
  const names = existsSync(dir) ? (await readdir(dir)).filter((n) => n.startsWith(`${pkg}_`) && n.endsWith('.deb')) : [];
  return names.length ? join(dir, names.sort().at(-1)!) : undefined;
}

/** Fetches the packages not cached yet; a download goes to a private directory and is renamed into place. */
async function fetchDebs(pkgs: readonly string[]): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  const missing: string[] = [];
  for (const p of pkgs) {
    const deb = await cachedDeb(p);
    if (deb) found.set(p, deb);
    else missing.push(p);
  }
  if (missing.length === 0) return found;
  await mkdir(join(FIXTURE_CACHE, 'debs'), { recursive: true });
  const scratch = await mkdtemp(join(FIXTURE_CACHE, 'download-'));
  try {
    for (const p of missing) {
      try {
        await run('apt-get', ['download', '-q', p], { cwd: scratch, timeoutMs: 180_000 });
      } catch (err) {
        console.warn(`imgscan fixtures: apt-get download ${p} failed: ${(err as Error).message}`);
      }
    }
    for (const name of await readdir(scratch)) {
      if (name.endsWith('.deb')) await rename(join(scratch, name), join(FIXTURE_CACHE, 'debs', name));
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  for (const p of missing) {
    const deb = await cachedDeb(p);
    if (deb) found.set(p, deb);
  }
  return found;
}

/** Files this machine has for a package (`dpkg -L`), else a few files of /etc: regular files and symlinks up to 2 MB. */
async function machineFiles(pkg: string, dest: string): Promise<string> {
  let listed: string[] = [];
  try {
    listed = (await runText('dpkg', ['-L', pkg])).split('\n').filter(Boolean);
  } catch {
    listed = [];
  }
  const source = listed.length ? `dpkg -L ${pkg}` : '/etc files';
  if (!listed.length) listed = ['/etc/hostname', '/etc/hosts', '/etc/passwd', '/etc/group', '/etc/os-release', '/etc/debian_version', '/etc/shells'];
  const keep: string[] = [];
  for (const p of listed) {
    const s = await stat(p).catch(() => undefined);
    if (s && (s.isFile() ? s.size <= 2 << 20 : false)) keep.push(p.slice(1));
  }
  const list = join(dest, '..', `${pkg}.list`);
  await writeFile(list, keep.join('\n') + '\n');
  const tarball = join(dest, '..', `${pkg}.tar`);
  await run('tar', ['--no-recursion', '-C', '/', '-cf', tarball, '-T', list]);
  await mkdir(dest, { recursive: true });
  await run('tar', ['-xf', tarball, '-C', dest]);
  await rm(tarball);
  return source;
}

export async function prepareContent(dir: string): Promise<{ roots: Record<FixturePackage, string>; packages: Record<FixturePackage, string>; content: 'debian' | 'machine' }> {
  const debs = await fetchDebs(FIXTURE_PACKAGES);
  const roots = {} as Record<FixturePackage, string>;
  const packages = {} as Record<FixturePackage, string>;
  let content: 'debian' | 'machine' = 'debian';
  for (const pkg of FIXTURE_PACKAGES) {
    const root = join(dir, pkg);
    roots[pkg] = root;
    await mkdir(root, { recursive: true });
    const deb = debs.get(pkg);
    if (deb) {
      await run('dpkg-deb', ['-x', deb, root]);
      packages[pkg] = deb;
    } else {
      content = 'machine';
      console.warn(
        `\n!!! imgscan fixtures: could not get the Debian package "${pkg}" with apt-get download;` +
          ` the images use files of this machine instead (run apt-get update?).\n`,
      );
      packages[pkg] = `machine: ${await machineFiles(pkg, root)}`;
    }
  }
  return { roots, packages, content };
}

// ---------------------------------------------------------------------------------------------------------------
// Building images.

function sha256(bytes: Buffer | string): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** 64 KiB that compress badly: a sha256 chain. */
function payloadBytes(): Buffer {
  const out: Buffer[] = [];
  let h = Buffer.from('imgscan fixture payload');
  for (let i = 0; i < 2048; i++) out.push((h = createHash('sha256').update(h).digest()));
  return Buffer.concat(out);
}
const DUP_CONTENT = 'duplicated content\n'.repeat(200);
const CONF_CONTENT = '# imgscan fixture configuration\nkey = value\n';

async function put(root: string, path: string, content: string | Buffer): Promise<void> {
  await mkdir(dirname(join(root, path)), { recursive: true });
  await writeFile(join(root, path), content);
}

async function copyTree(from: string, to: string): Promise<void> {
  await run('cp', ['-a', `${from}/.`, to]);
}

async function newImage(layout: string, tag: string, architecture: string): Promise<void> {
  await run('umoci', ['new', '--image', `${layout}:${tag}`]);
  await run('umoci', [
    'config', '--image', `${layout}:${tag}`, '--no-history', '--os', 'linux', '--architecture', architecture,
    '--author', 'imgscan fixtures', '--created', CREATED, '--config.cmd', '/bin/sh',
  ]);
}

/** Unpacks `from`, lets `edit` change the root filesystem, and repacks the difference as one layer under `to`. */
async function repackLayer(layout: string, from: string, to: string, bundle: string, edit: (rootfs: string) => Promise<void>): Promise<void> {
  await run('umoci', ['unpack', ...rootless, '--image', `${layout}:${from}`, bundle]);
  await edit(join(bundle, 'rootfs'));
  await run('umoci', ['repack', '--image', `${layout}:${to}`, bundle]);
  await rm(bundle, { recursive: true, force: true });
}

async function baseFiles(rootfs: string, pkgs: Record<FixturePackage, string>): Promise<void> {
  await copyTree(pkgs.tzdata, rootfs);
  await copyTree(pkgs.sed, rootfs);
  const P = FIXTURE_PATHS;
  await put(rootfs, P.payload, payloadBytes());
  for (const d of P.dups) await put(rootfs, d, DUP_CONTENT);
  await put(rootfs, P.hardlinkTarget, 'hardlinked content\n');
  await link(join(rootfs, P.hardlinkTarget), join(rootfs, P.hardlink));
  await symlink(P.symlinkTarget, join(rootfs, P.symlink));
  await put(rootfs, P.empty, '');
  await put(rootfs, P.long100, 'a path longer than 100 bytes\n');
  await put(rootfs, P.long255, 'a path longer than 255 bytes\n');
  await put(rootfs, P.rewritten, CONF_CONTENT);
  await put(rootfs, P.deleted, 'deleted in app1\n');
  for (const p of P.opaqueOld) await put(rootfs, p, `${p} is hidden by an opaque whiteout in app1\n`);
}

/** app1's third layer, written by GNU tar in GNU format: opaque whiteout, GNU long name, a path twice, fifo, device. */
async function gnuLayer(scratch: string): Promise<{ tar: string; charDevice: boolean }> {
  const P = FIXTURE_PATHS;
  const dir = join(scratch, 'gnu-layer');
  await put(dir, P.opaque, '');
  await put(dir, P.opaqueNew, 'the only file left in replace-me\n');
  await put(dir, P.gnuLong, 'a GNU long name\n');
  await put(dir, P.twice, DUP_CONTENT);
  await run('mkfifo', [join(dir, P.fifo)]);
  let charDevice = false;
  if (asRoot) {
    try {
      await run('mknod', [join(dir, P.charDevice), 'c', '1', '3']);
      charDevice = true;
    } catch (err) {
      console.warn(`imgscan fixtures: no character device entry: ${(err as Error).message}`);
    }
  }
  const tar = join(scratch, 'gnu-layer.tar');
  const common = ['--format=gnu', '--owner=0', '--group=0', '--numeric-owner', `--mtime=${CREATED}`, '-C', dir];
  await run('tar', ['-cf', tar, '--sort=name', ...common, 'opt']);
  await writeFile(join(dir, P.twice), 'second version of twice.txt, later in the same layer\n');
  await run('tar', ['-rf', tar, ...common, P.twice]);
  return { tar, charDevice };
}

async function buildMain(layout: string, scratch: string, pkgs: Record<FixturePackage, string>): Promise<boolean> {
  const P = FIXTURE_PATHS;
  await run('umoci', ['init', '--layout', layout]);
  await newImage(layout, 'base', 'amd64');
  await repackLayer(layout, 'base', 'base', join(scratch, 'b0'), (r) => baseFiles(r, pkgs));
  await repackLayer(layout, 'base', 'app1', join(scratch, 'b1'), async (r) => {
    await copyTree(pkgs.hello, r);
    await writeFile(join(r, P.rewritten), CONF_CONTENT);
    await utimes(join(r, P.rewritten), FIXED_TIME, FIXED_TIME); // a new mtime makes umoci write it again
    await put(r, P.payloadCopyApp1, payloadBytes());
    await rm(join(r, P.deleted));
  });
  const gnu = await gnuLayer(scratch);
  await run('umoci', ['raw', 'add-layer', '--image', `${layout}:app1`, gnu.tar]);
  await repackLayer(layout, 'base', 'app2', join(scratch, 'b2'), async (r) => {
    await copyTree(pkgs.gzip, r);
    await put(r, P.payloadCopyApp2, payloadBytes());
  });
  await run('umoci', ['gc', '--layout', layout]);
  return gnu.charDevice;
}

async function skopeoCopy(args: string[]): Promise<void> {
  await rm(BLOB_INFO_CACHE, { force: true });
  await run('skopeo', ['copy', '-q', ...args]);
}

async function buildMulti(multi: string, flat: string, scratch: string, pkgs: Record<FixturePackage, string>): Promise<void> {
  await run('umoci', ['init', '--layout', multi]);
  for (const [arch, pkg] of [['amd64', pkgs.hello], ['arm64', pkgs.grep]] as const) {
    await newImage(multi, arch, arch);
    await repackLayer(multi, arch, arch, join(scratch, `m-${arch}`), async (r) => {
      await copyTree(pkg, r);
      await put(r, FIXTURE_PATHS.platform, `linux/${arch}\n`);
    });
  }
  await run('umoci', ['gc', '--layout', multi]);
  const top = await readIndex(multi);
  const manifests = top.manifests.map((d) => {
    const arch = d.annotations?.[REF_NAME]!;
    return { mediaType: d.mediaType, digest: d.digest, size: d.size, platform: { architecture: arch, os: 'linux' } };
  });
  manifests.sort((a, b) => a.platform.architecture.localeCompare(b.platform.architecture));
  const index = { schemaVersion: 2, mediaType: INDEX_TYPE, manifests };
  const desc = await writeBlob(multi, Buffer.from(JSON.stringify(index)));
  await writeIndex(multi, [{ mediaType: INDEX_TYPE, ...desc, annotations: { [REF_NAME]: 'multi' } }]);
  await run('cp', ['-a', multi, flat]);
  await rm(blobFile(flat, desc.digest));
  await writeIndex(flat, manifests);
}

/** app1's config with L0 from main (gzip), L1 from zstd, L2 from plain. */
async function buildMixed(dir: string, main: FixtureImage, zstd: FixtureImage, plain: FixtureImage): Promise<void> {
  await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
  await writeFile(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  const picks = [main.layerDescriptors[0]!, zstd.layerDescriptors[1]!, plain.layerDescriptors[2]!];
  for (const l of picks) await copyFile(l.blob, blobFile(dir, l.digest));
  await copyFile(blobFile(main.layout, main.configDigest), blobFile(dir, main.configDigest));
  const manifest = JSON.parse((await readFile(blobFile(main.layout, main.manifestDigest))).toString('utf8')) as Manifest;
  manifest.layers = picks.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size }));
  const desc = await writeBlob(dir, Buffer.from(JSON.stringify(manifest)));
  await writeIndex(dir, [{ mediaType: MANIFEST_TYPE, ...desc, annotations: { [REF_NAME]: 'mixed' } }]);
}

/** A `docker save` of Docker 25+: the plain layout's blobs with index.json, oci-layout, manifest.json, repositories. */
async function buildOciArchive(out: string, plain: FixtureImage, scratch: string): Promise<void> {
  const stage = join(scratch, 'docker-oci');
  await mkdir(join(stage, 'blobs', 'sha256'), { recursive: true });
  for (const d of [plain.manifestDigest, plain.configDigest, ...plain.layers]) await copyFile(blobFile(plain.layout, d), blobFile(stage, d));
  await writeFile(join(stage, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  const size = (await stat(blobFile(stage, plain.manifestDigest))).size;
  const annotations = { 'io.containerd.image.name': 'docker.io/imgscan/app1:latest', [REF_NAME]: 'latest' };
  await writeIndex(stage, [{ mediaType: MANIFEST_TYPE, digest: plain.manifestDigest, size, annotations }]);
  const hexPath = (d: string) => `blobs/sha256/${d.slice('sha256:'.length)}`;
  await writeFile(join(stage, 'manifest.json'), JSON.stringify([{ Config: hexPath(plain.configDigest), RepoTags: ['imgscan/app1:latest'], Layers: plain.layers.map(hexPath) }]));
  await writeFile(join(stage, 'repositories'), JSON.stringify({ 'imgscan/app1': { latest: plain.layers.at(-1)!.slice('sha256:'.length) } }));
  await run('tar', ['-cf', out, '--owner=0', '--group=0', '--numeric-owner', '--sort=name', '-C', stage, 'blobs', 'index.json', 'manifest.json', 'oci-layout', 'repositories']);
}

/** Builds every fixture under workDir (which is emptied first). */
export async function buildFixtures(workDir: string): Promise<Fixtures> {
  await rm(workDir, { recursive: true, force: true });
  await mkdir(workDir, { recursive: true });
  const scratch = join(workDir, 'scratch');
  await mkdir(scratch);
  const { roots, packages, content } = await prepareContent(join(scratch, 'content'));
  const dir = (n: string) => join(workDir, n);

  const charDevice = await buildMain(dir('main'), scratch, roots);
  await skopeoCopy(['--dest-compress-format', 'zstd', `oci:${dir('main')}:app1`, `oci:${dir('zstd')}:app1`]);
  await skopeoCopy(['--dest-decompress', `oci:${dir('main')}:app1`, `dir:${join(scratch, 'plain-dir')}`]);
  await skopeoCopy(['--dest-oci-accept-uncompressed-layers', `dir:${join(scratch, 'plain-dir')}`, `oci:${dir('plain')}:app1`]);
  await buildMulti(dir('multi'), dir('multi-flat'), scratch, roots);

  const images = {} as Record<ImageName, FixtureImage>;
  for (const t of ['base', 'app1', 'app2'] as const) images[t] = await readImage(t, dir('main'), t);
  images.app1Zstd = await readImage('app1Zstd', dir('zstd'), 'app1');
  images.app1Plain = await readImage('app1Plain', dir('plain'), 'app1');
  await buildMixed(dir('mixed'), images.app1, images.app1Zstd, images.app1Plain);
  images.mixed = await readImage('mixed', dir('mixed'), 'mixed');
  const multiTop = (await readIndex(dir('multi'))).manifests[0]!;
  const nested = await readJson<Index>(blobFile(dir('multi'), multiTop.digest));
  for (const d of nested.manifests) {
    const arch = d.platform!.architecture as 'amd64' | 'arm64';
    images[arch] = await readImage(arch, dir('multi'), 'multi', d, multiTop.digest);
  }

  await mkdir(dir('archives'));
  const classic = join(dir('archives'), 'app1.docker.tar');
  await skopeoCopy([`oci:${dir('main')}:app1`, `docker-archive:${classic}:imgscan/app1:latest`]);
  const ociInside = join(dir('archives'), 'app1.docker-oci.tar');
  await buildOciArchive(ociInside, images.app1Plain, scratch);

  await rm(scratch, { recursive: true, force: true });
  const layout = async (n: string): Promise<FixtureLayout> => ({
    path: dir(n),
    tags: (await readIndex(dir(n))).manifests.map((d) => d.annotations?.[REF_NAME]).filter((t): t is string => !!t),
  });
  return {
    workDir,
    content,
    packages,
    charDevice,
    layouts: {
      main: await layout('main'), zstd: await layout('zstd'), plain: await layout('plain'),
      mixed: await layout('mixed'), multi: await layout('multi'), multiFlat: await layout('multi-flat'),
    },
    archives: { classic: await readArchive(classic), ociInside: await readArchive(ociInside) },
    images,
    multiIndex: {
      layout: dir('multi'),
      tag: 'multi',
      digest: multiTop.digest,
      manifests: nested.manifests.map((d) => ({ digest: d.digest, architecture: d.platform!.architecture })),
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Reading layouts and archives back.

const REF_NAME = 'org.opencontainers.image.ref.name';
const INDEX_TYPE = 'application/vnd.oci.image.index.v1+json';
const MANIFEST_TYPE = 'application/vnd.oci.image.manifest.v1+json';

interface Desc {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: { architecture: string; os: string };
}
interface Index {
  schemaVersion: number;
  mediaType?: string;
  manifests: Desc[];
}
interface Manifest {
  schemaVersion: number;
  mediaType?: string;
  config: Desc;
  layers: Desc[];
}
interface Config {
  os: string;
  architecture: string;
  rootfs: { type: string; diff_ids: string[] };
}

export function blobFile(layout: string, digest: string): string {
  const [alg, hex] = digest.split(':');
  return join(layout, 'blobs', alg!, hex!);
}

async function readJson<T>(path: string): Promise<T> {
  return JSON.parse((await readFile(path)).toString('utf8')) as T;
}

async function readIndex(layout: string): Promise<Index> {
  return readJson<Index>(join(layout, 'index.json'));
}

async function writeIndex(layout: string, manifests: Desc[]): Promise<void> {
  await writeFile(join(layout, 'index.json'), JSON.stringify({ schemaVersion: 2, mediaType: INDEX_TYPE, manifests }));
}

async function writeBlob(layout: string, bytes: Buffer): Promise<{ digest: string; size: number }> {
  const digest = sha256(bytes);
  await writeFile(blobFile(layout, digest), bytes);
  return { digest, size: bytes.length };
}

/** An image of a layout, reached by tag (or by a descriptor inside the index that tag names). */
export async function readImage(name: ImageName, layout: string, tag: string | null, desc?: Desc, indexDigest?: string): Promise<FixtureImage> {
  const entry = desc ?? (await readIndex(layout)).manifests.find((d) => d.annotations?.[REF_NAME] === tag);
  if (!entry) throw new Error(`${layout} has no tag ${tag}`);
  const manifest = await readJson<Manifest>(blobFile(layout, entry.digest));
  const config = await readJson<Config>(blobFile(layout, manifest.config.digest));
  const diffIds = config.rootfs.diff_ids;
  return {
    name,
    layout,
    tag,
    manifestDigest: entry.digest,
    manifestMediaType: manifest.mediaType ?? entry.mediaType,
    configDigest: manifest.config.digest,
    layers: manifest.layers.map((l) => l.digest),
    diffIds,
    layerDescriptors: manifest.layers.map((l, i) => ({ digest: l.digest, mediaType: l.mediaType, size: l.size, diffId: diffIds[i]!, blob: blobFile(layout, l.digest) })),
    os: config.os,
    architecture: config.architecture,
    indexDigest: indexDigest ?? null,
  };
}

async function readArchive(path: string): Promise<FixtureArchive> {
  const members = (await runText('tar', ['-tf', path])).split('\n');
  const entries = JSON.parse(await runText('tar', ['-xOf', path, 'manifest.json'])) as { Config: string; RepoTags: string[]; Layers: string[] }[];
  const e = entries[0]!;
  const configBytes = (await run('tar', ['-xOf', path, e.Config])).stdout;
  const config = JSON.parse(configBytes.toString('utf8')) as Config;
  const ociLayout = members.includes('oci-layout');
  const index = ociLayout ? (JSON.parse(await runText('tar', ['-xOf', path, 'index.json'])) as Index) : null;
  return {
    path,
    ref: `docker-archive:${path}`,
    repoTags: e.RepoTags,
    configDigest: sha256(configBytes),
    layerFiles: e.Layers,
    diffIds: config.rootfs.diff_ids,
    ociLayout,
    manifestDigest: index?.manifests[0]?.digest ?? null,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Broken copies of app1, each broken at layer 1 (L0 before it is intact, L2 after it).

export type BadCase = 'truncated-gzip' | 'corrupt-tar-header' | 'digest-mismatch' | 'diffid-mismatch' | 'missing-blob';
export const BAD_CASES: readonly BadCase[] = ['truncated-gzip', 'corrupt-tar-header', 'digest-mismatch', 'diffid-mismatch', 'missing-blob'];

export interface BadFixture {
  case: BadCase;
  layout: string;
  /** "oci:LAYOUT:app1". */
  ref: string;
  tag: 'app1';
  manifestDigest: string;
  configDigest: string;
  layers: string[];
  /** The broken layer's digest as the manifest names it, and its position. */
  badLayer: string;
  badPosition: number;
  /** Intact layers before and after the broken one (digests as in the manifest). */
  goodBefore: string[];
  goodAfter: string[];
  /** The error code of src/errors.ts a scan should report for the broken layer. */
  expectedCode: 'DECOMPRESS_FAILED' | 'TAR_INVALID' | 'DIGEST_MISMATCH' | 'DIFFID_MISMATCH' | 'BLOB_MISSING';
  /** corrupt-tar-header: entries of the layer before the damaged header (they can be read). */
  entriesBeforeDamage?: number;
}

const BAD_POSITION = 1;

/** Offsets of the headers in a tar that start an entry (not extended headers), with whether one precedes them. */
function entryHeaders(tar: Buffer): { offset: number; extended: boolean }[] {
  const out: { offset: number; extended: boolean }[] = [];
  let at = 0;
  let extended = false;
  while (at + 512 <= tar.length && tar[at] !== 0) {
    const size = parseInt(tar.subarray(at + 124, at + 136).toString('latin1').replace(/\0.*$/s, '').trim() || '0', 8);
    const flag = String.fromCharCode(tar[at + 156]!);
    if ('xgLK'.includes(flag)) extended = true;
    else {
      out.push({ offset: at, extended });
      extended = false;
    }
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}

/** Writes a copy of `image` into `dir` with the given layer blob, diff_id and config changes; returns new digests. */
async function writeVariant(image: FixtureImage, dir: string, change: { blob?: Buffer; diffId?: string }): Promise<{ manifestDigest: string; configDigest: string; layers: string[] }> {
  await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
  await writeFile(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  const manifest = await readJson<Manifest>(blobFile(image.layout, image.manifestDigest));
  const configBytes = await readFile(blobFile(image.layout, image.configDigest));
  for (const [i, l] of manifest.layers.entries()) if (i !== BAD_POSITION || !change.blob) await copyFile(blobFile(image.layout, l.digest), blobFile(dir, l.digest));
  if (change.blob) {
    const d = await writeBlob(dir, change.blob);
    manifest.layers[BAD_POSITION] = { ...manifest.layers[BAD_POSITION]!, ...d };
  }
  let cfg = configBytes;
  if (change.diffId) {
    const config = JSON.parse(configBytes.toString('utf8')) as Config;
    config.rootfs.diff_ids[BAD_POSITION] = change.diffId;
    cfg = Buffer.from(JSON.stringify(config));
  }
  manifest.config = { ...manifest.config, ...(await writeBlob(dir, cfg)) };
  const m = await writeBlob(dir, Buffer.from(JSON.stringify(manifest)));
  await writeIndex(dir, [{ mediaType: MANIFEST_TYPE, ...m, annotations: { [REF_NAME]: 'app1' } }]);
  return { manifestDigest: m.digest, configDigest: manifest.config.digest, layers: manifest.layers.map((l) => l.digest) };
}

async function badCase(kind: BadCase, app1: FixtureImage, dir: string): Promise<BadFixture> {
  const original = await readFile(app1.layerDescriptors[BAD_POSITION]!.blob);
  let written: Awaited<ReturnType<typeof writeVariant>>;
  let entriesBeforeDamage: number | undefined;
  let expectedCode: BadFixture['expectedCode'];
  switch (kind) {
    case 'truncated-gzip':
      written = await writeVariant(app1, dir, { blob: original.subarray(0, Math.floor(original.length / 2)) });
      expectedCode = 'DECOMPRESS_FAILED';
      break;
    case 'corrupt-tar-header': {
      const tar = gunzipSync(original);
      const headers = entryHeaders(tar).filter((h) => !h.extended);
      const victim = headers[Math.floor(headers.length / 2)]!;
      entriesBeforeDamage = entryHeaders(tar).findIndex((h) => h.offset === victim.offset);
      tar.write('0000000\0', victim.offset + 148, 'latin1'); // a checksum no header has
      written = await writeVariant(app1, dir, { blob: gzipSync(tar), diffId: sha256(tar) });
      expectedCode = 'TAR_INVALID';
      break;
    }
    case 'digest-mismatch': {
      written = await writeVariant(app1, dir, {});
      const bytes = Buffer.from(original);
      for (let i = 4; i < 8; i++) bytes[i] = bytes[i]! ^ 0xff; // gzip MTIME: same size, still decompresses the same
      await writeFile(blobFile(dir, app1.layers[BAD_POSITION]!), bytes);
      expectedCode = 'DIGEST_MISMATCH';
      break;
    }
    case 'diffid-mismatch':
      written = await writeVariant(app1, dir, { diffId: sha256(`not the diff_id of ${app1.layers[BAD_POSITION]}`) });
      expectedCode = 'DIFFID_MISMATCH';
      break;
    case 'missing-blob':
      written = await writeVariant(app1, dir, {});
      await rm(blobFile(dir, app1.layers[BAD_POSITION]!));
      expectedCode = 'BLOB_MISSING';
      break;
  }
  return {
    case: kind,
    layout: dir,
    ref: `oci:${dir}:app1`,
    tag: 'app1',
    ...written,
    badLayer: written.layers[BAD_POSITION]!,
    badPosition: BAD_POSITION,
    goodBefore: written.layers.slice(0, BAD_POSITION),
    goodAfter: written.layers.slice(BAD_POSITION + 1),
    expectedCode,
    ...(entriesBeforeDamage === undefined ? {} : { entriesBeforeDamage }),
  };
}

/**
 * Broken copies of app1 under workDir/bad/<case>, built from `good` (or from fixtures built under workDir/good).
 * Only the named fault differs from app1; every other digest is consistent.
 */
export async function buildBadFixtures(workDir: string, good?: Fixtures): Promise<Record<BadCase, BadFixture>> {
  const fixtures = good ?? (await buildFixtures(join(workDir, 'good')));
  const root = join(workDir, 'bad');
  await rm(root, { recursive: true, force: true });
  const out = {} as Record<BadCase, BadFixture>;
  for (const kind of BAD_CASES) out[kind] = await badCase(kind, fixtures.images.app1, join(root, kind));
  return out;
}


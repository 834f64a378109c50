/**
 * Expected values computed independently of imgscan: layer blobs are decompressed with gzip / zstd, listed and
 * extracted with GNU tar, hashed with sha256sum and b3sum; image layouts are read as plain JSON and cross-checked
 * with `skopeo inspect`; dataset figures are straightforward loops over the definitions of docs/metrics.md.
 * Field names are the column names of schemas/tables.sql.
 */
import { createHash } from 'node:crypto';
import { lstat, mkdir, mkdtemp, open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Compression, EntryType, FileRow, ImageLayerRow, ImageRow, LayerRow } from '../../src/model/rows.js';
import { run, runText } from './exec.js';

/** One tar entry as GNU tar sees it; `name` is the member name exactly as stored. */
/** Compressed sizes (the compression sample) are checked by their own test, test/integration/scan/sample.test.ts. */
export type ExpectedEntry = Omit<FileRow, 'layer_digest' | 'file_class' | 'gzip_size' | 'zstd_size'> & { name: string };

export interface ExpectedLayer extends Omit<LayerRow, 'chunker' | 'sparse_hole_size' | 'sample_rate' | 'metadata_gzip_size' | 'metadata_zstd_size'> {
  blob: string;
  /** Entries in tar order (entry_index = position). */
  entries: ExpectedEntry[];
}

const TOOL_ENV = { LC_ALL: 'C', TZ: 'UTC' };
const ENTRY_TYPES: Record<string, EntryType> = { '-': 'file', d: 'dir', l: 'symlink', h: 'hardlink', c: 'char', b: 'block', p: 'fifo', C: 'file' };

async function sha256sum(path: string): Promise<string> {
  return `sha256:${(await runText('sha256sum', ['--', path])).slice(0, 64)}`;
}

/** gzip, zstd or none, from the first four bytes. */
async function sniff(path: string): Promise<Compression> {
  const f = await open(path, 'r');
  try {
    const { buffer, bytesRead } = await f.read(Buffer.alloc(4), 0, 4, 0);
    if (bytesRead >= 2 && buffer[0] === 0x1f && buffer[1] === 0x8b) return 'gzip';
    if (bytesRead === 4 && buffer.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
    return 'none';
  } finally {
    await f.close();
  }
}

/** Normalized path: no leading "/" or "./", no trailing "/", no empty or "." segments; the root is ".". */
export function normalizePath(name: string): string {
  const out = name.split('/').filter((s) => s !== '' && s !== '.').join('/');
  return out === '' ? '.' : out;
}

/** Undoes GNU tar's `--quoting-style=escape` (in the C locale every byte above 0x7e is an octal escape): the name's bytes. */
export function unescapeTarBytes(s: string): Buffer {
  const bytes: number[] = [];
  const named: Record<string, number> = { a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11 };
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c !== '\\') {
      bytes.push(...Buffer.from(c, 'latin1'));
      continue;
    }
    const next = s[i + 1] ?? '';
    const oct = /^[0-7]{1,3}/.exec(s.slice(i + 1))?.[0];
    if (oct) {
      bytes.push(parseInt(oct, 8));
      i += oct.length;
    } else {
      bytes.push(named[next] ?? next.charCodeAt(0));
      i += 1;
    }
  }
  return Buffer.from(bytes);
}

/** The name as text (UTF-8 decoded), to hand back to GNU tar as a member name. */
export function unescapeTarName(s: string): string {
  return unescapeTarBytes(s).toString('utf8');
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * A name's bytes as imgscan stores the path (docs/scan.md): valid UTF-8 as is, a backslash as two backslashes,
 * any other byte as `\xNN`. A byte starts a character when 1 to 4 bytes from it decode strictly to one.
 */
export function storedName(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    let char: string | null = null;
    let n = 1;
    for (; n <= 4 && i + n <= bytes.length && char === null; n++) {
      try {
        const s = strictUtf8.decode(bytes.subarray(i, i + n));
        if ([...s].length === 1) char = s;
      } catch {
        // not a whole character yet
      }
    }
    if (char === null) {
      out += `\\x${bytes[i]!.toString(16).padStart(2, '0')}`;
      i += 1;
    } else {
      out += char === '\\' ? '\\\\' : char;
      i += n - 1;
    }
  }
  return out;
}

/** "rwsr-xr-t" to permission and set-id bits. */
function modeBits(perms: string): number {
  let mode = 0;
  const bit = (i: number, on: string, value: number) => (on.includes(perms[i]!) ? value : 0);
  mode |= bit(0, 'r', 0o400) | bit(1, 'w', 0o200) | bit(2, 'xs', 0o100) | bit(2, 'sS', 0o4000);
  mode |= bit(3, 'r', 0o040) | bit(4, 'w', 0o020) | bit(5, 'xs', 0o010) | bit(5, 'sS', 0o2000);
  mode |= bit(6, 'r', 0o004) | bit(7, 'w', 0o002) | bit(8, 'xt', 0o001) | bit(8, 'tT', 0o1000);
  return mode;
}

/** "2024-01-02 03:04:05.25" (UTC) or a plain number of seconds, to seconds since the epoch. */
function epochSeconds(text: string): number {
  const m = /^(-?\d+)-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(?:\.(\d+))?$/.exec(text);
  if (!m) return Number(text);
  const whole = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) / 1000;
  return m[7] ? whole + Number(`0.${m[7]}`) : whole;
}

/** The member name of each listed entry as bytes (a name need not be UTF-8, so it cannot go on a command line). */
const rawNames = new WeakMap<ExpectedEntry, Buffer>();

const VERBOSE = /^(\S)(\S{9}) (\d+)\/(\d+) +(\S+) (\d{4,}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?|-?\d+) (.*)$/;

/** Entries of a tar from `tar --list` (names) and `tar --list --verbose --full-time --numeric-owner`. */
async function listEntries(tar: string): Promise<ExpectedEntry[]> {
  const opts = { env: TOOL_ENV };
  // latin1 keeps every byte as one character; unescapeTarBytes turns the name back into bytes.
  const list = async (args: string[]) => (await run('tar', ['--list', ...args, '--quoting-style=escape', '-f', tar], opts)).stdout.toString('latin1').split('\n').slice(0, -1);
  const names = await list([]);
  const lines = await list(['--verbose', '--full-time', '--numeric-owner']);
  if (names.length !== lines.length) throw new Error(`tar listed ${names.length} names but ${lines.length} verbose lines for ${tar}`);
  return lines.map((line, i) => {
    const m = VERBOSE.exec(line);
    const escaped = names[i]!;
    if (!m || !m[7]!.startsWith(escaped)) throw new Error(`cannot parse tar listing line ${JSON.stringify(line)} (name ${escaped})`);
    const kind = ENTRY_TYPES[m[1]!];
    if (!kind) throw new Error(`unexpected tar entry type '${m[1]}' in ${JSON.stringify(line)}`);
    const name = unescapeTarName(escaped);
    const raw = unescapeTarBytes(escaped);
    const path = normalizePath(storedName(raw));
    const rest = m[7]!.slice(escaped.length);
    const base = path.slice(path.lastIndexOf('/') + 1);
    const type: EntryType = base.startsWith('.wh.') ? (base === '.wh..wh..opq' ? 'opaque' : 'whiteout') : kind;
    let link: string | null = null;
    if (rest.startsWith(' -> ')) link = storedName(unescapeTarBytes(rest.slice(4)));
    else if (rest.startsWith(' link to ')) link = normalizePath(storedName(unescapeTarBytes(rest.slice(9))));
    else if (rest !== '') throw new Error(`unexpected text after the name in ${JSON.stringify(line)}`);
    const device = type === 'char' || type === 'block';
    const [major, minor] = device ? m[5]!.split(',').map(Number) : [null, null];
    const entry: ExpectedEntry = {
      entry_index: i,
      name,
      path,
      entry_type: type,
      size: type === 'file' ? Number(m[5]) : 0,
      digest: null,
      mode: modeBits(m[2]!),
      uid: Number(m[3]),
      gid: Number(m[4]),
      mtime: epochSeconds(m[6]!),
      link_target: type === 'symlink' || type === 'hardlink' ? link : null,
      dev_major: major ?? null,
      dev_minor: minor ?? null,
    };
    rawNames.set(entry, raw);
    return entry;
  });
}

/**
 * BLAKE3 of every file entry: the tar is extracted once and files hashed in batches with b3sum; a file whose
 * path is not unique in the layer, sits below a non-directory entry, or did not come out as a regular file of
 * the listed size is hashed alone from `tar -xOf TAR --occurrence=N NAME`.
 */
async function hashFiles(tar: string, entries: ExpectedEntry[], work: string): Promise<void> {
  const root = join(work, 'root');
  await mkdir(root);
  await run('tar', ['-xf', tar, '-C', root, '--no-same-owner', '--no-same-permissions', '--warning=none'], { env: TOOL_ENV, okCodes: [0, 2] });
  const pathCount = new Map<string, number>();
  const nonDirs = new Set<string>();
  for (const e of entries) {
    pathCount.set(e.path, (pathCount.get(e.path) ?? 0) + 1);
    if (e.entry_type !== 'dir') nonDirs.add(e.path);
  }
  const underNonDir = (p: string) => {
    for (let i = p.indexOf('/'); i >= 0; i = p.indexOf('/', i + 1)) if (nonDirs.has(p.slice(0, i))) return true;
    return false;
  };
  const files = entries.filter((e) => e.entry_type === 'file');
  const batch: ExpectedEntry[] = [];
  const alone: ExpectedEntry[] = [];
  for (const e of files) {
    // An escaped path (it holds a backslash) is not the file's name on disk.
    const s = pathCount.get(e.path) === 1 && !underNonDir(e.path) && !e.path.split('/').includes('..') && !e.path.includes('\\') ? await lstat(join(root, e.path)).catch(() => undefined) : undefined;
    (s?.isFile() && s.size === e.size ? batch : alone).push(e);
  }
  for (let i = 0; i < batch.length; i += 500) {
    const part = batch.slice(i, i + 500);
    const out = (await runText('b3sum', ['--', ...part.map((e) => e.path)], { cwd: root })).split('\n').slice(0, -1);
    if (out.length !== part.length) throw new Error(`b3sum printed ${out.length} lines for ${part.length} files`);
    out.forEach((line, j) => (part[j]!.digest = line.replace(/^\\/, '').slice(0, 64)));
  }
  const occurrence = new Map<string, number>();
  const nth = new Map<ExpectedEntry, number>();
  for (const e of entries) {
    const key = rawNames.get(e)!.toString('latin1');
    const n = (occurrence.get(key) ?? 0) + 1;
    occurrence.set(key, n);
    nth.set(e, n);
  }
  const one = join(work, 'one');
  const names = join(work, 'names');
  for (const e of alone) {
    // The name goes byte for byte through a NUL-terminated list file.
    await writeFile(names, Buffer.concat([rawNames.get(e)!, Buffer.from([0])]));
    await run('tar', ['-xOf', tar, '-P', '--no-wildcards', `--occurrence=${nth.get(e)}`, '--null', '--verbatim-files-from', '-T', names], { env: TOOL_ENV, stdoutFile: one });
    const size = (await stat(one)).size;
    if (size !== e.size) throw new Error(`tar -xOf gave ${size} bytes for ${e.name} (occurrence ${nth.get(e)}), listed as ${e.size}`);
    e.digest = (await runText('b3sum', ['--no-names', one])).slice(0, 64);
  }
}

/** Everything imgscan should find in one layer blob, computed with system tools. */
export async function expectedLayer(blob: string): Promise<ExpectedLayer> {
  const work = await mkdtemp(join(tmpdir(), 'imgscan-expected-'));
  try {
    const compression = await sniff(blob);
    let tar = blob;
    if (compression !== 'none') {
      tar = join(work, 'layer.tar');
      await run(compression === 'gzip' ? 'gzip' : 'zstd', compression === 'gzip' ? ['-dc', '--', blob] : ['-dcq', '--', blob], { stdoutFile: tar });
    }
    const entries = await listEntries(tar);
    await hashFiles(tar, entries, work);
    const counts: Record<EntryType, number> = { file: 0, dir: 0, symlink: 0, hardlink: 0, char: 0, block: 0, fifo: 0, whiteout: 0, opaque: 0, other: 0 };
    let filesSize = 0;
    for (const e of entries) {
      counts[e.entry_type]++;
      if (e.entry_type === 'file') filesSize += e.size;
    }
    return {
      blob,
      layer_digest: await sha256sum(blob),
      diff_id: await sha256sum(tar),
      compression,
      compressed_size: (await stat(blob)).size,
      tar_size: (await stat(tar)).size,
      files_size: filesSize,
      entry_count: entries.length,
      file_count: counts.file,
      dir_count: counts.dir,
      symlink_count: counts.symlink,
      hardlink_count: counts.hardlink,
      char_count: counts.char,
      block_count: counts.block,
      fifo_count: counts.fifo,
      whiteout_count: counts.whiteout,
      opaque_count: counts.opaque,
      entries,
    };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Images of an OCI layout.

export interface ExpectedImageLayer extends Omit<ImageLayerRow, 'manifest_digest'> {
  /** Path of the blob file in the layout. */
  blob: string;
}

/** An image as the layout holds it: its images row (schema1_converted aside), where it is, its history and layers. */
export interface ExpectedImage extends Omit<ImageRow, 'schema1_converted'> {
  layout: string;
  tag: string | null;
  /** The config's history: each step's created_by and empty_layer. */
  history: { created_by: string | null; empty_layer: boolean }[];
  /** The index the image was selected from (an index blob, not index.json), if any. */
  index_digest: string | null;
  layers: ExpectedImageLayer[];
}

interface Descriptor {
  mediaType?: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: { os?: string; architecture?: string; variant?: string };
}

function layoutBlob(layout: string, digest: string): string {
  const [alg, hex] = digest.split(':');
  return join(layout, 'blobs', alg!, hex!);
}

/** Reads a blob and checks that its bytes have the digest that names them. */
async function verifiedBlob(layout: string, d: Descriptor): Promise<Buffer> {
  const bytes = await readFile(layoutBlob(layout, d.digest));
  const actual = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  if (actual !== d.digest) throw new Error(`${layout}: blob ${d.digest} has digest ${actual}`);
  if (bytes.length !== d.size) throw new Error(`${layout}: blob ${d.digest} is ${bytes.length} bytes, descriptor says ${d.size}`);
  return bytes;
}

function pick(ds: Descriptor[], platform: { architecture: string; os?: string } | undefined, what: string): Descriptor {
  const found = platform ? ds.filter((d) => d.platform?.architecture === platform.architecture && (!platform.os || d.platform?.os === platform.os)) : ds;
  if (found.length !== 1) throw new Error(`${what}: ${found.length} manifests match ${JSON.stringify(platform ?? 'any platform')}`);
  return found[0]!;
}

/**
 * The image a layout tag (null: the only or the platform-matching entry of index.json) names, read from the
 * layout's JSON files, resolving an image index by platform; cross-checked with `skopeo inspect`.
 */
export async function expectedImageLayers(layout: string, tag: string | null, platform?: { architecture: string; os?: string }): Promise<ExpectedImage> {
  const index = JSON.parse((await readFile(join(layout, 'index.json'))).toString('utf8')) as { manifests: Descriptor[] };
  const named = tag === null ? index.manifests : index.manifests.filter((d) => d.annotations?.['org.opencontainers.image.ref.name'] === tag);
  let desc = pick(named, tag === null ? platform : undefined, `${layout}:${tag}`);
  let bytes = await verifiedBlob(layout, desc);
  let doc = JSON.parse(bytes.toString('utf8')) as { mediaType?: string; manifests?: Descriptor[]; config?: Descriptor; layers?: Descriptor[] };
  let indexDigest: string | null = null;
  if (doc.manifests) {
    indexDigest = desc.digest;
    desc = pick(doc.manifests, platform, `${layout}:${tag} (index ${desc.digest})`);
    bytes = await verifiedBlob(layout, desc);
    doc = JSON.parse(bytes.toString('utf8'));
  }
  if (!doc.config || !doc.layers) throw new Error(`${layout}:${tag}: ${desc.digest} is not an image manifest`);
  const config = JSON.parse((await verifiedBlob(layout, doc.config)).toString('utf8')) as {
    os?: string; architecture?: string; variant?: string; created?: string; rootfs?: { diff_ids?: string[] };
    history?: { created_by?: string; empty_layer?: boolean }[];
  };
  const diffIds = config.rootfs?.diff_ids ?? [];
  const image: ExpectedImage = {
    layout,
    tag,
    manifest_digest: desc.digest,
    media_type: doc.mediaType ?? desc.mediaType ?? '',
    config_digest: doc.config.digest,
    os: config.os ?? null,
    architecture: config.architecture ?? null,
    variant: config.variant ?? null,
    created: config.created ? new Date(config.created) : null,
    history: (config.history ?? []).map((h) => ({ created_by: h.created_by ?? null, empty_layer: Boolean(h.empty_layer) })),
    layer_count: doc.layers.length,
    index_digest: indexDigest,
    layers: doc.layers.map((l, i) => ({
      position: i,
      layer_digest: l.digest,
      diff_id: diffIds[i] ?? null,
      media_type: l.mediaType ?? '',
      compressed_size: l.size,
      blob: layoutBlob(layout, l.digest),
    })),
  };
  if (tag !== null) await crossCheck(image, platform);
  return image;
}

/** skopeo must see the same digest (of the manifest, or of the index the tag names) and the same layers. */
async function crossCheck(image: ExpectedImage, platform: { architecture: string; os?: string } | undefined): Promise<void> {
  const args = ['inspect'];
  if (platform) args.push('--override-arch', platform.architecture, '--override-os', platform.os ?? 'linux');
  args.push(`oci:${image.layout}:${image.tag}`);
  const seen = JSON.parse(await runText('skopeo', args)) as { Digest: string; Layers: string[] };
  const ours = image.layers.map((l) => l.layer_digest);
  const top = image.index_digest ?? image.manifest_digest; // skopeo names the image by what the tag points at
  if (seen.Digest !== top || JSON.stringify(seen.Layers) !== JSON.stringify(ours)) {
    throw new Error(`skopeo sees ${seen.Digest} ${JSON.stringify(seen.Layers)} at ${image.layout}:${image.tag}, the layout files say ${top} ${JSON.stringify(ours)}`);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Dataset figures (docs/metrics.md), over unique layers.

export interface ExpectedFileMetrics {
  layers_unique: number;
  files_total: number;
  files_distinct: number;
  /** Files whose digest occurs exactly once. */
  singleton_files: number;
  file_bytes_total: number;
  file_bytes_distinct: number;
  distinct_file_fraction: number;
  singleton_file_fraction: number;
  file_dedup_ratio: number;
  file_dedup_savings: number;
  /** Duplicate copies inside one layer (sum of c - k) and across layers (sum of k - 1), with their bytes. */
  intra_layer: number;
  cross_layer: number;
  intra_layer_bytes: number;
  cross_layer_bytes: number;
}

/** File-level redundancy over the given layers, each distinct layer_digest counted once. */
export function expectedFileMetrics(layers: ExpectedLayer[]): ExpectedFileMetrics {
  const unique = new Map<string, ExpectedLayer>();
  for (const l of layers) if (!unique.has(l.layer_digest)) unique.set(l.layer_digest, l);
  const byDigest = new Map<string, { copies: number; layers: Set<string>; size: number }>();
  let filesTotal = 0;
  let bytesTotal = 0;
  for (const layer of unique.values()) {
    for (const e of layer.entries) {
      if (e.entry_type !== 'file') continue;
      filesTotal++;
      bytesTotal += e.size;
      const d = byDigest.get(e.digest!) ?? { copies: 0, layers: new Set<string>(), size: e.size };
      d.copies++;
      d.layers.add(layer.layer_digest);
      byDigest.set(e.digest!, d);
    }
  }
  let bytesDistinct = 0;
  let singletons = 0;
  let intra = 0;
  let cross = 0;
  let intraBytes = 0;
  let crossBytes = 0;
  for (const d of byDigest.values()) {
    bytesDistinct += d.size;
    if (d.copies === 1) singletons++;
    const k = d.layers.size;
    intra += d.copies - k;
    cross += k - 1;
    intraBytes += (d.copies - k) * d.size;
    crossBytes += (k - 1) * d.size;
  }
  const ratio = bytesDistinct === 0 ? 1 : bytesTotal / bytesDistinct;
  return {
    layers_unique: unique.size,
    files_total: filesTotal,
    files_distinct: byDigest.size,
    singleton_files: singletons,
    file_bytes_total: bytesTotal,
    file_bytes_distinct: bytesDistinct,
    distinct_file_fraction: filesTotal === 0 ? 0 : byDigest.size / filesTotal,
    singleton_file_fraction: filesTotal === 0 ? 0 : singletons / filesTotal,
    file_dedup_ratio: ratio,
    file_dedup_savings: 1 - 1 / ratio,
    intra_layer: intra,
    cross_layer: cross,
    intra_layer_bytes: intraBytes,
    cross_layer_bytes: crossBytes,
  };
}

export interface ExpectedLayerMetrics {
  layer_refs: number;
  layers_unique: number;
  layer_dedup_ratio: number;
  layer_sharing_savings: number;
}

/** Layer-level sharing over images given as their layers (digest and compressed size, in order). */
export function expectedLayerMetrics(images: { layer_digest: string; compressed_size: number }[][]): ExpectedLayerMetrics {
  let refs = 0;
  let refBytes = 0;
  const unique = new Map<string, number>();
  for (const layers of images) {
    for (const l of layers) {
      refs++;
      refBytes += l.compressed_size;
      unique.set(l.layer_digest, l.compressed_size);
    }
  }
  const uniqueBytes = [...unique.values()].reduce((a, b) => a + b, 0);
  const ratio = uniqueBytes === 0 ? 1 : refBytes / uniqueBytes;
  return { layer_refs: refs, layers_unique: unique.size, layer_dedup_ratio: ratio, layer_sharing_savings: 1 - 1 / ratio };
}

/** Content waste of one image (layers base first): bytes of files whose digest appeared in a lower layer or earlier in the same layer. */
export function expectedContentWaste(imageLayers: ExpectedLayer[]): number {
  const seen = new Set<string>();
  let waste = 0;
  for (const layer of imageLayers) {
    for (const e of layer.entries) {
      if (e.entry_type !== 'file') continue;
      if (seen.has(e.digest!)) waste += e.size;
      else seen.add(e.digest!);
    }
  }
  return waste;
}

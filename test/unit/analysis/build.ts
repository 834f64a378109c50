/**
 * Writes hand-made datasets (through the real DatasetWriter, so the Parquet layout is the scanner's) from the
 * reference model of reference.ts, and a seeded generator of random overlay datasets.
 */
import { createHash } from 'node:crypto';
import type { EntryType, FileRow, LayerRow } from '../../../src/model/rows.js';
import { DatasetWriter } from '../../../src/store/writer.js';
import type { RefChunk, RefDataset, RefEntry, RefImage, RefLayer } from './reference.js';

export const sha = (s: string) => `sha256:${createHash('sha256').update(s).digest('hex')}`;
export const blake = (s: string) => createHash('sha256').update(`content:${s}`).digest('hex');

/** A file entry whose content is named by `content` (same name, same bytes, same digest). */
export function file(path: string, content: string, size: number, file_class = 'text'): Omit<RefEntry, 'entry_index'> {
  return { path, entry_type: 'file', size, digest: blake(size === 0 ? 'empty' : `${content}/${size}`), file_class: size === 0 ? 'empty' : file_class };
}

export function entry(path: string, entry_type: EntryType): Omit<RefEntry, 'entry_index'> {
  return { path, entry_type, size: 0, digest: null, file_class: null };
}

/** A layer; with `sparse_hole_size`, that many bytes of its files are holes, not stored in the tar. */
export function layer(name: string, entries: Omit<RefEntry, 'entry_index'>[], o: Partial<Pick<RefLayer, 'compression' | 'compressed_size' | 'chunker' | 'sparse_hole_size'>> = {}): RefLayer {
  const es = entries.map((e, i) => ({ ...e, entry_index: i }));
  const filesSize = es.reduce((s, e) => s + (e.entry_type === 'file' ? e.size : 0), 0);
  const tarSize = 1024 + es.reduce((s, e) => s + 512 + Math.ceil(e.size / 512) * 512, 0) - (o.sparse_hole_size ?? 0);
  return {
    layer_digest: sha(`layer ${name}`),
    compression: o.compression ?? 'gzip',
    compressed_size: o.compressed_size ?? Math.max(20, Math.round(tarSize / 3) + name.length),
    tar_size: tarSize,
    sparse_hole_size: o.sparse_hole_size,
    chunker: o.chunker ?? null,
    entries: es,
  };
}

export function image(name: string, layers: RefLayer[], refs: RefImage['refs'] = [{ registry: 'registry.test', repository: `repo/${name}`, tag: 'latest' }]): RefImage {
  return { manifest_digest: sha(`image ${name}`), refs, layers: layers.map((l) => ({ layer_digest: l.layer_digest, compressed_size: l.compressed_size })) };
}

function layerRow(l: RefLayer): LayerRow {
  const count = (t: EntryType) => l.entries.filter((e) => e.entry_type === t).length;
  return {
    layer_digest: l.layer_digest, diff_id: sha(`diff ${l.layer_digest}`), compression: l.compression as LayerRow['compression'],
    compressed_size: l.compressed_size, tar_size: l.tar_size, files_size: l.entries.reduce((s, e) => s + (e.entry_type === 'file' ? e.size : 0), 0), sparse_hole_size: l.sparse_hole_size ?? 0,
    entry_count: l.entries.length, file_count: count('file'), dir_count: count('dir'), symlink_count: count('symlink'), hardlink_count: count('hardlink'),
    char_count: count('char'), block_count: count('block'), fifo_count: count('fifo'), whiteout_count: count('whiteout'), opaque_count: count('opaque'),
    chunker: l.chunker,
    sample_rate: null, metadata_gzip_size: null, metadata_zstd_size: null,
  };
}

function fileRows(l: RefLayer): FileRow[] {
  return l.entries.map((e) => ({
    layer_digest: l.layer_digest, entry_index: e.entry_index, path: e.path, entry_type: e.entry_type, size: e.size, digest: e.digest,
    file_class: e.file_class as FileRow['file_class'], mode: 0o644, uid: 0, gid: 0, mtime: 1_700_000_000, link_target: null, dev_major: null, dev_minor: null, gzip_size: null, zstd_size: null,
  }));
}

/** Writes layers, images and chunks into DIR, one commit per call (a layer written twice is stored twice). */
export async function writeRows(dir: string, part: { layers?: RefLayer[]; images?: RefImage[]; chunks?: RefChunk[]; failures?: number }): Promise<void> {
  const w = await DatasetWriter.open(dir);
  try {
    for (const l of part.layers ?? []) {
      w.beginLayer(l.layer_digest);
      w.add('files', fileRows(l));
      w.add('chunks', (part.chunks ?? []).filter((c) => c.layer_digest === l.layer_digest).map((c) => ({ ...c, chunker: c.chunker ?? null, gzip_size: null, zstd_size: null })));
      w.finishLayer(layerRow(l));
    }
    for (const i of part.images ?? []) {
      w.add('images', [{
        manifest_digest: i.manifest_digest, media_type: 'application/vnd.oci.image.manifest.v1+json', config_digest: sha(`config ${i.manifest_digest}`),
        os: 'linux', architecture: 'amd64', variant: null, created: i.created ?? null, layer_count: i.layers.length, schema1_converted: false,
      }]);
      w.add('image_refs', i.refs.map((r) => ({ ...r, manifest_digest: i.manifest_digest, index_digest: null })));
      // Stored as the scanner stores it: the n-th non-empty step made layer n, when the steps line up.
      const lined = (i.history ?? []).filter((h) => !h.empty_layer).length === i.layers.length;
      let made = 0;
      w.add('image_history', (i.history ?? []).map((h, step) => ({
        manifest_digest: i.manifest_digest, step, created: null, created_by: h.created_by, comment: null, empty_layer: h.empty_layer,
        position: h.empty_layer || !lined ? null : made++,
      })));
      w.add('image_layers', i.layers.map((l, position) => ({
        manifest_digest: i.manifest_digest, position, layer_digest: l.layer_digest, diff_id: null, media_type: 'application/vnd.oci.image.layer.v1.tar+gzip', compressed_size: l.compressed_size,
      })));
    }
    for (let n = 0; n < (part.failures ?? 0); n++) {
      w.add('failures', [{ scope: 'layer', target: `layer ${n}`, image: null, layer_digest: null, code: 'BLOB_MISSING', message: 'test failure', failed_at: new Date(0) }]);
    }
    await w.commit();
  } finally {
    w.close();
  }
}

/** A small deterministic PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Random layers over a small namespace (so paths, contents and deletions collide often across layers) and
 * random images stacking them. Each layer is a consistent diff, as image builders write them: parent
 * directories come first and once, a path is written once (but for a file sometimes appended again, as
 * `tar --append` does), nothing is written below a non-directory of the same layer, and whiteouts name paths
 * the layer does not write. With `implicit` > 0, that share of the layers is hand-made: it writes no entry for
 * the directories above its entries (they exist only implicitly), only the directories it writes on purpose.
 */
export function randomDataset(seed: number, nLayers = 14, nImages = 12, implicit = 0): RefDataset {
  const rnd = prng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)];
  const dirs = ['a', 'a/b', 'a/b/c', 'd', 'd/e'];
  const names = ['x', 'y', 'z', 'b', 'e', 'c'];
  const classes = ['text', 'elf', 'other'];
  const ancestors = (p: string) => p.split('/').slice(0, -1).map((_, i, parts) => parts.slice(0, i + 1).join('/'));
  const layers: RefLayer[] = [];
  for (let li = 0; li < nLayers; li++) {
    const entries: Omit<RefEntry, 'entry_index'>[] = [];
    const dirsHere = new Set<string>();
    const leaves = new Set<string>();
    const deleted = new Set<string>();
    const handMade = implicit > 0 && rnd() < implicit;
    const free = (p: string) =>
      !dirsHere.has(p) && !leaves.has(p) && !deleted.has(p) && !ancestors(p).some((a) => leaves.has(a) || deleted.has(a)) &&
      ![...dirsHere, ...leaves, ...deleted].some((q) => q.startsWith(`${p}/`));
    const parents = (p: string) => {
      for (const a of ancestors(p)) if (!dirsHere.has(a)) {
        dirsHere.add(a);
        if (!handMade) entries.push(entry(a, 'dir'));
      }
    };
    const n = 2 + Math.floor(rnd() * 9);
    for (let k = 0; k < n; k++) {
      const r = rnd();
      const path = r < 0.1 ? pick(dirs) : `${pick(dirs)}/${pick(names)}`; // sometimes a directory's own path
      const content = Math.floor(rnd() * 6);
      const size = content === 0 ? 0 : 100 * content;
      if (r >= 0.1 && r < 0.15) {
        const dir = pick(dirs);
        if (free(`${dir}/.wh..wh..opq`) && !leaves.has(dir) && !deleted.has(dir) && !ancestors(dir).some((a) => leaves.has(a) || deleted.has(a))) {
          parents(`${dir}/.wh..wh..opq`);
          if (!dirsHere.has(dir)) {
            dirsHere.add(dir);
            if (!handMade) entries.push(entry(dir, 'dir'));
          }
          entries.push(entry(`${dir}/.wh..wh..opq`, 'opaque'));
        }
        continue;
      }
      if (!free(path)) continue;
      const slash = path.lastIndexOf('/');
      const kind = rnd();
      if (kind < 0.2) {
        parents(path);
        deleted.add(path);
        entries.push(entry(`${slash < 0 ? '' : `${path.slice(0, slash)}/`}.wh.${path.slice(slash + 1)}`, 'whiteout'));
        continue;
      }
      parents(path);
      if (kind < 0.75) {
        leaves.add(path);
        entries.push(file(path, String(content), size, classes[content % 3]));
        if (rnd() < 0.1) entries.push(file(path, String((content + 1) % 6), size + 50, classes[(content + 1) % 3]));
      } else if (kind < 0.85) {
        leaves.add(path);
        entries.push(entry(path, rnd() < 0.7 ? 'symlink' : 'hardlink'));
      } else {
        dirsHere.add(path);
        entries.push(entry(path, 'dir'));
      }
    }
    layers.push(layer(`random ${seed} ${li}`, entries, { compression: pick(['gzip', 'zstd', 'none']) }));
  }
  const images: RefImage[] = [];
  for (let ii = 0; ii < nImages; ii++) {
    const n = 1 + Math.floor(rnd() * 5);
    images.push(image(`random ${seed} ${ii}`, Array.from({ length: n }, () => pick(layers))));
  }
  return { layers, images, chunks: [], failures: 0 };
}

/**
 * The model of the reference computation (reference.ts): the rows of a dataset, the quantile and bucket rules,
 * and path waste found by applying an image's layers to an in-memory filesystem, one entry at a time.
 */
import type { EntryType } from '../../../src/store/rows.js';

export interface RefEntry {
  entry_index: number;
  path: string;
  entry_type: EntryType;
  size: number;
  digest: string | null;
  file_class: string | null;
}

export interface RefLayer {
  layer_digest: string;
  compression: string;
  compressed_size: number;
  tar_size: number;
  /** Holes of sparse files: in the files' sizes, not in tar_size. */
  sparse_hole_size?: number;
  chunker: string | null;
  entries: RefEntry[];
}

export interface RefImage {
  manifest_digest: string;
  refs: { registry: string; repository: string; tag: string | null }[];
  layers: { layer_digest: string; compressed_size: number }[];
}

export interface RefChunk {
  layer_digest: string;
  entry_index: number;
  chunk_index: number;
  digest: string;
  size: number;
}

export interface RefDataset {
  /** Layers read; a digest may repeat (stored twice): the first one counts. */
  layers: RefLayer[];
  /** Images; a manifest digest may repeat: refs are merged, the first layer list counts. */
  images: RefImage[];
  chunks: RefChunk[];
  failures: number;
}

export function quantileOf(values: number[], q: number): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const pos = q * (s.length - 1);
  const lo = Math.floor(pos);
  return s[lo] + (s[Math.min(lo + 1, s.length - 1)] - s[lo]) * (pos - lo);
}

/** The smallest power of two >= x (x >= 1); 0 for x <= 0. */
export function bucketOf(x: number): number {
  if (x <= 0) return 0;
  let b = 1;
  while (b < x) b *= 2;
  return b;
}

export function refName(r: { registry: string; repository: string; tag: string | null }): string {
  const local = ['oci', 'docker-archive', 'docker-daemon'].includes(r.registry);
  return `${r.registry}${local ? ':' : '/'}${r.repository}${r.tag === null ? '' : `:${r.tag}`}`;
}

/** Bytes of the file copies of one image that are path waste (see docs/analyze.md), by simulating the layers. */
export function referencePathWaste(layers: RefLayer[]): number {
  interface Node { type: EntryType; copy: number | null }
  const fs = new Map<string, Node>();
  const copies: { size: number; path: string; position: number; removedAt: number | null }[] = [];
  const touched = new Map<string, Set<number>>();
  // The last layer that removed whatever was at a path (overwrite, whiteout, hidden directory).
  const removedAt = new Map<string, number>();
  const remove = (path: string, at: number) => {
    const n = fs.get(path);
    if (n && n.copy !== null && copies[n.copy].removedAt === null) copies[n.copy].removedAt = at;
    if (n) removedAt.set(path, at);
    fs.delete(path);
  };
  const removeBelow = (dir: string, at: number) => {
    for (const p of [...fs.keys()]) if (dir === '' || p.startsWith(`${dir}/`)) remove(p, at);
  };
  layers.forEach((layer, position) => {
    const target = (e: RefEntry) => {
      const slash = e.path.lastIndexOf('/');
      const dir = slash < 0 ? '' : e.path.slice(0, slash);
      const base = e.path.slice(slash + 1);
      return e.entry_type === 'opaque' ? dir : `${dir ? `${dir}/` : ''}${base.slice('.wh.'.length)}`;
    };
    // Whiteouts and opaque markers act on the layers below only.
    for (const e of layer.entries) {
      if (e.entry_type === 'whiteout') {
        const t = target(e);
        remove(t, position);
        removeBelow(t, position);
        touched.set(t, (touched.get(t) ?? new Set()).add(position));
      } else if (e.entry_type === 'opaque') removeBelow(target(e), position);
    }
    for (const e of layer.entries) {
      if (e.entry_type === 'whiteout' || e.entry_type === 'opaque') continue;
      touched.set(e.path, (touched.get(e.path) ?? new Set()).add(position));
      const old = fs.get(e.path);
      if (e.entry_type !== 'dir') removeBelow(e.path, position);
      if (e.entry_type === 'dir' && old?.type === 'dir') continue;
      remove(e.path, position);
      let copy: number | null = null;
      if (e.entry_type === 'file') {
        copy = copies.length;
        copies.push({ size: e.size, path: e.path, position, removedAt: null });
      }
      fs.set(e.path, { type: e.entry_type, copy });
    }
  });
  let waste = 0;
  for (const c of copies) {
    if (c.removedAt === null) continue;
    // Hidden, and the path is also written or deleted by another layer, or removed from a higher one.
    if ((touched.get(c.path)?.size ?? 0) >= 2 || (removedAt.get(c.path) ?? -1) > c.position) waste += c.size;
  }
  return waste;
}


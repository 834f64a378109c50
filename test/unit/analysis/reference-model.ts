/**
 * The model of the reference computation (reference.ts): the rows of a dataset, the quantile and bucket rules,
 * and path waste found by applying an image's layers to an in-memory filesystem, one entry at a time.
 */
import type { EntryType } from '../../../src/model/rows.js';

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
  /** The chunkers run on the layer, comma-separated (layers.chunker). */
  chunker: string | null;
  entries: RefEntry[];
}

export interface RefImage {
  manifest_digest: string;
  refs: { registry: string; repository: string; tag: string | null }[];
  layers: { layer_digest: string; compressed_size: number }[];
  /** The config's `created` (NULL when absent). */
  created?: Date | null;
  /** The config's history (build steps). */
  history?: { created_by: string | null; empty_layer: boolean }[];
}

export interface RefChunk {
  layer_digest: string;
  entry_index: number;
  chunk_index: number;
  digest: string;
  size: number;
  /** The chunker that cut it; absent or null as in a dataset written before chunks had the column (the layer's chunker then). */
  chunker?: string | null;
}

/** The chunker of a chunk row: its own, else its layer's (a dataset of one chunker per layer). */
export function chunkerOf(c: RefChunk, layer: RefLayer | undefined): string | null {
  return c.chunker ?? layer?.chunker ?? null;
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

interface Node { path: string; type: EntryType; copy: number | null; children: Map<string, Node> }

/**
 * Bytes of the file copies of one image that are path waste (see docs/analyze.md), by mounting its layers as an
 * overlay shows them: a tree, each layer applied bottom-up, each entry making the directories above it that are
 * missing (a tar need not hold entries for them). A non-directory or a whiteout at a path removes whatever
 * subtree was there; a directory over a directory keeps it; an opaque marker empties its directory. A copy not
 * in the tree at the end is hidden; it is waste when another layer writes or deletes its path, or a higher
 * layer removed it. (An entry below a path a lower layer holds as a non-directory cannot be extracted there,
 * the parent not being a directory: the model then keeps both, as docs/analyze.md says.)
 */
export function referencePathWaste(layers: RefLayer[]): number {
  return referencePathWasteByLayer(layers).reduce((n, w) => n + w, 0);
}

/** The same path waste, per layer: the bytes of the wasted copies each layer holds. */
export function referencePathWasteByLayer(layers: RefLayer[]): number[] {
  const copies: { size: number; path: string; position: number }[] = [];
  const touched = new Map<string, Set<number>>();
  const removedAt = new Map<string, number>(); // the last layer that removed whatever was at a path
  const root: Node = { path: '', type: 'dir', copy: null, children: new Map() };
  const drop = (n: Node, at: number) => {
    removedAt.set(n.path, at);
    for (const c of n.children.values()) drop(c, at);
  };
  // The node holding `path`'s parent, made (as directories) where missing when `make`.
  const parent = (path: string, make: boolean): Node | undefined => {
    const names = path.split('/').slice(0, -1);
    let n: Node | undefined = root;
    for (const [i, name] of names.entries()) {
      if (!n) break;
      if (make && !n.children.has(name)) n.children.set(name, { path: names.slice(0, i + 1).join('/'), type: 'dir', copy: null, children: new Map() });
      n = n.children.get(name);
    }
    return n;
  };
  const touch = (path: string, at: number) => touched.set(path, (touched.get(path) ?? new Set()).add(at));
  const base = (path: string) => path.slice(path.lastIndexOf('/') + 1);
  const node = (path: string) => (path === '' ? root : parent(path, false)?.children.get(base(path)));
  layers.forEach((layer, at) => {
    // Whiteouts and opaque markers act on the layers below only.
    for (const e of layer.entries) {
      const dir = e.path.includes('/') ? e.path.slice(0, e.path.lastIndexOf('/')) : '';
      if (e.entry_type === 'whiteout') {
        const target = `${dir ? `${dir}/` : ''}${base(e.path).slice('.wh.'.length)}`;
        touch(target, at);
        const n = node(target);
        if (n) drop(n, at);
        parent(target, false)?.children.delete(base(target));
      } else if (e.entry_type === 'opaque') {
        const n = node(dir);
        for (const c of n?.children.values() ?? []) drop(c, at);
        n?.children.clear();
      }
    }
    for (const e of layer.entries) {
      if (e.entry_type === 'whiteout' || e.entry_type === 'opaque') continue;
      touch(e.path, at);
      const up = parent(e.path, true)!;
      const old = up.children.get(base(e.path));
      if (e.entry_type === 'dir' && old?.type === 'dir') continue;
      if (e.entry_type === 'dir' && old) {
        // A directory over a non-directory: the entry there is replaced.
        removedAt.set(old.path, at);
        Object.assign(old, { type: 'dir', copy: null });
        continue;
      }
      if (old) drop(old, at);
      const copy = e.entry_type === 'file' ? copies.push({ size: e.size, path: e.path, position: at }) - 1 : null;
      up.children.set(base(e.path), { path: e.path, type: e.entry_type, copy, children: new Map() });
    }
  });
  const visible = new Set<number>();
  const walk = (n: Node) => {
    if (n.copy !== null) visible.add(n.copy);
    for (const c of n.children.values()) walk(c);
  };
  walk(root);
  const waste = layers.map(() => 0);
  copies.forEach((c, i) => {
    if (visible.has(i)) return;
    if ((touched.get(c.path)?.size ?? 0) >= 2 || (removedAt.get(c.path) ?? -1) > c.position) waste[c.position]! += c.size;
  });
  return waste;
}

import { ImgscanError } from '../errors.js';
import type { EntryType } from '../model/rows.js';
import { checkDataDirs } from './analyze.js';
import { AnalysisDb } from './db.js';
import { imageRefCondition } from './image-ref.js';
import { finalFilesystem, type FinalEntry, type OverlayEntry } from './overlay.js';
import { chunkFigures } from './chunks.js';
import { compressedShares, compressionFigures } from './compression.js';
import type { CompressedShare } from './traffic.js';

/** One of the two images compared. */
export interface DiffImage {
  ref: string;
  manifest_digest: string;
  layer_refs: number;
  compressed_size: number;
}

/** A path of the final filesystem that differs, with what it holds on each side (null: absent). */
export interface PathChange {
  path: string;
  change: 'added' | 'removed' | 'changed';
  /** What differs for a changed path: entry type, content, link target, mode, owner. */
  what: ('type' | 'content' | 'link' | 'mode' | 'owner')[];
  a: PathState | null;
  b: PathState | null;
}

export interface PathState {
  entry_type: EntryType;
  size: number;
  digest: string | null;
}

/** What a client moves for image B under one storage design: cold (pull) and holding A (update). */
export interface DesignTraffic {
  design: 'layer_dedup' | 'file_dedup' | 'chunk_dedup';
  chunker: string | null;
  /**
   * True when the bytes are compressed: layer blobs as the registry stores them, or for file and chunk dedup the
   * content bytes times the design's compressed share estimated from the compression sample of the two images.
   */
  compressed: boolean;
  /** True for the figures estimated from the compression sample. */
  estimated: boolean;
  pull_count: number;
  pull_bytes: number;
  update_count: number;
  update_bytes: number;
}

export interface ImageDiff {
  a: DiffImage;
  b: DiffImage;
  layers: { shared: number; shared_compressed_size: number; only_a: number; only_b: number; only_b_compressed_size: number; not_read: number };
  /** Paths of the final filesystems (files, directories, links, devices) and the file bytes behind them. */
  paths: { added: number; removed: number; changed: number; unchanged: number; added_bytes: number; removed_bytes: number; changed_bytes: number };
  designs: DesignTraffic[];
  /** The differing paths, in path order (all of them, or the first `top` with the option). */
  changes: PathChange[];
}

export interface DiffOptions {
  dataDirs: string[];
  a: string;
  b: string;
  /** Differing paths listed (all when absent). */
  top?: number;
}

interface LayerRef {
  image_id: number;
  position: number;
  layer_digest: string;
  compressed_size: number;
  layer_id: number | null;
  tar_size: number | null;
}

interface Found {
  image_id: number;
  manifest_digest: string;
  ref: string | null;
}

/** `imgscan diff A B`: two images of a dataset compared by layers, final filesystem and pull traffic. */
export async function diffImages(options: DiffOptions): Promise<ImageDiff> {
  checkDataDirs(options.dataDirs);
  let a: Found | undefined;
  let b: Found | undefined;
  const db = await AnalysisDb.open(options.dataDirs, async (d) => {
    a = await findOne(d, options.a);
    b = await findOne(d, options.b);
    return [a.manifest_digest, b.manifest_digest];
  });
  try {
    // Ids are renumbered by nothing after open: the images keep the ids found above.
    const refs = await db.query<LayerRef>('diff_layers', { a: a!.image_id, b: b!.image_id });
    const layersA = refs.filter((r) => r.image_id === a!.image_id);
    const layersB = refs.filter((r) => r.image_id === b!.image_id);
    const changes = await compareFilesystems(db, layersA, layersB);
    const designs = await db.query<Omit<DesignTraffic, 'compressed' | 'estimated'>>('diff_designs', { a: a!.image_id, b: b!.image_id });
    const shares = compressedShares(await compressionFigures(db, await chunkFigures(db)));
    return {
      a: described(options.a, a!, layersA),
      b: described(options.b, b!, layersB),
      layers: layerFigures(layersA, layersB),
      paths: pathFigures(changes),
      designs: [layerTraffic(layersA, layersB), ...designs.flatMap((d) => withCompressed({ ...d, compressed: false, estimated: false }, shares))],
      changes: options.top === undefined ? changes.changed : changes.changed.slice(0, options.top),
    };
  } finally {
    await db.close();
  }
}

/** A file or chunk design's traffic, and beside it the same compressed as estimated when the sample allows. */
function withCompressed(d: DesignTraffic, shares: CompressedShare[]): DesignTraffic[] {
  const share = shares.find((s) => s.design === d.design && s.chunker === d.chunker)?.share;
  if (share === undefined) return [d];
  return [d, { ...d, compressed: true, estimated: true, pull_bytes: Math.round(d.pull_bytes * share), update_bytes: Math.round(d.update_bytes * share) }];
}

async function findOne(db: AnalysisDb, ref: string): Promise<Found> {
  const found = await db.rows<Found>(
    `SELECT i.image_id, l.manifest_digest, l.ref FROM (${imageLookupSql(ref)}) l JOIN a_images i USING (manifest_digest)`,
  );
  if (found.length === 0) throw new ImgscanError('NOT_FOUND', `no image in the dataset matches ${JSON.stringify(ref)}`);
  if (found.length > 1) {
    const list = found.map((f) => `${f.ref ?? ''} ${f.manifest_digest}`.trim()).join(', ');
    throw new ImgscanError('USAGE', `${JSON.stringify(ref)} names ${found.length} images (${list}): give one manifest digest`);
  }
  return found[0];
}

function imageLookupSql(ref: string): string {
  return `SELECT i.manifest_digest,
    (SELECT min(a_ref_name(r.registry, r.repository, r.tag)) FROM a_image_refs r WHERE r.manifest_digest = i.manifest_digest) AS ref
  FROM a_images i WHERE i.manifest_digest IN (
    SELECT i2.manifest_digest FROM a_images i2 LEFT JOIN a_image_refs r USING (manifest_digest) WHERE ${imageRefCondition(ref)})`;
}

function described(asked: string, found: Found, layers: LayerRef[]): DiffImage {
  return {
    ref: found.ref ?? asked,
    manifest_digest: found.manifest_digest,
    layer_refs: layers.length,
    compressed_size: layers.reduce((n, l) => n + l.compressed_size, 0),
  };
}

/** Distinct layer digests of each side; a layer both list is shared. */
function layerFigures(a: LayerRef[], b: LayerRef[]): ImageDiff['layers'] {
  const inA = new Map(a.map((l) => [l.layer_digest, l]));
  const inB = new Map(b.map((l) => [l.layer_digest, l]));
  const shared = [...inB.values()].filter((l) => inA.has(l.layer_digest));
  const onlyB = [...inB.values()].filter((l) => !inA.has(l.layer_digest));
  return {
    shared: shared.length,
    shared_compressed_size: sum(shared.map((l) => l.compressed_size)),
    only_a: [...inA.keys()].filter((d) => !inB.has(d)).length,
    only_b: onlyB.length,
    only_b_compressed_size: sum(onlyB.map((l) => l.compressed_size)),
    not_read: new Set([...a, ...b].filter((l) => l.layer_id === null).map((l) => l.layer_digest)).size,
  };
}

/** Layer dedup moves whole compressed blobs: B's distinct layers, and of those the ones A does not list. */
function layerTraffic(a: LayerRef[], b: LayerRef[]): DesignTraffic {
  const inA = new Set(a.map((l) => l.layer_digest));
  const distinctB = [...new Map(b.map((l) => [l.layer_digest, l])).values()];
  const updates = distinctB.filter((l) => !inA.has(l.layer_digest));
  return {
    design: 'layer_dedup',
    chunker: null,
    compressed: true,
    estimated: false,
    pull_count: distinctB.length,
    pull_bytes: sum(distinctB.map((l) => l.compressed_size)),
    update_count: updates.length,
    update_bytes: sum(updates.map((l) => l.compressed_size)),
  };
}

interface Comparison {
  changed: PathChange[];
  unchanged: number;
}

async function compareFilesystems(db: AnalysisDb, a: LayerRef[], b: LayerRef[]): Promise<Comparison> {
  const ids = [...new Set([...a, ...b].map((l) => l.layer_id).filter((id): id is number => id !== null))];
  const rows = ids.length ? await db.query<OverlayEntry & { layer_id: number }>('diff_entries', { layers: ids.join(', ') }) : [];
  const byLayer = new Map<number, OverlayEntry[]>();
  for (const r of rows) {
    const list = byLayer.get(r.layer_id) ?? [];
    list.push(r);
    byLayer.set(r.layer_id, list);
  }
  const stack = (refs: LayerRef[]) => finalFilesystem(refs.map((l) => (l.layer_id === null ? [] : (byLayer.get(l.layer_id) ?? []))));
  return comparePaths(stack(a), stack(b));
}

/** Compares two final filesystems path by path. */
export function comparePaths(a: Map<string, FinalEntry>, b: Map<string, FinalEntry>): Comparison {
  const changed: PathChange[] = [];
  let unchanged = 0;
  const paths = [...new Set([...a.keys(), ...b.keys()])].sort();
  for (const path of paths) {
    const before = a.get(path);
    const after = b.get(path);
    if (before === undefined) changed.push({ path, change: 'added', what: [], a: null, b: state(after!) });
    else if (after === undefined) changed.push({ path, change: 'removed', what: [], a: state(before), b: null });
    else {
      const what = differences(before, after);
      if (what.length) changed.push({ path, change: 'changed', what, a: state(before), b: state(after) });
      else unchanged++;
    }
  }
  return { changed, unchanged };
}

function state(e: FinalEntry): PathState {
  return e ? { entry_type: e.entry_type, size: e.entry_type === 'file' ? e.size : 0, digest: e.digest } : { entry_type: 'dir', size: 0, digest: null };
}

/** What differs between two entries at one path; metadata of a directory no layer wrote is not compared. */
function differences(a: FinalEntry, b: FinalEntry): PathChange['what'] {
  const typeA = a?.entry_type ?? 'dir';
  const typeB = b?.entry_type ?? 'dir';
  if (typeA !== typeB) return ['type'];
  const what: PathChange['what'] = [];
  if (a && b) {
    if (a.digest !== b.digest) what.push('content');
    if (a.link_target !== b.link_target) what.push('link');
    if ((a.mode & 0o7777) !== (b.mode & 0o7777) && typeA !== 'symlink') what.push('mode');
    if (a.uid !== b.uid || a.gid !== b.gid) what.push('owner');
  }
  return what;
}

function pathFigures(c: Comparison): ImageDiff['paths'] {
  const bytes = (list: PathChange[], side: 'a' | 'b') => sum(list.map((p) => p[side]?.size ?? 0));
  const added = c.changed.filter((p) => p.change === 'added');
  const removed = c.changed.filter((p) => p.change === 'removed');
  const changed = c.changed.filter((p) => p.change === 'changed');
  return {
    added: added.length,
    removed: removed.length,
    changed: changed.length,
    unchanged: c.unchanged,
    added_bytes: bytes(added, 'b'),
    removed_bytes: bytes(removed, 'a'),
    changed_bytes: bytes(changed, 'b'),
  };
}

function sum(values: number[]): number {
  return values.reduce((n, v) => n + v, 0);
}

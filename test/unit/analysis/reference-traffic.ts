/**
 * The reference of pull and update traffic (docs/metrics.md), as plain loops over a dataset's rows: versions per
 * repository ordered by `created`, then what each pull and each update moves under layer, file and chunk dedup,
 * and DupHunter's restore work. Layers and images stored twice count once, as in reference.ts.
 */
import { chunkerOf, quantileOf, type RefDataset, type RefImage, type RefLayer } from './reference-model.js';

const sum = (xs: Iterable<number>) => [...xs].reduce((n, v) => n + v, 0);

interface Moved {
  units: number;
  bytes: number;
}

export function referenceTraffic(ds: RefDataset) {
  const listed = new Set(ds.images.flatMap((i) => i.layers.map((l) => l.layer_digest)));
  const layers = new Map<string, RefLayer>();
  for (const l of ds.layers) if (!layers.has(l.layer_digest) && listed.has(l.layer_digest)) layers.set(l.layer_digest, l);
  const images = new Map<string, RefImage>();
  for (const i of ds.images) {
    const first = images.get(i.manifest_digest);
    images.set(i.manifest_digest, first ? { ...first, refs: [...first.refs, ...i.refs] } : i);
  }
  const imgs = [...images.values()];
  const blobs = (img: RefImage) => [...new Map(img.layers.map((l) => [l.layer_digest, l.compressed_size]))];
  const contents = (digests: string[]) => {
    const out = new Map<string, number>();
    for (const d of digests) for (const e of layers.get(d)?.entries ?? []) if (e.entry_type === 'file') out.set(e.digest!, e.size);
    return out;
  };
  const chunkers = [...new Set(ds.chunks.filter((c) => layers.has(c.layer_digest)).map((c) => chunkerOf(c, layers.get(c.layer_digest))!))].sort();
  const chunks = (digests: string[], chunker: string) =>
    new Map(ds.chunks.filter((c) => digests.includes(c.layer_digest) && chunkerOf(c, layers.get(c.layer_digest)) === chunker).map((c) => [c.digest, c.size]));

  // Versions: per repository, the images with `created`, by created then manifest digest.
  const byRepo = new Map<string, RefImage[]>();
  for (const img of imgs) {
    if (!img.created) continue;
    for (const r of img.refs) {
      const key = JSON.stringify([r.registry, r.repository]);
      const list = byRepo.get(key) ?? [];
      if (!list.includes(img)) list.push(img);
      byRepo.set(key, list);
    }
  }
  const pairs: [RefImage, RefImage][] = [];
  for (const list of byRepo.values()) {
    list.sort((x, y) => x.created!.getTime() - y.created!.getTime() || (x.manifest_digest < y.manifest_digest ? -1 : 1));
    for (let i = 1; i < list.length; i++) pairs.push([list[i - 1], list[i]]);
  }

  const moved = (m: Map<string, number>): Moved => ({ units: m.size, bytes: sum(m.values()) });
  const pull = (img: RefImage, design: string): Moved => {
    const ds_ = blobs(img).map(([d]) => d);
    if (design === 'layer_dedup') return { units: ds_.length, bytes: sum(blobs(img).map(([, s]) => s)) };
    return moved(design === 'file_dedup' ? contents(ds_) : chunks(ds_, design));
  };
  const fresh = (prev: RefImage, next: RefImage) => blobs(next).filter(([d]) => !prev.layers.some((l) => l.layer_digest === d));
  const update = (prev: RefImage, next: RefImage, design: string): Moved => {
    const added = fresh(prev, next);
    if (design === 'layer_dedup') return { units: added.length, bytes: sum(added.map(([, s]) => s)) };
    const held = prev.layers.map((l) => l.layer_digest);
    const had = design === 'file_dedup' ? contents(held) : chunks(held, design);
    const got = design === 'file_dedup' ? contents(added.map(([d]) => d)) : chunks(added.map(([d]) => d), design);
    return moved(new Map([...got].filter(([h]) => !had.has(h))));
  };
  const stats = (xs: Moved[]) => ({ median: quantileOf(xs.map((x) => x.bytes), 0.5), p90: quantileOf(xs.map((x) => x.bytes), 0.9), total: sum(xs.map((x) => x.bytes)) });
  const designs = imgs.length === 0 ? [] : ['layer_dedup', 'file_dedup', ...chunkers].map((design) => {
    const p = stats(imgs.map((i) => pull(i, design)));
    const u = stats(pairs.map(([a, b]) => update(a, b, design)));
    const kind = design === 'layer_dedup' || design === 'file_dedup' ? design : 'chunk_dedup';
    return {
      design: kind, chunker: kind === 'chunk_dedup' ? design : null, compressed: kind === 'layer_dedup', estimated: false,
      pulls: imgs.length, pull_bytes_median: p.median, pull_bytes_p90: p.p90, pull_bytes_total: p.total,
      updates: pairs.length, update_bytes_median: u.median, update_bytes_p90: u.p90, update_bytes_total: u.total,
    };
  });
  const restoreRow = (kind: string, sets: RefLayer[][]) => ({
    kind, count: sets.length, layers_total: sum(sets.map((s) => s.length)),
    tar_bytes_median: quantileOf(sets.map((s) => sum(s.map((l) => l.tar_size))), 0.5), tar_bytes_p90: quantileOf(sets.map((s) => sum(s.map((l) => l.tar_size))), 0.9),
    tar_bytes_total: sum(sets.map((s) => sum(s.map((l) => l.tar_size)))), files_total: sum(sets.map((s) => sum(s.map((l) => l.entries.filter((e) => e.entry_type === 'file').length)))),
  });
  const read = (digests: string[]) => digests.map((d) => layers.get(d)).filter((l): l is RefLayer => l !== undefined);
  const restore = [
    restoreRow('pull', imgs.map((i) => read(blobs(i).map(([d]) => d)))),
    restoreRow('update', pairs.map(([a, b]) => read(fresh(a, b).map(([d]) => d)))),
  ].filter((r) => r.count > 0);
  return { designs, restore };
}

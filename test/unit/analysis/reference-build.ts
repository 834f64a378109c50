/**
 * The reference of build-step attribution (docs/metrics.md, "Build steps"), as plain loops: each layer ref
 * with the history step that made it, bytes over unique layers per instruction, content waste in the layer
 * where a content repeats one lower in the image, and path waste in the layer holding the wasted copy. Layers and images stored twice count once.
 */
import { referencePathWasteByLayer, type RefDataset, type RefImage, type RefLayer } from './reference-model.js';

/** The instruction as imgscan shows it: Docker's shell prefix off, white space runs as one space. */
export function instructionOf(createdBy: string | null): string {
  const t = (createdBy ?? '').trim();
  const m = /^\/bin\/(?:ba)?sh -c +(?:#\(nop\) *)?/.exec(t);
  return (m ? t.slice(m[0].length) : t).split(/\s+/).filter(Boolean).join(' ');
}

export function referenceBuild(ds: RefDataset, top: number) {
  const listed = new Set(ds.images.flatMap((i) => i.layers.map((l) => l.layer_digest)));
  const layers = new Map<string, RefLayer>();
  for (const l of ds.layers) if (!layers.has(l.layer_digest) && listed.has(l.layer_digest)) layers.set(l.layer_digest, l);
  const images = new Map<string, RefImage>();
  for (const i of ds.images) if (!images.has(i.manifest_digest)) images.set(i.manifest_digest, i);
  const per = new Map<string, { images: Set<string>; layers: Map<string, [number, number]>; content_waste: number; path_waste: number }>();
  for (const img of images.values()) {
    const history = img.history ?? [];
    if (history.filter((h) => !h.empty_layer).length !== img.layers.length || img.layers.length === 0) continue;
    const made = history.filter((h) => !h.empty_layer);
    // Waste per position: every copy of a content after its first, by layer then tar order.
    const seen = new Set<string>();
    const waste = img.layers.map((l) => {
      let w = 0;
      for (const e of layers.get(l.layer_digest)?.entries ?? []) {
        if (e.entry_type !== 'file') continue;
        if (seen.has(e.digest!)) w += e.size;
        seen.add(e.digest!);
      }
      return w;
    });
    // Path waste per position: the overlay of the image's layers (a layer not read holds nothing).
    const empty = (digest: string): RefLayer => ({ layer_digest: digest, compression: 'none', compressed_size: 0, tar_size: 0, chunker: null, entries: [] });
    const pathWaste = referencePathWasteByLayer(img.layers.map((l) => layers.get(l.layer_digest) ?? empty(l.layer_digest)));
    img.layers.forEach((l, position) => {
      const key = instructionOf(made[position].created_by);
      const x = per.get(key) ?? { images: new Set<string>(), layers: new Map(), content_waste: 0, path_waste: 0 };
      x.images.add(img.manifest_digest);
      x.layers.set(l.layer_digest, [l.compressed_size, layers.get(l.layer_digest)?.tar_size ?? 0]);
      x.content_waste += waste[position];
      x.path_waste += pathWaste[position]!;
      per.set(key, x);
    });
  }
  const rows = [...per].map(([instruction, x]) => ({
    instruction, images: x.images.size, layers: x.layers.size,
    compressed_size: [...x.layers.values()].reduce((n, [c]) => n + c, 0), tar_size: [...x.layers.values()].reduce((n, [, t]) => n + t, 0), content_waste: x.content_waste,
    path_waste: x.path_waste,
  }));
  const by = (k: 'tar_size' | 'content_waste' | 'path_waste') => [...rows].sort((a, b) => b[k] - a[k] || (a.instruction < b.instruction ? -1 : a.instruction > b.instruction ? 1 : 0)).slice(0, top);
  const withSteps = [...images.values()].filter((i) => (i.history ?? []).filter((h) => !h.empty_layer).length === i.layers.length && i.layers.length > 0);
  return { images_with_steps: withSteps.length, by_bytes: by('tar_size'), by_content_waste: by('content_waste'), by_path_waste: by('path_waste') };
}

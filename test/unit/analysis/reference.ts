/**
 * A reference computation of every figure of summary.json, written as plain loops over the definitions in
 * docs/metrics.md and docs/analyze.md, independent of the SQL in src/analysis/sql.
 */
import { bucketOf, chunkerOf, quantileOf, referencePathWaste, refName, type RefChunk, type RefDataset, type RefImage, type RefLayer } from './reference-model.js';

export * from './reference-model.js';
import { referenceTraffic } from './reference-traffic.js';
import { referenceBuild } from './reference-build.js';

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const ratioOf = (t: number, d: number) => (d > 0 ? t / d : 1);
const saving = (r: number) => 1 - 1 / r;
const frac = (p: number, w: number) => (w > 0 ? p / w : 0);
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

function groupCount<T>(items: T[], key: (t: T) => number, weight: (t: T) => number = () => 1): Map<number, number> {
  const m = new Map<number, number>();
  for (const i of items) m.set(key(i), (m.get(key(i)) ?? 0) + weight(i));
  return m;
}

interface DigestInfo {
  digest: string;
  size: number;
  file_class: string | null;
  copies: number;
  layers: Set<string>;
  paths: Set<string>;
}

/** Every figure of summary.json but data_dirs, from the dataset's rows. */
export function referenceSummary(ds: RefDataset, top: number) {
  // A layer counts when a stored image lists it (one read for an image that then failed belongs to none).
  const listedDigests = new Set(ds.images.flatMap((i) => i.layers.map((l) => l.layer_digest)));
  const layers = new Map<string, RefLayer>();
  for (const l of ds.layers) if (!layers.has(l.layer_digest) && listedDigests.has(l.layer_digest)) layers.set(l.layer_digest, l);
  // An image ref is a (registry, repository, tag), whatever it resolved to; a ref by digest is that digest.
  const refNames = new Set<string>();
  const images = new Map<string, RefImage>();
  const refKeys = new Set<string>();
  const repos = new Set<string>();
  for (const i of ds.images) {
    if (!images.has(i.manifest_digest)) images.set(i.manifest_digest, { ...i, refs: [] });
    for (const r of i.refs) {
      const k = JSON.stringify([r.registry, r.repository, r.tag, i.manifest_digest]);
      refNames.add(JSON.stringify([r.registry, r.repository, r.tag ?? i.manifest_digest]));
      if (!refKeys.has(k)) images.get(i.manifest_digest)!.refs.push(r);
      refKeys.add(k);
      repos.add(JSON.stringify([r.registry, r.repository]));
    }
  }
  const imgs = [...images.values()];
  const refs = imgs.flatMap((i) => i.layers.map((l) => ({ ...l, image: i.manifest_digest })));
  const listed = new Map<string, { compressed_size: number; refs: number; images: Set<string> }>();
  for (const r of refs) {
    const x = listed.get(r.layer_digest) ?? { compressed_size: r.compressed_size, refs: 0, images: new Set<string>() };
    x.refs++;
    x.images.add(r.image);
    listed.set(r.layer_digest, x);
  }
  const read = [...layers.values()];
  const filesOf = (l: RefLayer) => l.entries.filter((e) => e.entry_type === 'file');
  const filesSize = (l: RefLayer) => sum(filesOf(l).map((e) => e.size));

  const dataset = {
    images: imgs.length,
    image_refs: refNames.size,
    repositories: repos.size,
    layer_refs: refs.length,
    layers_unique: listed.size,
    layers_read: read.length,
    layers_missing: [...listed.keys()].filter((d) => !layers.has(d)).length,
    entries_total: sum(read.map((l) => l.entries.length)),
    files_total: sum(read.map((l) => filesOf(l).length)),
    compressed_size: sum(read.map((l) => l.compressed_size)),
    tar_size: sum(read.map((l) => l.tar_size)),
    files_size: sum(read.map(filesSize)),
    failures: ds.failures,
  };

  const refBytes = sum(refs.map((r) => r.compressed_size));
  const uniqueBytes = sum([...listed.values()].map((x) => x.compressed_size));
  const layerRatio = ratioOf(refBytes, uniqueBytes);
  const byRefs = new Map<number, { layers: number; compressed_size: number }>();
  for (const x of listed.values()) {
    const g = byRefs.get(x.refs) ?? { layers: 0, compressed_size: 0 };
    g.layers++;
    g.compressed_size += x.compressed_size;
    byRefs.set(x.refs, g);
  }
  const perImage = groupCount(imgs, (i) => i.layers.length);
  const measures = ['compressed_size', 'tar_size'] as const;
  const compressions = [...new Set(read.map((l) => l.compression))].sort(cmp);
  const ratioStats = (ls: RefLayer[], compression: string) => {
    const r = ls.filter((l) => l.compressed_size > 0).map((l) => l.tar_size / l.compressed_size);
    return { compression, layers: r.length, p10: quantileOf(r, 0.1), median: quantileOf(r, 0.5), p90: quantileOf(r, 0.9) };
  };
  const layer = {
    layer_refs: refs.length,
    layers_unique: listed.size,
    layer_refs_compressed_size: refBytes,
    layers_unique_compressed_size: uniqueBytes,
    layer_dedup_ratio: layerRatio,
    layer_sharing_savings: saving(layerRatio),
    layer_ref_counts: [...byRefs].sort((a, b) => a[0] - b[0]).map(([n, g]) => ({ layer_refs: n, ...g })),
    top_layers: [...listed]
      .filter(([, x]) => x.refs > 1)
      .map(([d, x]) => {
        const l = layers.get(d);
        return {
          layer_digest: d, layer_refs: x.refs, images: x.images.size, compressed_size: x.compressed_size, tar_size: l?.tar_size ?? null,
          file_count: l ? filesOf(l).length : null, compression: l?.compression ?? null, bytes_saved: (x.refs - 1) * x.compressed_size,
        };
      })
      .sort((a, b) => b.layer_refs - a.layer_refs || b.bytes_saved - a.bytes_saved || cmp(a.layer_digest, b.layer_digest))
      .slice(0, top),
    layers_per_image: [...perImage].sort((a, b) => a[0] - b[0]).map(([n, c]) => ({ layers: n, images: c })),
    sizes: measures.map((m) => {
      const v = read.map((l) => l[m]);
      return { measure: m, layers: v.length, p10: quantileOf(v, 0.1), median: quantileOf(v, 0.5), p90: quantileOf(v, 0.9), max: v.length ? Math.max(...v) : null };
    }),
    size_buckets: measures.flatMap((m) => [...groupCount(read, (l) => bucketOf(l[m]))].sort((a, b) => a[0] - b[0]).map(([u, n]) => ({ measure: m, upper: u, layers: n }))),
    compression_ratio: [...compressions.map((c) => ratioStats(read.filter((l) => l.compression === c), c)), ratioStats(read, 'all')],
  };

  // File level, over unique layers read.
  const digests = new Map<string, DigestInfo>();
  for (const l of read) {
    for (const e of filesOf(l)) {
      const d = digests.get(e.digest!) ?? { digest: e.digest!, size: e.size, file_class: e.file_class, copies: 0, layers: new Set<string>(), paths: new Set<string>() };
      d.copies++;
      d.layers.add(l.layer_digest);
      d.paths.add(e.path);
      digests.set(e.digest!, d);
    }
  }
  const redundancy = (ds: DigestInfo[]) => {
    const filesTotal = sum(ds.map((d) => d.copies));
    const bytesTotal = sum(ds.map((d) => d.copies * d.size));
    const bytesDistinct = sum(ds.map((d) => d.size));
    const singles = ds.filter((d) => d.copies === 1).length;
    const r = ratioOf(bytesTotal, bytesDistinct);
    return {
      files_total: filesTotal, files_distinct: ds.length, singleton_files: singles,
      distinct_file_fraction: frac(ds.length, filesTotal), singleton_file_fraction: frac(singles, filesTotal),
      file_bytes_total: bytesTotal, file_bytes_distinct: bytesDistinct, file_dedup_ratio: r, file_dedup_savings: saving(r),
      intra_layer: sum(ds.map((d) => d.copies - d.layers.size)), cross_layer: sum(ds.map((d) => d.layers.size - 1)),
      intra_layer_bytes: sum(ds.map((d) => (d.copies - d.layers.size) * d.size)), cross_layer_bytes: sum(ds.map((d) => (d.layers.size - 1) * d.size)),
    };
  };
  const all = [...digests.values()];
  const total = redundancy(all);
  const classes = [...new Set(all.map((d) => d.file_class ?? 'unknown'))];
  const bucketRows = new Map<number, { files: number; files_distinct: number; file_bytes: number; file_bytes_distinct: number }>();
  for (const d of all) {
    const b = bucketRows.get(bucketOf(d.size)) ?? { files: 0, files_distinct: 0, file_bytes: 0, file_bytes_distinct: 0 };
    b.files += d.copies;
    b.files_distinct++;
    b.file_bytes += d.copies * d.size;
    b.file_bytes_distinct += d.size;
    bucketRows.set(bucketOf(d.size), b);
  }
  const file = {
    ...total,
    by_class: classes
      .map((c) => {
        const r = redundancy(all.filter((d) => (d.file_class ?? 'unknown') === c));
        return { file_class: c, ...r, bytes_share: frac(r.file_bytes_total, total.file_bytes_total) };
      })
      .sort((a, b) => b.file_bytes_total - a.file_bytes_total || cmp(a.file_class, b.file_class)),
    size_buckets: [...bucketRows].sort((a, b) => a[0] - b[0]).map(([u, b]) => ({ upper: u, ...b })),
    top_duplicates: all
      .filter((d) => d.copies > 1)
      .map((d) => ({
        digest: d.digest, size: d.size, file_class: d.file_class, copies: d.copies, layers: d.layers.size, bytes_saved: (d.copies - 1) * d.size,
        paths_distinct: d.paths.size, paths: [...d.paths].sort(cmp).slice(0, 3),
      }))
      .sort((a, b) => b.bytes_saved - a.bytes_saved || cmp(a.digest, b.digest))
      .slice(0, top),
  };

  // Per image.
  const perImageRows = imgs.map((i) => {
    const own = i.layers.map((l) => layers.get(l.layer_digest)).filter((l): l is RefLayer => !!l);
    const seen = new Set<string>();
    let content = 0;
    for (const l of own) for (const e of filesOf(l)) seen.has(e.digest!) ? (content += e.size) : seen.add(e.digest!);
    const fsz = sum(own.map(filesSize));
    const pw = referencePathWaste(own);
    return {
      manifest_digest: i.manifest_digest,
      ref: i.refs.length ? i.refs.map(refName).sort(cmp)[0] : null,
      layer_refs: i.layers.length, layers_read: own.length,
      compressed_size: sum(i.layers.map((l) => l.compressed_size)), tar_size: sum(own.map((l) => l.tar_size)),
      files_size: fsz, file_count: sum(own.map((l) => filesOf(l).length)),
      content_waste: content, path_waste: pw, image_efficiency: fsz > 0 ? 1 - pw / fsz : 1,
    };
  });
  perImageRows.sort((a, b) => a.image_efficiency - b.image_efficiency || b.path_waste - a.path_waste || cmp(a.manifest_digest, b.manifest_digest));
  const imgFiles = sum(perImageRows.map((r) => r.files_size));
  const effs = perImageRows.map((r) => r.image_efficiency);
  const image = {
    images: perImageRows.length, files_size: imgFiles,
    content_waste: sum(perImageRows.map((r) => r.content_waste)), path_waste: sum(perImageRows.map((r) => r.path_waste)),
    content_waste_fraction: frac(sum(perImageRows.map((r) => r.content_waste)), imgFiles),
    path_waste_fraction: frac(sum(perImageRows.map((r) => r.path_waste)), imgFiles),
    image_efficiency_median: quantileOf(effs, 0.5), image_efficiency_p10: quantileOf(effs, 0.1),
    least_efficient: perImageRows.slice(0, top),
  };

  // Chunks, per chunker over the layers it chunked (layers.chunker lists them; each chunk row once).
  const layerChunkers = (l: RefLayer) => (l.chunker === null ? [] : l.chunker.split(','));
  const chunkRows = new Map<string, RefChunk & { name: string }>();
  for (const c of ds.chunks) {
    const name = chunkerOf(c, layers.get(c.layer_digest));
    if (name !== null) chunkRows.set(`${c.layer_digest} ${name} ${c.entry_index} ${c.chunk_index}`, { ...c, name });
  }
  const sizesOf = (name: string) => {
    const fixed = /^fixed-(\d+)$/.exec(name);
    const roll = /^rollsum-(\d+)$/.exec(name);
    const cdc = /^([a-z0-9]+)-(\d+)-(\d+)-(\d+)$/i.exec(name);
    if (fixed) return { algorithm: 'fixed', avg: Number(fixed[1]), min: null, max: Number(fixed[1]) };
    if (roll) return { algorithm: 'rollsum', avg: Number(roll[1]), min: null, max: null };
    return cdc ? { algorithm: cdc[1], avg: Number(cdc[2]), min: Number(cdc[3]), max: Number(cdc[4]) } : { algorithm: name, avg: null, min: null, max: null };
  };
  const chunkers = [...new Set(read.flatMap(layerChunkers))].sort(cmp).map((name) => {
    const ls = read.filter((l) => layerChunkers(l).includes(name));
    const ids = new Set(ls.map((l) => l.layer_digest));
    const cs = [...chunkRows.values()].filter((c) => ids.has(c.layer_digest) && c.name === name);
    const distinct = new Map(cs.map((c) => [c.digest, c.size]));
    const bytesTotal = sum(cs.map((c) => c.size));
    const bytesDistinct = sum([...distinct.values()]);
    const r = ratioOf(bytesTotal, bytesDistinct);
    return {
      chunker: name, ...sizesOf(name),
      layers: ls.length, files_size: sum(ls.map(filesSize)), chunk_refs: cs.length, chunk_bytes_total: bytesTotal,
      chunks_distinct: distinct.size, chunk_bytes_distinct: bytesDistinct, chunk_dedup_ratio: r, chunk_dedup_savings: saving(r),
    };
  });
  const chunk = { available: chunkers.some((c) => c.chunk_refs > 0), layers_chunked: sum(chunkers.map((c) => c.layers)), chunkers };

  // Storage designs over the layers read.
  const readRefs = refs.map((r) => layers.get(r.layer_digest)).filter((l): l is RefLayer => !!l);
  const base = sum(read.map((l) => l.tar_size));
  const baseC = sum(read.map((l) => l.compressed_size));
  const metadata = sum(read.map((l) => l.tar_size - (filesSize(l) - (l.sparse_hole_size ?? 0))));
  const design = (name: string, content: number, meta: number, compressed: number | null, c?: (typeof chunkers)[number]) => ({
    design: name, chunker: c?.chunker ?? null, content_bytes: content, metadata_bytes: meta,
    chunk_refs: c?.chunk_refs ?? null, chunks_distinct: c?.chunks_distinct ?? null, chunk_ref_bytes: c ? 32 : null,
    uncompressed_bytes: content + meta, compressed_bytes: compressed,
    ratio_to_layer_dedup: base > 0 ? (content + meta) / base : 1, compressed_ratio_to_layer_dedup: compressed === null ? null : baseC > 0 ? compressed / baseC : 1,
  });
  const designs = [
    design('per_image', sum(readRefs.map((l) => filesSize(l) - (l.sparse_hole_size ?? 0))), sum(readRefs.map((l) => l.tar_size - (filesSize(l) - (l.sparse_hole_size ?? 0)))), sum(readRefs.map((l) => l.compressed_size))),
    design('layer_dedup', base - metadata, metadata, baseC),
    design('file_dedup', total.file_bytes_distinct, metadata, null),
  ];
  const full = chunk.available ? chunkers.filter((c) => c.layers === read.length) : [];
  for (const c of full) designs.push(design('chunk_dedup', c.chunk_bytes_distinct, metadata + 32 * c.chunk_refs, null, c));
  const fileCounts = read.map((l) => filesOf(l).length);
  const storage = {
    designs,
    chunk_dedup_note: chunk.available && full.length === chunkers.length ? null : 'present',
    pull_cost: {
      files_per_layer_median: quantileOf(fileCounts, 0.5), files_per_layer_p90: quantileOf(fileCounts, 0.9),
      tar_size_per_layer_median: quantileOf(read.map((l) => l.tar_size), 0.5), tar_size_per_layer_p90: quantileOf(read.map((l) => l.tar_size), 0.9),
      files_per_image_median: quantileOf(perImageRows.map((r) => r.file_count), 0.5), files_per_image_p90: quantileOf(perImageRows.map((r) => r.file_count), 0.9),
    },
  };
  const elf = file.by_class.find((c) => c.file_class === 'elf');
  const hasFiles = total.files_total > 0;
  const docker_hub = [
    { figure: 'distinct_file_fraction', ours: hasFiles ? total.distinct_file_fraction : null, docker_hub: 0.03 },
    { figure: 'file_dedup_ratio', ours: hasFiles ? total.file_dedup_ratio : null, docker_hub: 6.9 },
    { figure: 'compression_ratio (median)', ours: layer.compression_ratio.at(-1)!.median, docker_hub: 2.6 },
    { figure: 'elf bytes_share', ours: hasFiles ? (elf?.bytes_share ?? 0) : null, docker_hub: 0.37 },
  ];
  return { schema_version: 1, dataset, layer, file, image, storage, chunk, traffic: referenceTraffic(ds), build: referenceBuild(ds, top), docker_hub, allImages: perImageRows };
}

/**
 * Differences between an actual value and the reference: numbers within a relative 1e-9, objects key by key
 * (keys the reference lacks are skipped when listed in `skip`), arrays element by element.
 */
export function differences(actual: unknown, expected: unknown, path = '$', skip: ReadonlySet<string> = new Set()): string[] {
  if (typeof expected === 'number' && typeof actual === 'number') {
    return Math.abs(actual - expected) <= 1e-9 * Math.max(1, Math.abs(expected)) ? [] : [`${path}: ${actual} != ${expected}`];
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return [`${path}: not an array`];
    const out = actual.length === expected.length ? [] : [`${path}: length ${actual.length} != ${expected.length}`];
    for (let i = 0; i < Math.min(actual.length, expected.length); i++) out.push(...differences(actual[i], expected[i], `${path}[${i}]`, skip));
    return out;
  }
  if (expected !== null && typeof expected === 'object') {
    if (actual === null || typeof actual !== 'object') return [`${path}: not an object`];
    const out: string[] = [];
    for (const [k, v] of Object.entries(expected)) {
      if (skip.has(k)) continue;
      if (!(k in (actual as object))) out.push(`${path}.${k}: missing`);
      else out.push(...differences((actual as Record<string, unknown>)[k], v, `${path}.${k}`, skip));
    }
    return out;
  }
  return Object.is(actual, expected) ? [] : [`${path}: ${JSON.stringify(actual)} != ${JSON.stringify(expected)}`];
}

import { comparableRepositories } from '../../analysis/published.js';
import { mdHeading, mdTable } from '../markdown.js';
import type { Summary } from '../../analysis/types.js';
import { type Chart, chartLink } from './charts.js';
import { formatBytesExact, formatDecimal, formatPercentFine, formatRatio, shortDigest } from '../../format/text.js';
import { columns } from './columns.js';
import { trafficSection } from './traffic.js';
import { buildSection } from './build-steps.js';
import { compressionSection, storageTable } from './compression.js';

/** Sections 4 to 7 of report.md: per image, storage designs, chunk level, the Docker Hub figures. */
export function imageSections(s: Summary, charts: readonly Chart[]): string[] {
  const im = s.image;
  return [
    mdHeading(2, '4. Per image'),
    'content_waste (content-based): bytes of an image\'s files whose digest already appears in a lower layer of the image or earlier in the same layer. ' +
      'path_waste (path-based, as dive): bytes of file copies hidden in the final filesystem at a path that another layer of the image also writes or deletes ' +
      '(overwritten higher up, deleted by a whiteout, or below a directory a higher layer deletes, makes opaque or replaces). ' +
      'image_efficiency = 1 - path_waste / files_size of the image.',
    '',
    mdTable(columns(['figure', 'value']), [
      ['images', im.images],
      ['files_size (sum over images)', formatBytesExact(im.files_size)],
      ['content_waste', `${formatBytesExact(im.content_waste)}, ${formatPercentFine(im.content_waste_fraction)}`],
      ['path_waste', `${formatBytesExact(im.path_waste)}, ${formatPercentFine(im.path_waste_fraction)}`],
      ['image_efficiency (median)', formatPercentFine(im.image_efficiency_median)],
      ['image_efficiency (p10)', formatPercentFine(im.image_efficiency_p10)],
    ]),
    chartLink(charts, 'image-efficiency.svg'),
    mdHeading(3, 'Least efficient images'),
    mdTable(
      columns(['image', 'manifest_digest', 'layer_refs', 'files_size', 'content_waste', 'path_waste', 'image_efficiency']),
      im.least_efficient.map((i) => [i.ref ?? '', shortDigest(i.manifest_digest), i.layer_refs, formatBytesExact(i.files_size), formatBytesExact(i.content_waste), formatBytesExact(i.path_waste), formatPercentFine(i.image_efficiency)]),
    ),
    ...buildSection(s),
    ...storageSection(s, charts),
    ...chunkSection(s),
    ...publishedSection(s),
  ];
}

/** Section 5: the storage designs (a chunk_dedup row per chunker that chunked every layer read), then traffic. */
function storageSection(s: Summary, charts: readonly Chart[]): string[] {
  const st = s.storage;
  const p = st.pull_cost;
  return [
    mdHeading(2, '5. Storage designs compared'),
    'Bytes a registry keeps for the layers read. per_image: every image keeps its own layers; layer_dedup: each unique layer once (today\'s registries); ' +
      'file_dedup: each distinct file content once plus per-layer metadata (DupHunter-style); chunk_dedup, one row per chunker that chunked every layer read: ' +
      'each distinct chunk once plus the same metadata and the chunk lists, chunk_ref_bytes (the chunk\'s digest) per chunk reference. ' +
      'Metadata of a layer = tar_size - files_size: its tar headers (with PAX and GNU long-name records), ' +
      'padding and end-of-archive blocks, i.e. everything in the tar but file contents. Compressed bytes are measured where whole layer blobs are kept ' +
      '(as the registry stores them); for file and chunk dedup they are estimated from the compression sample: each distinct content (or chunk) ' +
      'compressed with gzip -6 (zstd -3 beside it), plus the layers\' metadata compressed, plus the chunk references as they are.',
    '',
    storageTable(s),
    st.chunk_dedup_note ? `chunk_dedup: ${st.chunk_dedup_note}.\n` : '',
    chartLink(charts, 'storage-designs.svg'),
    ...compressionSection(s),
    mdHeading(3, 'What file-level dedup costs on a pull'),
    'DupHunter restores a layer on a pull: its files are fetched, re-tarred and recompressed. The work per pull, over the unique layers read and over the images:',
    '',
    mdTable(columns(['figure', 'median', 'p90']), [
      ['files to reassemble per layer', formatDecimal(p.files_per_layer_median), formatDecimal(p.files_per_layer_p90)],
      ['tar bytes to rebuild and recompress per layer', formatBytesExact(p.tar_size_per_layer_median), formatBytesExact(p.tar_size_per_layer_p90)],
      ['files to reassemble per image pull', formatDecimal(p.files_per_image_median), formatDecimal(p.files_per_image_p90)],
    ]),
    ...trafficSection(s),
  ];
}

/** Section 6: the chunk figures of each chunker. */
function chunkSection(s: Summary): string[] {
  return [
    mdHeading(2, '6. Chunk level'),
    s.chunk.available
      ? mdTable(
          columns(['chunker', 'avg', 'min', 'max', 'layers', 'chunk_refs', 'chunk_bytes_total', 'chunks_distinct', 'chunk_bytes_distinct', 'chunk_dedup_ratio', 'chunk_dedup_savings']),
          s.chunk.chunkers.map((c) => [c.chunker, c.avg, c.min, c.max, c.layers, c.chunk_refs, formatBytesExact(c.chunk_bytes_total), c.chunks_distinct, formatBytesExact(c.chunk_bytes_distinct), formatRatio(c.chunk_dedup_ratio), formatPercentFine(c.chunk_dedup_savings)]),
        )
      : 'no chunk data: scan with `--chunking` (e.g. `--chunking fastcdc:16k,fixed:1m,rollsum:64k`) to record chunk digests.\n',
  ];
}

/** Section 7: the published Docker Hub figures beside ours, with a warning where the dataset is too small. */
function publishedSection(s: Summary): string[] {
  return [
    mdHeading(2, '7. Published Docker Hub figures beside ours'),
    ...(s.dataset.repositories < comparableRepositories
      ? [`**Too small to compare:** ${s.dataset.repositories} ${s.dataset.repositories === 1 ? 'repository' : 'repositories'}, fewer than ${comparableRepositories}. These figures depend on the content many repositories share; on a sample this small they describe the images picked, not a registry. They are shown for reference only.\n`]
      : []),
    mdTable(columns(['figure', 'ours', 'Docker Hub', 'source']), s.docker_hub.map((h) => [h.figure, formatDecimal(h.ours), formatDecimal(h.docker_hub), h.source])),
  ];
}

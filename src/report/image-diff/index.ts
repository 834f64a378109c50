import type { ImageDiff, PathChange } from '../../analysis/diff.js';
import { formatBytes } from '../../format/text.js';
import { mdHeading, mdTable } from '../markdown.js';

/** `imgscan diff` as Markdown: the two images, their layers, the final filesystems and the pull traffic. */
export function diffMarkdown(d: ImageDiff): string {
  return [
    mdHeading(1, `${d.a.ref} -> ${d.b.ref}`),
    mdTable(['image', 'manifest_digest', 'layer_refs', 'compressed_size'], [d.a, d.b].map((i, n) => [`${n ? 'B' : 'A'}: ${i.ref}`, i.manifest_digest, i.layer_refs, bytes(i.compressed_size)])),
    mdHeading(2, 'Layers'),
    mdTable(['shared', 'shared_compressed_size', 'only_a', 'only_b', 'only_b_compressed_size', 'not_read'], [[d.layers.shared, bytes(d.layers.shared_compressed_size), d.layers.only_a, d.layers.only_b, bytes(d.layers.only_b_compressed_size), d.layers.not_read]]),
    mdHeading(2, 'Final filesystem'),
    mdTable(['change', 'paths', 'file bytes'], [
      ['added', d.paths.added, bytes(d.paths.added_bytes)],
      ['removed', d.paths.removed, bytes(d.paths.removed_bytes)],
      ['changed', d.paths.changed, bytes(d.paths.changed_bytes)],
      ['unchanged', d.paths.unchanged, ''],
    ]),
    mdHeading(2, 'Pull traffic for B'),
    'pull: B from nothing; update: B for a client holding A. layer_dedup moves compressed blobs; file_dedup and chunk_dedup count the distinct contents (or chunks) to move, uncompressed and, where the two images have a compression sample, compressed as estimated from it (gzip -6).',
    mdTable(['design', 'chunker', 'bytes', 'pull_count', 'pull_bytes', 'update_count', 'update_bytes'], d.designs.map((t) => [t.design, t.chunker ?? '', !t.compressed ? 'uncompressed' : t.estimated ? 'compressed (estimated)' : 'compressed', t.pull_count, bytes(t.pull_bytes), t.update_count, bytes(t.update_bytes)])),
    ...(d.changes.length ? [mdHeading(2, 'Paths that differ'), mdTable(['path', 'change', 'what', 'a', 'b'], d.changes.map(changeRow))] : []),
  ].join('\n\n').replace(/\n{3,}/g, '\n\n') + '\n';
}

function changeRow(c: PathChange): string[] {
  const side = (s: PathChange['a']) => (s === null ? '' : s.entry_type === 'file' ? `file ${bytes(s.size)}` : s.entry_type);
  return [c.path, c.change, c.what.join(', '), side(c.a), side(c.b)];
}

function bytes(n: number): string {
  return `${formatBytes(n)} (${n})`;
}

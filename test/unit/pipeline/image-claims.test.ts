import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { queryDataset } from '../../support/dataset.js';
import { buildDemoLayout } from '../../../src/demo/demo.js';
import { scanSources } from '../../../src/pipeline/scan.js';
import { openLocalSource } from '../../../src/sources/open.js';
import type { Image, ImageRef, Source } from '../../../src/sources/types.js';
import { claimName } from '../../../src/store/claims.js';
import { claimsDirName } from '../../../src/store/layout.js';
import { DatasetWriter } from '../../../src/store/writer.js';

const work = mkdtempSync(join(tmpdir(), 'imgscan-image-claims-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The images of `sources`, then a pause until `resume` is called: the scan cannot end (and commit) before. */
function pausedAfter(sources: Source[]): { source: Source; resume: () => void } {
  let resume!: () => void;
  const paused = new Promise<void>((r) => (resume = r));
  const source: Source = {
    name: 'paused',
    async *images(): AsyncGenerator<Image> {
      for (const s of sources) yield* s.images();
      await paused;
    },
    close: async () => undefined,
  };
  return { source, resume };
}

describe('image claims within one writer', () => {
  it('an image met again under another ref keeps its claim until its rows are committed', async () => {
    const layout = join(work, 'layout');
    await buildDemoLayout(layout);
    const data = join(work, 'data');
    const writer = await DatasetWriter.open(data);
    // The same image under the same tag from two sources: stored by the first, refs only from the second.
    const { source, resume } = pausedAfter([openLocalSource(`oci:${layout}:base`), openLocalSource(`oci:${layout}:base`)]);
    let digest = '';
    const scan = scanSources([source], writer, {
      workers: 0,
      commitRows: 1e9,
      commitSeconds: 3600,
      progress: { image: (image) => void (digest = image.digest) },
    });
    // Wait until the image is stored (staged, not committed): both of its sources have then been handled.
    for (let i = 0; i < 500 && !(digest && writer.hasImage(digest)); i++) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 300));
    expect(writer.hasImage(digest)).toBe(true);
    const claim = join(data, claimsDirName, claimName('image', digest));
    // Staged, not committed: another writer must still find the image claimed.
    expect(existsSync(claim)).toBe(true);
    resume();
    const summary = await scan;
    writer.close();
    expect(summary.images_stored).toBe(1);
    expect(existsSync(claim)).toBe(false);
  });
});

/** The images of `source` under one other name (a mirror's). */
function renamed(source: Source, ref: ImageRef): Source {
  return {
    name: `renamed ${source.name}`,
    async *images(): AsyncGenerator<Image> {
      for await (const image of source.images()) yield Object.create(image, { refs: { value: [ref] } }) as Image;
    },
    close: () => source.close(),
  };
}

describe('image claims between writers', () => {
  it('two writers meeting a stored image under the same new name store the ref once', async () => {
    const layout = join(work, 'layout-refs');
    await buildDemoLayout(layout);
    const data = join(work, 'data-refs');
    const quiet = { workers: 0, commitRows: 1e9, commitSeconds: 3600 };
    // The image is stored first, under its own name.
    const first = await DatasetWriter.open(data);
    await scanSources([openLocalSource(`oci:${layout}:base`)], first, quiet);
    first.close();
    const mirror: ImageRef = { registry: 'oci', repository: `${layout}-mirror`, tag: 'base' };
    const refRow = (digest: string) => ({ ...mirror, manifest_digest: digest, index_digest: null });

    // Writer a stages the new ref and does not commit (its source pauses, its commit thresholds are far away).
    const a = await DatasetWriter.open(data);
    const b = await DatasetWriter.open(data);
    let digest = '';
    const { source, resume } = pausedAfter([renamed(openLocalSource(`oci:${layout}:base`), mirror)]);
    const scanA = scanSources([source], a, { ...quiet, progress: { image: (image) => void (digest = image.digest) } });
    for (let i = 0; i < 500 && !(digest && a.hasRef(refRow(digest))); i++) await new Promise((r) => setTimeout(r, 20));
    expect(a.hasRef(refRow(digest))).toBe(true);
    // Then writer b meets the image under the same name, and runs to its end while a still holds the ref.
    const summaryB = await scanSources([renamed(openLocalSource(`oci:${layout}:base`), mirror)], b, quiet);
    resume();
    const summaryA = await scanA;
    a.close();
    b.close();
    expect(summaryA.image_refs_added).toBe(1);
    expect(summaryB.image_refs_added).toBe(0);
    const rows = await queryDataset<{ n: number }>(data, `SELECT count(*) AS n FROM image_refs WHERE repository = '${mirror.repository}'`);
    expect(rows[0]!.n).toBe(1);
    expect(readdirSync(join(data, claimsDirName))).toEqual([]);
  }, 30_000);
});

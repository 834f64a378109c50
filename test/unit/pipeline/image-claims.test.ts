import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildDemoLayout } from '../../../src/demo/demo.js';
import { scanSources } from '../../../src/pipeline/scan.js';
import { openLocalSource } from '../../../src/sources/open.js';
import type { Image, Source } from '../../../src/sources/types.js';
import { claimName, claimsDirName } from '../../../src/store/claims.js';
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

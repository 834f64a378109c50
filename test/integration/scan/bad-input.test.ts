import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, queryDataset } from '../../support/dataset.js';
import { expectedLayer } from '../../support/expected.js';
import { BAD_CASES, buildBadFixtures, buildFixtures, blobFile, type BadCase, type BadFixture } from '../../support/fixtures.js';

let work: string;
let bad: Record<BadCase, BadFixture>;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'imgscan-bad-it-'));
  const good = await buildFixtures(join(work, 'fixtures'));
  bad = await buildBadFixtures(join(work, 'bad'), good);
}, 300_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('bad input stops the scan with a clear error and keeps finished layers', () => {
  it.each(BAD_CASES)('%s', async (name) => {
    const f = bad[name];
    const data = join(work, `data-${name}`);
    // One worker, layers in order: the layer before the broken one finishes first.
    const r = await cli(['scan', f.ref, '--data', data, '--workers', '1']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`[${f.expectedCode}]`);
    expect(r.stderr).toContain(f.badLayer);
    expect(r.stderr).toContain('image ');
    expect(r.stderr).toContain(f.manifestDigest);

    const layers = await queryDataset<{ layer_digest: string }>(data, 'SELECT layer_digest FROM layers');
    const stored = new Set(layers.map((l) => l.layer_digest));
    expect(stored.has(f.badLayer) && f.expectedCode !== 'DIFFID_MISMATCH').toBe(false);
    for (const digest of f.goodBefore) {
      expect(stored.has(digest), `layer before the bad one: ${digest}`).toBe(true);
      const want = await expectedLayer(blobFile(f.layout, digest));
      const [n] = await queryDataset<{ n: number }>(data, `SELECT count(*) AS n FROM files WHERE layer_digest = '${digest}'`);
      expect(n.n).toBe(want.entries.length);
    }
    // No rows of a layer that did not finish, and the image itself is not stored.
    const orphans = await queryDataset<{ n: number }>(data, 'SELECT count(*) AS n FROM files WHERE layer_digest NOT IN (SELECT layer_digest FROM layers)');
    expect(orphans[0].n).toBe(0);
    const images = await queryDataset<{ n: number }>(data, `SELECT count(*) AS n FROM images WHERE manifest_digest = '${f.manifestDigest}'`);
    expect(images[0].n).toBe(0);
  });
});

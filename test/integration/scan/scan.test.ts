import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, datasetRows, queryDataset } from '../../support/dataset.js';
import { expectedLayer, type ExpectedLayer } from '../../support/expected.js';
import { buildFixtures, type Fixtures } from '../../support/fixtures.js';

let fx: Fixtures;
let work: string;
let data: string;
let firstRun: { code: number | null; stdout: string; stderr: string };
const expected = new Map<string, ExpectedLayer>();

function sources(f: Fixtures): string[] {
  return [
    `oci:${f.layouts.main.path}`,
    `oci:${f.layouts.zstd.path}`,
    `oci:${f.layouts.plain.path}`,
    `oci:${f.layouts.mixed.path}`,
    `oci:${f.layouts.multi.path}`,
    f.archives.classic.ref,
    f.archives.ociInside.ref,
  ];
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'imgscan-scan-it-'));
  fx = await buildFixtures(join(work, 'fixtures'));
  data = join(work, 'data');
  firstRun = await cli(['scan', ...sources(fx), '--data', data, '--json', '--workers', '2']);
  const blobs = new Map<string, string>();
  for (const image of Object.values(fx.images)) for (const l of image.layerDescriptors) blobs.set(l.digest, l.blob);
  for (const [digest, blob] of blobs) expected.set(digest, await expectedLayer(blob));
}, 300_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('imgscan scan on real images', () => {
  it('exits 0 and summarizes in JSON', () => {
    expect(firstRun.stderr).toBe('');
    expect(firstRun.code).toBe(0);
    const summary = JSON.parse(firstRun.stdout);
    expect(summary.failures).toBe(0);
    expect(summary.images).toBeGreaterThanOrEqual(Object.keys(fx.images).length);
  });

  it('stores every image by manifest digest with its layers in order', async () => {
    const images = await queryDataset<{ manifest_digest: string; config_digest: string; os: string; architecture: string; layer_count: number }>(data, 'SELECT * FROM images');
    const byDigest = new Map(images.map((i) => [i.manifest_digest, i]));
    expect(byDigest.size).toBe(images.length);
    for (const image of Object.values(fx.images)) {
      const row = byDigest.get(image.manifestDigest);
      expect(row, image.name).toBeDefined();
      expect(row).toMatchObject({ config_digest: image.configDigest, os: image.os, architecture: image.architecture, layer_count: image.layers.length });
      const layers = await queryDataset<{ layer_digest: string; diff_id: string }>(data, `SELECT layer_digest, diff_id FROM image_layers WHERE manifest_digest = '${image.manifestDigest}' ORDER BY position`);
      expect(layers.map((l) => l.layer_digest)).toEqual(image.layers);
      expect(layers.map((l) => l.diff_id)).toEqual(image.diffIds);
    }
  });

  it('resolves the multi-platform index to both platforms and records the index digest', async () => {
    const refs = await queryDataset<{ manifest_digest: string; index_digest: string }>(data, `SELECT manifest_digest, index_digest FROM image_refs WHERE repository = '${fx.layouts.multi.path}'`);
    expect(refs.map((r) => r.manifest_digest).sort()).toEqual(fx.multiIndex.manifests.map((m) => m.digest).sort());
    expect(new Set(refs.map((r) => r.index_digest))).toEqual(new Set([fx.multiIndex.digest]));
  });

  it('reads each unique layer once, and its figures equal tar + sha256sum + b3sum', async () => {
    const layers = await queryDataset<Record<string, unknown>>(data, 'SELECT * FROM layers');
    const digests = layers.map((l) => l.layer_digest as string);
    expect(new Set(digests).size).toBe(digests.length);
    const archiveLayers = new Set(fx.archives.classic.diffIds);
    expect(new Set(digests)).toEqual(new Set([...expected.keys(), ...archiveLayers]));
    for (const row of layers) {
      const exp = expected.get(row.layer_digest as string);
      if (!exp) continue;
      const { blob: _b, entries: _e, ...figures } = exp;
      expect(row, row.layer_digest as string).toMatchObject(figures);
    }
  });

  it('records every tar entry with the content digest b3sum gives', async () => {
    for (const [digest, exp] of expected) {
      const rows = await queryDataset<Record<string, unknown>>(data, `SELECT * EXCLUDE (layer_digest, file_class, gzip_size, zstd_size, content_key1, content_key2) FROM files WHERE layer_digest = '${digest}' ORDER BY entry_index`);
      const want = exp.entries.map(({ name: _n, ...e }) => e);
      expect(rows.length, digest).toBe(want.length);
      rows.forEach((row, i) => expect(row, `${digest} #${i} ${want[i].path}`).toEqual(want[i]));
    }
  });

  it('keys each file by the first 16 bytes of the digest b3sum gives (content_key1, content_key2)', async () => {
    // Read as text: the keys are unsigned 64-bit, beyond what a JS number holds exactly.
    const keyed = (k: string) => `CASE WHEN ${k} IS NULL THEN NULL ELSE ${k}::VARCHAR END`;
    let keyedFiles = 0;
    for (const [digest, exp] of expected) {
      const rows = await queryDataset<{ k1: string | null; k2: string | null }>(data, `SELECT ${keyed('content_key1')} AS k1, ${keyed('content_key2')} AS k2 FROM files WHERE layer_digest = '${digest}' ORDER BY entry_index`);
      const want = exp.entries.map((e) => (e.digest === null ? [null, null] : [BigInt(`0x${e.digest.slice(0, 16)}`).toString(), BigInt(`0x${e.digest.slice(16, 32)}`).toString()]));
      expect(rows.map((r) => [r.k1, r.k2]), digest).toEqual(want);
      keyedFiles += want.filter((w) => w[0] !== null).length;
    }
    expect(keyedFiles).toBeGreaterThan(100);
  });

  describe('covers the awkward entries', () => {
    let counts: Record<string, number>;
    beforeAll(async () => {
      [counts] = await queryDataset<Record<string, number>>(
        data,
        `SELECT sum(whiteout_count) AS w, sum(opaque_count) AS o, sum(hardlink_count) AS h, sum(symlink_count) AS s, count(DISTINCT compression) AS c FROM layers`,
      );
    });

    it('whiteouts, opaque directories, hardlinks and symlinks', () => {
      expect(counts.w).toBeGreaterThan(0);
      expect(counts.o).toBeGreaterThan(0);
      expect(counts.h).toBeGreaterThan(0);
      expect(counts.s).toBeGreaterThan(0);
    });

    it('three compressions', () => {
      expect(counts.c).toBe(3);
    });

    it('paths longer than 255 bytes', async () => {
      const [long] = await queryDataset<{ n: number }>(data, 'SELECT count(*) AS n FROM files WHERE length(path) > 255');
      expect(long.n).toBeGreaterThan(0);
    });

    it('an empty file, classed as empty', async () => {
      const empty = await queryDataset<{ file_class: string }>(data, "SELECT DISTINCT file_class FROM files WHERE entry_type = 'file' AND size = 0");
      expect(empty).toEqual([{ file_class: 'empty' }]);
    });
  });

  it('scans the classic docker-archive with the layer tars as layers', async () => {
    const refs = await queryDataset<{ manifest_digest: string }>(data, "SELECT DISTINCT manifest_digest FROM image_refs WHERE registry = 'docker-archive'");
    expect(refs.length).toBeGreaterThanOrEqual(1);
    const layers = await queryDataset<{ layer_digest: string; diff_id: string; compression: string }>(
      data,
      `SELECT l.layer_digest, l.diff_id, l.compression FROM image_layers il JOIN layers l USING (layer_digest) WHERE il.diff_id IN (${fx.archives.classic.diffIds.map((d) => `'${d}'`).join(',')}) AND il.media_type LIKE '%diff.tar'`,
    );
    for (const l of layers) expect(l.layer_digest).toBe(l.diff_id);
    expect(new Set(layers.map((l) => l.layer_digest))).toEqual(new Set(fx.archives.classic.diffIds));
  });

  it('a second run reads nothing again and leaves the dataset unchanged', async () => {
    const before = await datasetRows(data);
    const again = await cli(['scan', ...sources(fx), '--data', data, '--json']);
    expect(again.code).toBe(0);
    const summary = JSON.parse(again.stdout);
    expect(summary.layers_read).toBe(0);
    expect(summary.images_stored).toBe(0);
    expect(await datasetRows(data)).toEqual(before);
  });

  it('rejects an unknown source form, listing the accepted ones', async () => {
    const r = await cli(['scan', 'tarball:/nope.tar', '--data', join(work, 'x')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('oci:PATH[:TAG]');
  });
});

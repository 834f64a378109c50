import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, queryDataset, type CliRun } from '../support/dataset.js';

/** `imgscan demo`, the quick start's main job: build, scan and report, with no registry or network. */
const work = mkdtempSync(join(tmpdir(), 'imgscan-demo-it-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Blob {
  digest: string;
}

/** The layout's manifests and their layers, read from its JSON files. */
function layoutImages(layout: string): { digest: string; layers: string[] }[] {
  const blob = (digest: string) => JSON.parse(readFileSync(join(layout, 'blobs', 'sha256', digest.slice('sha256:'.length)), 'utf8'));
  const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')) as { manifests: Blob[] };
  const digests = [...new Set(index.manifests.map((m) => m.digest))];
  return digests.map((digest) => ({ digest, layers: (blob(digest) as { layers: Blob[] }).layers.map((l) => l.digest) }));
}

describe('imgscan demo', () => {
  describe('with --json', () => {
    let dir: string;
    let r: CliRun;
    let out: { layout: string; data: string; report: string; scan: { images: number; layers_read: number; files: number } };
    let images: { digest: string; layers: string[] }[];

    beforeAll(async () => {
      dir = join(work, 'demo');
      r = await cli(['demo', '--dir', dir, '--json']);
      out = JSON.parse(r.stdout);
      images = layoutImages(out.layout);
    }, 300_000);

    it('exits 0 and names the layout it built', () => {
      expect(r.code, r.stderr).toBe(0);
      expect(out.layout).toBe(join(dir, 'layout'));
    });

    it('builds several images that share a layer', () => {
      const layers = new Set(images.flatMap((i) => i.layers));
      expect(images.length).toBeGreaterThan(1);
      expect(layers.size).toBeLessThan(images.flatMap((i) => i.layers).length);
    });

    it('scans every image and reads each layer once', () => {
      expect(out.scan.images).toBe(images.length);
      expect(out.scan.layers_read).toBe(new Set(images.flatMap((i) => i.layers)).size);
    });

    it('stores every image and as many files as it counted', async () => {
      const stored = await queryDataset<{ manifest_digest: string }>(out.data, 'SELECT manifest_digest FROM images ORDER BY 1');
      expect(stored.map((s) => s.manifest_digest)).toEqual(images.map((i) => i.digest).sort());
      const [files] = await queryDataset<{ n: number }>(out.data, "SELECT count(*)::INTEGER AS n FROM files WHERE entry_type = 'file'");
      expect(files!.n).toBe(out.scan.files);
    });

    it('writes the report it names, over every image', () => {
      const report = join(out.report, 'report.md');
      expect(existsSync(report)).toBe(true);
      const summary = JSON.parse(readFileSync(join(out.report, 'summary.json'), 'utf8')) as { dataset: { images: number } };
      expect(summary.dataset.images).toBe(images.length);
    });
  });

  describe('without --json', () => {
    let dir: string;
    let r: CliRun;

    beforeAll(async () => {
      dir = join(work, 'plain');
      r = await cli(['demo', '--dir', dir]);
    }, 300_000);

    it('prints where the report is', () => {
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain(`report: ${join(dir, 'report', 'report.md')}`);
      expect(existsSync(join(dir, 'report', 'report.md'))).toBe(true);
    });

    it('run again in the same directory, replaces what the first run wrote', async () => {
      const again = await cli(['demo', '--dir', dir]);
      expect(again.code, again.stderr).toBe(0);
    }, 300_000);
  });

  it('refuses a directory holding other files, and leaves them alone', async () => {
    const dir = join(work, 'busy');
    mkdirSync(dir);
    writeFileSync(join(dir, 'important.txt'), 'keep');
    const r = await cli(['demo', '--dir', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('holds other files (important.txt)');
    expect(readFileSync(join(dir, 'important.txt'), 'utf8')).toBe('keep');
  }, 60_000);
});

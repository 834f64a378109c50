/**
 * Paths are an injective escape of the name bytes (docs/scan.md): the byte 0xFF after `a` and the four
 * characters `a\xff` are two names, two paths, so the path-based figures never merge them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkImage } from '../../../src/analysis/image-check.js';
import { TarParser } from '../../../src/layers/tar.js';
import { blocks, concat, ustarHeader, withChecksum } from '../layers/fixture.js';
import { file, image, layer, writeRows } from './build.js';
import { referencePathWaste } from './reference.js';

const root = mkdtempSync(join(tmpdir(), 'imgscan-analyze-escape-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The path TarParser reads for a one-file tar whose name field holds `name` byte for byte. */
function parsedPath(name: Uint8Array): string {
  const h = ustarHeader({ name: 'x', size: 1, type: '0' });
  h.fill(0, 0, 100);
  h.set(name, 0);
  const paths: string[] = [];
  const p = new TarParser({ entry: (e) => paths.push(e.path), data: () => undefined, entryEnd: () => undefined });
  p.push(concat([withChecksum(h), blocks(new Uint8Array(1)), new Uint8Array(1024)]));
  p.end();
  expect(paths.length).toBe(1);
  return paths[0]!;
}

describe('paths of names that are not UTF-8', () => {
  const rawFF = parsedPath(Uint8Array.from([0x61, 0xff]));
  const literal = parsedPath(Buffer.from('a\\xff', 'latin1'));

  it('are stored apart: path_waste counts no overwrite between `a`+0xFF and the text `a\\xff`', async () => {
    expect(rawFF).not.toBe(literal);
    const dir = join(root, 'apart');
    const l1 = layer('raw byte', [file(rawFF, 'one', 1000)]);
    const l2 = layer('literal text', [file(literal, 'two', 2000)]);
    await writeRows(dir, { layers: [l1, l2], images: [image('app', [l1, l2], [{ registry: 'oci', repository: '/l/app', tag: '1' }])] });
    const c = await checkImage({ dataDirs: [dir], ref: 'oci:/l/app:1' });
    expect(c.images[0]!.path_waste).toBe(0);
    expect(referencePathWaste([l1, l2])).toBe(0);
  });

  it('the same name bytes in two layers are one path, and the lower copy is path_waste', async () => {
    const dir = join(root, 'same');
    const l1 = layer('raw byte', [file(rawFF, 'one', 1000)]);
    const l2 = layer('raw byte again', [file(parsedPath(Uint8Array.from([0x61, 0xff])), 'two', 2000)]);
    await writeRows(dir, { layers: [l1, l2], images: [image('app', [l1, l2], [{ registry: 'oci', repository: '/l/app', tag: '1' }])] });
    const c = await checkImage({ dataDirs: [dir], ref: 'oci:/l/app:1' });
    expect(c.images[0]!.path_waste).toBe(1000);
  });
});

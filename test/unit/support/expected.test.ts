/**
 * The independent expectations: a small GNU tar with awkward names, links, special files, a path written twice
 * and a fractional PAX mtime, in three compressions; and the dataset loops on numbers worked out by hand.
 */
import { createHash } from 'node:crypto';
import { chmod, link, mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../support/exec.js';
import {
  expectedContentWaste,
  expectedFileMetrics,
  expectedLayer,
  expectedLayerMetrics,
  normalizePath,
  storedName,
  unescapeTarBytes,
  unescapeTarName,
  type ExpectedEntry,
  type ExpectedLayer,
} from '../../support/expected.js';

const B3 = {
  hello: '8e4c7c1b99dbfd50e7a95185fead5ee1448fa904a2fdd778eaf5f2dbfd629a99', // "hello\n"
  second: 'a74e619132c4c530d0d738f3cceddefaf06a79aad18b5be1a3bcbc054c1f3f84', // "second\n"
  empty: 'af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262',
};

let dir: string;
let tar: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'imgscan-expected-test-'));
  const src = join(dir, 'src');
  await mkdir(join(src, 'dir'), { recursive: true });
  await writeFile(join(src, 'a.txt'), 'hello\n');
  await writeFile(join(src, 'dir', 'b.txt'), 'hello\n');
  await link(join(src, 'a.txt'), join(src, 'dir', 'hard'));
  await writeFile(join(src, 'dir', '.wh..wh..opq'), '');
  await writeFile(join(src, '.wh.gone'), '');
  await writeFile(join(src, 'odd -> name.txt'), 'second\n');
  await writeFile(join(src, 'ünï.txt'), 'second\n');
  await writeFile(join(src, 'back\\slash.txt'), '');
  await writeFile(join(src, 'suid'), '#!/bin/sh\n');
  await chmod(join(src, 'suid'), 0o4755);
  await symlink('a.txt', join(src, 'sym'));
  await run('mkfifo', [join(src, 'fifo')]);
  tar = join(dir, 'layer.tar');
  const common = ['--format=pax', '--owner=0', '--group=0', '--numeric-owner', '--mtime=@1700000000.5', '-C', src];
  await run('tar', ['-cf', tar, '--sort=name', ...common, '.']);
  await rm(join(src, 'a.txt'));
  await writeFile(join(src, 'a.txt'), 'second\n');
  await run('tar', ['-rf', tar, ...common, './a.txt']);
  await run('gzip', ['-kn', tar]);
  await run('zstd', ['-q', tar, '-o', `${tar}.zst`]);
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const byPath = (l: ExpectedLayer, path: string): ExpectedEntry[] => l.entries.filter((e) => e.path === path);

describe('expectedLayer', () => {
  it('lists every entry with its type, link target, mode, mtime and BLAKE3', async () => {
    const l = await expectedLayer(tar);
    expect(l.compression).toBe('none');
    expect(l.entries.map((e) => [e.path, e.entry_type])).toEqual([
      ['.', 'dir'],
      ['.wh.gone', 'whiteout'],
      ['a.txt', 'file'],
      ['back\\\\slash.txt', 'file'],
      ['dir', 'dir'],
      ['dir/.wh..wh..opq', 'opaque'],
      ['dir/b.txt', 'file'],
      ['dir/hard', 'hardlink'],
      ['fifo', 'fifo'],
      ['odd -> name.txt', 'file'],
      ['suid', 'file'],
      ['sym', 'symlink'],
      ['ünï.txt', 'file'],
      ['a.txt', 'file'],
    ]);
    expect(l.entries.map((e) => e.entry_index)).toEqual(l.entries.map((_, i) => i));
    expect(byPath(l, 'a.txt').map((e) => e.digest)).toEqual([B3.hello, B3.second]);
    expect(byPath(l, 'dir/b.txt')[0]!.digest).toBe(B3.hello);
    expect(byPath(l, 'odd -> name.txt')[0]!.digest).toBe(B3.second);
    expect(byPath(l, 'ünï.txt')[0]!.digest).toBe(B3.second);
    expect(byPath(l, 'back\\\\slash.txt')[0]).toMatchObject({ digest: B3.empty, size: 0 });
    expect(byPath(l, 'sym')[0]).toMatchObject({ link_target: 'a.txt', size: 0, digest: null });
    expect(byPath(l, 'dir/hard')[0]).toMatchObject({ link_target: 'a.txt', size: 0, digest: null });
    expect(byPath(l, '.wh.gone')[0]).toMatchObject({ digest: null, size: 0, link_target: null });
    expect(byPath(l, 'suid')[0]!.mode).toBe(0o4755);
    expect(byPath(l, 'dir')[0]!.mode).toBe(0o755);
    for (const e of l.entries) expect(e).toMatchObject({ uid: 0, gid: 0, mtime: 1700000000.5, dev_major: null, dev_minor: null });
    expect(l.entries[0]!.name).toBe('./');
  });

  it('counts entries and sizes the layer', async () => {
    const l = await expectedLayer(tar);
    const tarBytes = await readFile(tar);
    expect(l).toMatchObject({
      layer_digest: `sha256:${createHash('sha256').update(tarBytes).digest('hex')}`,
      diff_id: `sha256:${createHash('sha256').update(tarBytes).digest('hex')}`,
      compressed_size: tarBytes.length,
      tar_size: tarBytes.length,
      files_size: 6 + 0 + 6 + 7 + 10 + 7 + 7,
      entry_count: 14,
      file_count: 7,
      dir_count: 2,
      symlink_count: 1,
      hardlink_count: 1,
      char_count: 0,
      block_count: 0,
      fifo_count: 1,
      whiteout_count: 1,
      opaque_count: 1,
    });
  });

  it('gives the same entries for gzip and zstd blobs of the same tar', async () => {
    const plain = await expectedLayer(tar);
    for (const [blob, compression] of [[`${tar}.gz`, 'gzip'], [`${tar}.zst`, 'zstd']] as const) {
      const l = await expectedLayer(blob);
      expect(l.compression).toBe(compression);
      expect(l.diff_id).toBe(plain.diff_id);
      expect(l.tar_size).toBe(plain.tar_size);
      expect(l.compressed_size).toBe((await stat(blob)).size);
      expect(l.layer_digest).not.toBe(plain.layer_digest);
      expect(l.entries).toEqual(plain.entries);
    }
  });
});

describe('name helpers', () => {
  it('normalizes paths', () => {
    expect(normalizePath('./a/b/')).toBe('a/b');
    expect(normalizePath('/a//b/./c')).toBe('a/b/c');
    expect(normalizePath('./')).toBe('.');
    expect(normalizePath('/')).toBe('.');
  });

  it('escapes name bytes as imgscan stores paths: a backslash doubled, a byte outside valid UTF-8 as \\xNN', () => {
    expect(storedName(Buffer.from([0x61, 0xff]))).toBe('a\\xff');
    expect(storedName(Buffer.from('a\\xff'))).toBe('a\\\\xff');
    expect(storedName(Buffer.from('caf\u00e9 \u{1f600} \ufeff \ufffd'))).toBe('caf\u00e9 \u{1f600} \ufeff \ufffd');
    // A surrogate (ED A0 80), an overlong slash (C0 AF) and a cut sequence (E2 82) are bytes, not characters.
    expect(storedName(Buffer.from([0xed, 0xa0, 0x80, 0xc0, 0xaf, 0xe2, 0x82]))).toBe('\\xed\\xa0\\x80\\xc0\\xaf\\xe2\\x82');
    expect(unescapeTarBytes('a\\377\\\\')).toEqual(Buffer.from([0x61, 0xff, 0x5c]));
  });

  it('undoes GNU tar escapes', () => {
    expect(unescapeTarName('back\\\\slash')).toBe('back\\slash');
    expect(unescapeTarName('\\303\\274n\\303\\257')).toBe('ünï');
    expect(unescapeTarName('a\\nb\\tc')).toBe('a\nb\tc');
  });
});

describe('dataset loops', () => {
  const file = (digest: string, size: number): ExpectedEntry => ({
    entry_index: 0, name: digest, path: digest, entry_type: 'file', size, digest, mode: 0o644, uid: 0, gid: 0, mtime: 0,
    link_target: null, dev_major: null, dev_minor: null,
  });
  const layer = (digest: string, entries: ExpectedEntry[]): ExpectedLayer =>
    ({ layer_digest: digest, entries }) as unknown as ExpectedLayer;
  const A = layer('A', [file('x', 10), file('x', 10), file('y', 5), { ...file('w', 0), entry_type: 'whiteout', digest: null }]);
  const B = layer('B', [file('x', 10), file('z', 7)]);

  it('split duplicates into intra- and cross-layer copies over unique layers', () => {
    const m = expectedFileMetrics([A, B, A]);
    expect(m).toMatchObject({
      layers_unique: 2,
      files_total: 5,
      files_distinct: 3,
      singleton_files: 2,
      file_bytes_total: 42,
      file_bytes_distinct: 22,
      intra_layer: 1,
      cross_layer: 1,
      intra_layer_bytes: 10,
      cross_layer_bytes: 10,
    });
    expect(m.intra_layer_bytes + m.cross_layer_bytes).toBe(m.file_bytes_total - m.file_bytes_distinct);
    expect(m.file_dedup_ratio).toBeCloseTo(42 / 22);
    expect(m.distinct_file_fraction).toBeCloseTo(3 / 5);
    expect(m.singleton_file_fraction).toBeCloseTo(2 / 5);
  });

  it('compute layer sharing and content waste', () => {
    const m = expectedLayerMetrics([
      [{ layer_digest: 'A', compressed_size: 100 }, { layer_digest: 'B', compressed_size: 50 }],
      [{ layer_digest: 'A', compressed_size: 100 }],
    ]);
    expect(m).toMatchObject({ layer_refs: 3, layers_unique: 2 });
    expect(m.layer_dedup_ratio).toBeCloseTo(250 / 150);
    expect(m.layer_sharing_savings).toBeCloseTo(1 - 150 / 250);
    expect(expectedContentWaste([A, B])).toBe(20);
  });
});

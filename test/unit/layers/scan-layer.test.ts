import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImgscanError } from '../../../src/errors.js';
import type { GzipInflater } from '../../../src/layers/decompress.js';
import { missingTools } from '../../support/tools.js';
import type { FileRow } from '../../../src/model/rows.js';
import {
  b3sumTree, EXPECTED_CLASS, fileSize, LONG_PATH_150, LONG_PATH_300, LONG_TARGET, makeTree, run, scanBytes, scanFile,
  sh, sha256File, statTree, tarList, type Expected,
} from './fixture.js';

let dir: string;
let src: string;

/** Every gzip inflater: zlib on the thread, zlib's stream, and igzip where installed (skipped loudly elsewhere). */
const haveIgzip = (await missingTools(['igzip'], 'layer scans through igzip (src/layers/igzip.ts)')).length === 0;
const inflaters: GzipInflater[] = haveIgzip ? ['sync', 'stream', 'igzip'] : ['sync', 'stream'];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'imgscan-layers-'));
  src = join(dir, 'src');
  makeTree(src);
  for (const format of ['gnu', 'pax']) {
    const tar = join(dir, `${format}.tar`);
    run('tar', ['-C', src, `--format=${format}`, '--sort=name', '-cf', tar, '.']);
    sh(`gzip -c ${tar} > ${tar}.gz && zstd -q -c ${tar} > ${tar}.zst`);
  }
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function expectError(p: Promise<unknown>, code: string, layer: string): Promise<ImgscanError> {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(ImgscanError);
  const e = err as ImgscanError;
  expect(e.code).toBe(code);
  expect(e.context.layer).toBe(layer);
  expect(e.describe()).toContain(layer);
  return e;
}

describe.each(['gnu', 'pax'])('LayerScanner over a %s tar', (format) => {
  describe.each(['', '.gz', '.zst'])('compressed as "%s"', (ext) => {
    it('reports every entry, digest, class and count as tar, find, b3sum and sha256sum see them', async () => {
      const tarFile = join(dir, `${format}.tar`);
      const blob = tarFile + ext;
      const { layer, files } = await scanFile(blob, { expectedSize: fileSize(blob) });

      const listed = tarList(tarFile);
      const stats = statTree(src);
      const b3 = b3sumTree(src);

      expect(layer.layer_digest).toBe(sha256File(blob));
      expect(layer.diff_id).toBe(sha256File(tarFile));
      expect(layer.compression).toBe(ext === '.gz' ? 'gzip' : ext === '.zst' ? 'zstd' : 'none');
      expect(layer.compressed_size).toBe(fileSize(blob));
      expect(layer.tar_size).toBe(fileSize(tarFile));
      expect(layer.chunker).toBeNull();

      // Entry list, in archive order.
      const got: Expected[] = files.map((f) => ({
        path: f.path, type: f.entry_type, size: f.size, linkTarget: f.link_target, devMajor: f.dev_major, devMinor: f.dev_minor,
      }));
      expect(got).toEqual(listed);
      expect(files.map((f) => f.entry_index)).toEqual(listed.map((_, i) => i));

      const count = (t: string) => listed.filter((e) => e.type === t).length;
      expect(layer.entry_count).toBe(listed.length);
      expect(layer.file_count).toBe(count('file'));
      expect(layer.dir_count).toBe(count('dir'));
      expect(layer.symlink_count).toBe(count('symlink'));
      expect(layer.hardlink_count).toBe(count('hardlink'));
      expect(layer.char_count).toBe(count('char'));
      expect(layer.block_count).toBe(count('block'));
      expect(layer.fifo_count).toBe(count('fifo'));
      expect(layer.whiteout_count).toBe(count('whiteout'));
      expect(layer.opaque_count).toBe(count('opaque'));
      expect(layer.files_size).toBe(listed.filter((e) => e.type === 'file').reduce((s, e) => s + e.size, 0));

      for (const f of files) {
        const st = stats.get(f.path)!;
        expect(st, f.path).toBeDefined();
        expect(f.layer_digest).toBe(layer.layer_digest);
        expect(f.mode, f.path).toBe(st.mode);
        expect(f.uid).toBe(st.uid);
        expect(f.gid).toBe(st.gid);
        // GNU tar keeps whole seconds in gnu format and nanoseconds in pax format.
        if (format === 'gnu') expect(f.mtime).toBe(Math.floor(st.mtime));
        else expect(f.mtime).toBeCloseTo(st.mtime, 6);
        if (f.entry_type === 'file') {
          expect(f.size).toBe(st.size);
          expect(f.digest, f.path).toBe(b3.get(f.path));
          if (EXPECTED_CLASS[f.path]) expect(f.file_class, f.path).toBe(EXPECTED_CLASS[f.path]);
        } else {
          expect(f.digest).toBeNull();
          expect(f.file_class).toBeNull();
        }
      }
    });
  });
});

describe('LayerScanner details', () => {
  const byPath = (files: FileRow[]) => new Map(files.map((f) => [f.path, f]));

  it('covers the special entries of the fixture', async () => {
    const { files } = await scanFile(join(dir, 'gnu.tar.gz'));
    const m = byPath(files);
    expect(m.get('.')!.entry_type).toBe('dir');
    expect(m.get(LONG_PATH_150)!.entry_type).toBe('file');
    expect(m.get(LONG_PATH_300)!.entry_type).toBe('file');
    expect(m.get('links/long')!.link_target).toBe(LONG_TARGET);
    expect(m.get('links/short')!.link_target).toBe('../bin/ls');
    expect(m.get('bin/ls-hard')).toMatchObject({ entry_type: 'hardlink', link_target: 'bin/ls', size: 0, digest: null });
    expect(m.get('dev/null')).toMatchObject({ entry_type: 'char', dev_major: 1, dev_minor: 3 });
    expect(m.get('dev/fifo')!.entry_type).toBe('fifo');
    expect(m.get('wh/.wh.foo')).toMatchObject({ entry_type: 'whiteout', digest: null });
    expect(m.get('wh/.wh..wh..opq')).toMatchObject({ entry_type: 'opaque', digest: null });
    expect(m.get('empty')).toMatchObject({ entry_type: 'file', size: 0, file_class: 'empty', digest: b3sumOf('/dev/null') });
    expect(m.get('utf8/café.txt')!.entry_type).toBe('file');
  });

  it('gives the same rows whatever the write sizes', async () => {
    for (const ext of ['', '.gz', '.zst']) {
      const blob = join(dir, 'pax.tar' + ext);
      const base = await scanFile(blob, {}, 1 << 20);
      for (const slice of [511, 513, 4099]) {
        const again = await scanFile(blob, {}, slice);
        expect(again.files).toEqual(base.files);
        expect(again.layer).toEqual(base.layer);
      }
    }
  });

  it('sniffs the compression across tiny first writes, and takes an empty blob as an empty layer', async () => {
    const { LayerScanner } = await import('../../../src/layers/scan-layer.js');
    for (const ext of ['.gz', '.zst', '']) {
      const file = join(dir, 'gnu.tar' + ext);
      const blob = readFileSync(file);
      const rows: FileRow[] = [];
      const scanner = new LayerScanner({ layerDigest: sha256File(file) }, { files: (r) => void rows.push(...r) });
      await scanner.write(blob.subarray(0, 1));
      await scanner.write(blob.subarray(1, 3));
      await scanner.write(blob.subarray(3));
      const layer = await scanner.end();
      expect(layer.diff_id).toBe(sha256File(join(dir, 'gnu.tar')));
      expect(rows.length).toBe(tarList(join(dir, 'gnu.tar')).length);
    }
    const empty = join(dir, 'empty.blob');
    writeFileSync(empty, '');
    const { layer, files } = await scanFile(empty, { expectedSize: 0 });
    expect(layer).toMatchObject({ compression: 'none', tar_size: 0, entry_count: 0, diff_id: sha256File(empty) });
    expect(files).toEqual([]);
  });

  it('decodes a multi-member gzip completely', async () => {
    const tar = join(dir, 'pax.tar');
    const multi = join(dir, 'multi.tar.gz');
    const half = Math.floor(fileSize(tar) / 2) + 123;
    sh(`head -c ${half} ${tar} | gzip -c > ${multi} && tail -c +${half + 1} ${tar} | gzip -c >> ${multi}`);
    const single = await scanFile(tar + '.gz');
    const { layer, files } = await scanFile(multi);
    expect(layer.diff_id).toBe(sha256File(tar));
    expect(layer.tar_size).toBe(fileSize(tar));
    expect(files).toEqual(single.files.map((f) => ({ ...f, layer_digest: layer.layer_digest })));
  });

  it('delivers rows in batches of at most 1024 and drains every entry', async () => {
    const many = join(dir, 'many');
    sh(`mkdir -p ${many} && cd ${many} && i=0; while [ $i -lt 2500 ]; do echo $i > f$i; i=$((i+1)); done`);
    const tar = join(dir, 'many.tar');
    run('tar', ['-C', many, '-cf', tar, '.']);
    const { layer, batches, files } = await scanFile(tar);
    expect(layer.entry_count).toBe(tarList(tar).length);
    expect(files.length).toBe(layer.entry_count);
    expect(Math.max(...batches)).toBeLessThanOrEqual(1024);
    expect(batches.length).toBeGreaterThan(2);
  });

  it('chunks file contents with FastCDC when asked', async () => {
    const chunking = { algorithm: 'fastcdc' as const, avg: 16384, min: 4096, max: 65536 };
    const { layer, files, chunks } = await scanFile(join(dir, 'gnu.tar.zst'), { chunking: [chunking] });
    expect(layer.chunker).toBe('fastcdc-16384-4096-65536');
    expect(new Set(chunks.map((c) => c.chunker))).toEqual(new Set(['fastcdc-16384-4096-65536']));
    for (const f of files.filter((x) => x.entry_type === 'file' && x.size > 0)) {
      const mine = chunks.filter((c) => c.entry_index === f.entry_index);
      expect(mine.map((c) => c.chunk_index)).toEqual(mine.map((_, i) => i));
      expect(mine.reduce((s, c) => s + c.size, 0)).toBe(f.size);
      for (const c of mine.slice(0, -1)) {
        expect(c.size).toBeGreaterThanOrEqual(chunking.min);
        expect(c.size).toBeLessThanOrEqual(chunking.max);
      }
    }
    // The random file's chunks hash to what b3sum says about the same byte ranges.
    const random = files.find((f) => f.path === 'data/random.bin')!;
    const mine = chunks.filter((c) => c.entry_index === random.entry_index);
    expect(mine.length).toBeGreaterThan(3 * 1024 * 1024 / chunking.max);
    const content = readFileSync(join(src, 'data/random.bin'));
    let at = 0;
    for (const c of mine.slice(0, 5)) {
      const part = join(dir, 'chunk.bin');
      writeFileSync(part, content.subarray(at, at + c.size));
      expect(c.digest).toBe(b3sumOf(part));
      at += c.size;
    }
  });
});

describe('LayerScanner errors', () => {
  it('DECOMPRESS_FAILED on a truncated gzip, naming the layer', async () => {
    const cut = join(dir, 'cut.tar.gz');
    sh(`head -c ${Math.floor(fileSize(join(dir, 'gnu.tar.gz')) / 2)} ${join(dir, 'gnu.tar.gz')} > ${cut}`);
    const e = await expectError(scanFile(cut), 'DECOMPRESS_FAILED', sha256File(cut));
    expect(e.message).toMatch(/unexpected end of file/);
  });

  it('DECOMPRESS_FAILED on a truncated zstd', async () => {
    const cut = join(dir, 'cut.tar.zst');
    sh(`head -c ${Math.floor(fileSize(join(dir, 'gnu.tar.zst')) / 2)} ${join(dir, 'gnu.tar.zst')} > ${cut}`);
    await expectError(scanFile(cut), 'DECOMPRESS_FAILED', sha256File(cut));
  });

  it('TAR_INVALID on a truncated tar, with the offset', async () => {
    const cut = join(dir, 'cut.tar');
    const size = fileSize(join(dir, 'gnu.tar'));
    sh(`head -c ${Math.floor(size / 2) + 100} ${join(dir, 'gnu.tar')} > ${cut}`);
    const e = await expectError(scanFile(cut), 'TAR_INVALID', sha256File(cut));
    expect(e.message).toMatch(/truncated/);
    expect(e.message).toContain(`byte offset ${Math.floor(size / 2) + 100}`);
  });

  it('TAR_INVALID on a corrupted header byte, at that header', async () => {
    const tar = readFileSync(join(dir, 'gnu.tar'));
    const at = tar.indexOf('./doc/readme.txt');
    expect(at % 512).toBe(0);
    tar[at + 3] ^= 0x20; // "./D..." : checksum no longer matches
    const bad = join(dir, 'bad.tar');
    writeFileSync(bad, tar);
    const e = await expectError(scanFile(bad), 'TAR_INVALID', sha256File(bad));
    expect(e.message).toMatch(/checksum/);
    expect(e.message).toContain(`byte offset ${at}`);
    sh(`gzip -c ${bad} > ${bad}.gz`);
    await expectError(scanFile(`${bad}.gz`), 'TAR_INVALID', sha256File(`${bad}.gz`));
  });

  it('DIGEST_MISMATCH when the blob is not the digest', async () => {
    const blob = join(dir, 'gnu.tar.gz');
    const wrong = sha256File(join(dir, 'gnu.tar'));
    const e = await expectError(scanFile(blob, { layerDigest: wrong }), 'DIGEST_MISMATCH', wrong);
    expect(e.message).toContain(sha256File(blob));
  });

  it('SIZE_MISMATCH when the blob is longer or shorter than expected', async () => {
    const blob = join(dir, 'gnu.tar.gz');
    const digest = sha256File(blob);
    await expectError(scanFile(blob, { expectedSize: fileSize(blob) - 1 }), 'SIZE_MISMATCH', digest);
    await expectError(scanFile(blob, { expectedSize: fileSize(blob) + 1 }), 'SIZE_MISMATCH', digest);
  });

  it('keeps failing after the first error', async () => {
    const blob = readFileSync(join(dir, 'gnu.tar'));
    const digest = sha256File(join(dir, 'gnu.tar'));
    const { LayerScanner } = await import('../../../src/layers/scan-layer.js');
    const scanner = new LayerScanner({ layerDigest: digest, expectedSize: 10 }, { files: () => {} });
    expect(() => scanner.write(blob.subarray(0, 100))).toThrow(/size mismatch/);
    expect(() => scanner.write(blob.subarray(100, 200))).toThrow(/size mismatch/);
    await expect(scanner.end()).rejects.toThrow(/size mismatch/);
  });
});

function b3sumOf(file: string): string {
  return run('b3sum', ['--no-names', file]).trim();
}

describe.each(inflaters)('gzip layers inflated by %s', (inflater) => {
  it('gives the rows and layer row of a zlib scan', async () => {
    for (const format of ['gnu', 'pax']) {
      const blob = join(dir, `${format}.tar.gz`);
      const zlib = await scanFile(blob, { expectedSize: fileSize(blob), inflater: 'sync' });
      const got = await scanFile(blob, { expectedSize: fileSize(blob), inflater });
      expect(got.layer).toEqual(zlib.layer);
      expect(got.files).toEqual(zlib.files);
      expect(got.layer.layer_digest).toBe(sha256File(blob));
      expect(got.layer.diff_id).toBe(sha256File(join(dir, `${format}.tar`)));
    }
  });

  it('decodes a multi-member gzip completely', async () => {
    const tar = join(dir, 'pax.tar');
    const multi = join(dir, `multi-${inflater}.tar.gz`);
    sh(`head -c 7777 ${tar} | gzip -c > ${multi} && tail -c +7778 ${tar} | gzip -c >> ${multi}`);
    const { layer } = await scanFile(multi, { inflater });
    expect(layer.diff_id).toBe(sha256File(tar));
    expect(layer.tar_size).toBe(fileSize(tar));
  });

  it('takes a gzip of nothing as an empty layer', async () => {
    const empty = join(dir, `empty-${inflater}.gz`);
    sh(`printf '' | gzip -c > ${empty}`);
    const { layer, files } = await scanFile(empty, { inflater });
    expect(layer).toMatchObject({ compression: 'gzip', tar_size: 0, entry_count: 0, diff_id: sha256File('/dev/null') });
    expect(files).toEqual([]);
  });

  it('DECOMPRESS_FAILED naming the layer: truncated, corrupt, trailing garbage, the header alone', async () => {
    const gz = readFileSync(join(dir, 'gnu.tar.gz'));
    const corrupt = Buffer.from(gz);
    corrupt.fill(0xff, 2000, 2100);
    const blobs: [string, Buffer, RegExp][] = [
      ['truncated', gz.subarray(0, gz.length >> 1), /unexpected end of file/],
      ['corrupt', corrupt, /./],
      ['garbage', Buffer.concat([gz, Buffer.from('trailing garbage\n')]), /./],
      // (A blob shorter than gzip's 4 sniffed bytes is no gzip: a tar, TAR_INVALID.)
      ['header', gz.subarray(0, 10), inflater === 'igzip' ? /unexpected end of file|ends inside/ : /unexpected end of file/],
    ];
    for (const [name, bytes, message] of blobs) {
      const file = join(dir, `bad-${name}-${inflater}.gz`);
      writeFileSync(file, bytes);
      const e = await expectError(scanFile(file, { inflater }), 'DECOMPRESS_FAILED', sha256File(file));
      expect(e.message, name).toMatch(message);
    }
  });

  it('TAR_INVALID on a corrupted tar header inside the gzip, at that header', async () => {
    const tar = readFileSync(join(dir, 'gnu.tar'));
    const at = tar.indexOf('./doc/readme.txt');
    tar[at + 3] ^= 0x20;
    const bad = join(dir, `bad-${inflater}.tar`);
    writeFileSync(bad, tar);
    sh(`gzip -c ${bad} > ${bad}.gz`);
    const e = await expectError(scanFile(`${bad}.gz`, { inflater }), 'TAR_INVALID', sha256File(`${bad}.gz`));
    expect(e.message).toContain(`byte offset ${at}`);
  });

  it('DIGEST_MISMATCH when the blob is not the digest', async () => {
    const blob = join(dir, 'gnu.tar.gz');
    const wrong = sha256File(join(dir, 'gnu.tar'));
    await expectError(scanFile(blob, { layerDigest: wrong, inflater }), 'DIGEST_MISMATCH', wrong);
  });
});

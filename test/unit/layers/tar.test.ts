import { createHash, type Hash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImgscanError } from '../../../src/errors.js';
import { TarParser, type TarHeader, type TarVisitor } from '../../../src/layers/tar.js';
import { normalizePath } from '../../../src/layers/tar-fields.js';
import {
  blocks, concat, LONG_PATH_150, makeTree, paxRecords, run, scanFile, sh, tarList, ustarHeader, withChecksum,
} from './fixture.js';

/** Records what the parser reports (content as sha256 + length); checks the callback order as it goes. */
class Recorder implements TarVisitor {
  entries: { header: TarHeader; sha256: string; length: number }[] = [];
  private hash: Hash | null = null;
  private length = 0;
  entry(header: TarHeader): void {
    if (this.hash !== null) throw new Error('entry before entryEnd');
    this.entries.push({ header, sha256: '', length: 0 });
    this.hash = createHash('sha256');
    this.length = 0;
  }
  data(slice: Uint8Array): void {
    if (this.hash === null) throw new Error('data outside an entry');
    this.hash.update(slice);
    this.length += slice.length;
  }
  entryEnd(): void {
    const last = this.entries[this.entries.length - 1]!;
    last.sha256 = this.hash!.digest('hex');
    last.length = this.length;
    this.hash = null;
  }
}

const sha256 = (data: Uint8Array | string) => createHash('sha256').update(data).digest('hex');

function parse(bytes: Uint8Array, slice = bytes.length || 1): Recorder {
  const r = new Recorder();
  const p = new TarParser(r);
  for (let i = 0; i < bytes.length; i += slice) p.push(bytes.subarray(i, i + slice));
  p.end();
  return r;
}

function tarError(fn: () => unknown): ImgscanError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ImgscanError);
    expect((err as ImgscanError).code).toBe('TAR_INVALID');
    return err as ImgscanError;
  }
  throw new Error('expected TAR_INVALID');
}

const EOA = new Uint8Array(1024);
const enc = (s: string) => new TextEncoder().encode(s);

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'imgscan-tar-'));
  makeTree(join(dir, 'src'));
  for (const format of ['gnu', 'pax']) {
    run('tar', ['-C', join(dir, 'src'), `--format=${format}`, '--sort=name', '-cf', join(dir, `${format}.tar`), '.']);
  }
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('TarParser', () => {
  it.each(['gnu', 'pax'])('reads a %s archive the same byte by byte as in one piece', (format) => {
    const bytes = readFileSync(join(dir, `${format}.tar`));
    const whole = parse(bytes);
    expect(whole.entries.map((e) => e.header.path)).toEqual(tarList(join(dir, `${format}.tar`)).map((e) => e.path));
    for (const slice of [1, 3, 512, 1000]) {
      expect(parse(bytes, slice).entries).toEqual(whole.entries);
    }
    // File contents come through intact.
    const ls = whole.entries.find((e) => e.header.path === 'bin/ls')!;
    expect(ls.sha256).toBe(sha256(readFileSync('/bin/ls')));
  });

  it('uses the ustar prefix field', () => {
    const tar = join(dir, 'ustar.tar');
    run('tar', ['-C', join(dir, 'src'), '--format=ustar', '-cf', tar, LONG_PATH_150]);
    const bytes = readFileSync(tar);
    expect(bytes.subarray(345, 345 + 4).toString()).toBe('long'); // prefix field in use
    expect(parse(bytes).entries.map((e) => e.header.path)).toEqual(tarList(tar).map((e) => e.path));
  });

  it('applies a PAX size override, as GNU tar does', async () => {
    const content = Buffer.alloc(5000, 'x');
    const pax = paxRecords({ size: '5000', path: 'big/file.txt' });
    const bytes = concat([
      ustarHeader({ name: 'PaxHeaders/file', size: pax.length, type: 'x' }), blocks(pax),
      ustarHeader({ name: 'ignored', size: 0, type: '0' }), blocks(content), EOA,
    ]);
    const tar = join(dir, 'pax-size.tar');
    writeFileSync(tar, bytes);
    const listed = tarList(tar);
    const r = parse(bytes, 700);
    expect(r.entries.map((e) => [e.header.path, e.header.size])).toEqual(listed.map((e) => [e.path, e.size]));
    expect(r.entries[0]!.sha256).toBe(sha256(content));
    const { files } = await scanFile(tar);
    expect(files[0]!.digest).toBe(sh(`tar -xOf ${tar} big/file.txt | b3sum --no-names`).trim());
  });

  it('applies global PAX headers to all later entries and local ones to the next only', () => {
    const g = paxRecords({ uid: '4242' });
    const x = paxRecords({ mtime: '1700000000.25', gid: '77' });
    const bytes = concat([
      ustarHeader({ name: 'global', size: g.length, type: 'g' }), blocks(g),
      ustarHeader({ name: 'a', size: 0, type: '0' }),
      ustarHeader({ name: 'x', size: x.length, type: 'x' }), blocks(x),
      ustarHeader({ name: 'b', size: 0, type: '0', mtime: 5 }),
      ustarHeader({ name: 'c', size: 0, type: '0', uid: 1, mtime: 6 }),
      EOA,
    ]);
    const tar = join(dir, 'pax-global.tar');
    writeFileSync(tar, bytes);
    const owners = run('tar', ['-tvf', tar, '--numeric-owner']).split('\n').filter(Boolean).map((l) => l.split(/\s+/)[1]);
    const r = parse(bytes);
    expect(r.entries.map((e) => `${e.header.uid}/${e.header.gid}`)).toEqual(owners);
    expect(r.entries.map((e) => e.header.mtime)).toEqual([1700000000, 1700000000.25, 6]);
    expect(r.entries.map((e) => e.header.index)).toEqual([0, 1, 2]);
  });

  it('reads GNU base-256 numbers', () => {
    const tar = join(dir, 'b256.tar');
    run('tar', ['-C', join(dir, 'src'), '--format=gnu', '--owner=x:3000000000', '--group=y:3000000001',
      '--mtime=@-99999999999', '-cf', tar, 'doc/readme.txt']);
    const bytes = readFileSync(tar);
    expect(bytes[108]! & 0x80).toBe(0x80); // uid really is base-256
    const owner = run('tar', ['-tvf', tar, '--numeric-owner']).split(/\s+/)[1];
    const h = parse(bytes).entries[0]!.header;
    expect(`${h.uid}/${h.gid}`).toBe(owner);
    expect(h.mtime).toBe(-99999999999);
  });

  it('maps old-style and contiguous types, whiteouts and paths', () => {
    const bytes = concat([
      ustarHeader({ name: './old/', size: 0, type: '\0' }),
      ustarHeader({ name: '/old/file', size: 3, type: '\0' }), blocks(enc('abc')),
      ustarHeader({ name: 'contig', size: 2, type: '7' }), blocks(enc('hi')),
      ustarHeader({ name: 'dir/', size: 0, type: '5' }),
      ustarHeader({ name: 'link', size: 0, type: '1', linkname: './old/file' }),
      ustarHeader({ name: 'x/.wh.gone', size: 4, type: '0' }), blocks(enc('junk')),
      ustarHeader({ name: 'x/.wh..wh..opq', size: 0, type: '0' }),
      EOA,
    ]);
    const r = parse(bytes);
    expect(r.entries.map((e) => [e.header.path, e.header.type, e.header.size, e.sha256])).toEqual([
      ['old', 'dir', 0, sha256('')],
      ['old/file', 'file', 3, sha256('abc')],
      ['contig', 'file', 2, sha256('hi')],
      ['dir', 'dir', 0, sha256('')],
      ['link', 'hardlink', 0, sha256('')],
      ['x/.wh.gone', 'whiteout', 0, sha256('')],
      ['x/.wh..wh..opq', 'opaque', 0, sha256('')],
    ]);
    expect(r.entries[4]!.header.linkTarget).toBe('old/file');
  });

  it('stops at two zero blocks and ignores what follows; accepts EOF on a header boundary', () => {
    const one = concat([ustarHeader({ name: 'a', size: 1, type: '0' }), blocks(enc('a'))]);
    expect(parse(concat([one, EOA, enc('trailing junk')])).entries.length).toBe(1);
    expect(parse(one).entries.length).toBe(1);
    expect(parse(concat([one, new Uint8Array(512)])).entries.length).toBe(1);
    expect(parse(new Uint8Array(0)).entries.length).toBe(0);
  });

  it('rejects truncation, bad checksums, odd types and a zero block before a header', () => {
    const one = concat([ustarHeader({ name: 'a', size: 600, type: '0' }), blocks(new Uint8Array(600))]);
    expect(tarError(() => parse(one.subarray(0, 300))).message).toMatch(/EOF inside a header.* byte offset 300/);
    expect(tarError(() => parse(one.subarray(0, 700), 100)).message).toMatch(/EOF inside entry data.*byte offset 700, entry 0 \(a\)/);
    expect(tarError(() => parse(one.subarray(0, 1100))).message).toMatch(/truncated/);
    const bad = Uint8Array.from(one);
    bad[10] = 0x41;
    expect(tarError(() => parse(bad)).message).toMatch(/checksum mismatch at byte offset 0/);
    const second = concat([one, ustarHeader({ name: 'b', size: 0, type: '0' }), EOA]);
    second[1536 + 1] = 0x41;
    expect(tarError(() => parse(second, 64)).message).toMatch(/checksum mismatch at byte offset 1536, entry 1/);
    expect(tarError(() => parse(concat([ustarHeader({ name: 'v', size: 0, type: 'V' }), EOA]))).message).toMatch(/unsupported entry type 'V'/);
    const garbage = ustarHeader({ name: 'm', size: 0, type: '0' });
    garbage[101] = 0x39; // '9' is not octal; the checksum is made to match
    expect(tarError(() => parse(concat([withChecksum(garbage), EOA]))).message).toMatch(/bad mode field at byte offset 0/);
    expect(tarError(() => parse(concat([new Uint8Array(512), one, EOA]))).message).toMatch(/zero block/);
    const pax = paxRecords({ path: 'p' });
    expect(tarError(() => parse(concat([ustarHeader({ name: 'x', size: pax.length, type: 'x' }), blocks(pax)]))).message)
      .toMatch(/metadata header/);
    const broken = enc('92 path=abc\n'); // the length runs past the payload
    expect(tarError(() => parse(concat([ustarHeader({ name: 'x', size: broken.length, type: 'x' }), blocks(broken), EOA]))).message)
      .toMatch(/malformed PAX record/);
  });
});

describe('normalizePath', () => {
  it.each([
    ['./a/b', 'a/b'], ['/a/b/', 'a/b'], ['a//b/./c', 'a/b/c'], ['./', '.'], ['.', '.'], ['/', '.'],
    ['././x', 'x'], ['.hidden', '.hidden'], ['./.wh.x', '.wh.x'], ['a/../b', 'a/../b'], ['dir/.', 'dir'],
  ])('%s -> %s', (input, want) => {
    expect(normalizePath(input)).toBe(want);
  });
});

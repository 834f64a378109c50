import { createHash, type Hash } from 'node:crypto';
import { closeSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImgscanError } from '../../../src/errors.js';
import { TarParser, type TarHeader, type TarVisitor } from '../../../src/layers/tar.js';
import { normalizePath } from '../../../src/layers/tar-fields.js';
import { expectedLayer } from '../../support/expected.js';
import {
  b3sumTree, blocks, concat, LONG_PATH_150, makeTree, paxRecords, run, scanFile, sh, tarList, ustarHeader, withChecksum,
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

  // Container runtimes (Docker, containerd) extract layers with Go's archive/tar: its reading of metadata
  // headers is what a container sees. GNU tar differs on global headers and on repeated 'x' headers.
  it('reads metadata headers as Go\'s archive/tar does', () => {
    const x = (records: Record<string, string>) => {
      const pax = paxRecords(records);
      return concat([ustarHeader({ name: 'PaxHeaders/x', size: pax.length, type: 'x' }), blocks(pax)]);
    };
    const g = (records: Record<string, string>) => {
      const pax = paxRecords(records);
      return concat([ustarHeader({ name: 'GlobalHead', size: pax.length, type: 'g' }), blocks(pax)]);
    };
    const long = (type: 'L' | 'K', name: string) => {
      const payload = enc(name + '\0');
      return concat([ustarHeader({ name: '././@LongLink', size: payload.length, type }), blocks(payload)]);
    };
    const bytes = concat([
      // A global header changes no entry.
      g({ uid: '4242', path: 'renamed' }),
      ustarHeader({ name: 'a', size: 0, type: '0' }),
      // Only the last 'x' before an entry applies, to that entry only.
      x({ mtime: '1700000000.25', gid: '77' }), x({ uid: '9' }),
      ustarHeader({ name: 'b', size: 0, type: '0', mtime: 5 }),
      ustarHeader({ name: 'c', size: 0, type: '0', uid: 1, mtime: 6 }),
      // A global header drops the 'x' and 'L' headers before it.
      x({ path: 'dropped' }), long('L', 'dropped-too'), g({ comment: 'git archive' }),
      ustarHeader({ name: 'd', size: 0, type: '0' }),
      // Empty values keep the header's fields; a signed PAX number is read.
      x({ path: '', uid: '', mtime: '', gid: '-1' }),
      ustarHeader({ name: 'e', size: 0, type: '0', uid: 3, mtime: 7 }),
      // 'L' / 'K' names win over PAX path / linkpath, in either order; an empty 'L' keeps the header's name.
      x({ path: 'from-pax', linkpath: 'pax-target' }), long('L', 'from-L'), long('K', 'K-target'),
      ustarHeader({ name: 'f', size: 0, type: '2', linkname: 'header-target' }),
      long('L', 'from-L2'), x({ path: 'from-pax2' }),
      ustarHeader({ name: 'g', size: 0, type: '0' }),
      long('L', ''),
      ustarHeader({ name: 'h', size: 0, type: '0' }),
      EOA,
    ]);
    const r = parse(bytes, 100);
    expect(r.entries.map((e) => [e.header.path, e.header.uid, e.header.gid, e.header.mtime])).toEqual([
      ['a', 0, 0, 1700000000],
      ['b', 9, 0, 5],
      ['c', 1, 0, 6],
      ['d', 0, 0, 1700000000],
      ['e', 3, -1, 7],
      ['from-L', 0, 0, 1700000000],
      ['from-L2', 0, 0, 1700000000],
      ['h', 0, 0, 1700000000],
    ]);
    expect(r.entries[5]!.header.linkTarget).toBe('K-target');
    expect(r.entries.map((e) => e.header.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    const nul = paxRecords({ path: 'a\0b' });
    expect(tarError(() => parse(concat([ustarHeader({ name: 'x', size: nul.length, type: 'x' }), blocks(nul), ustarHeader({ name: 'n', size: 0, type: '0' }), EOA]))).message)
      .toMatch(/NUL in PAX path/);
  });

  it('keeps names that are not UTF-8 apart, with their odd bytes as \\xNN', () => {
    const named = (bytes: number[]) => {
      const h = ustarHeader({ name: 'x', size: 0, type: '0' });
      h.fill(0, 0, 100);
      h.set(bytes, 0);
      return withChecksum(h);
    };
    const cafe = [0x63, 0x61, 0x66];
    const r = parse(concat([named([...cafe, 0xe9]), named([...cafe, 0xe8]), named([...cafe, 0xc3, 0xa9]), named([0xed, 0xa0, 0x80, 0x2f, 0x61]), EOA]));
    expect(r.entries.map((e) => e.header.path)).toEqual(['caf\\xe9', 'caf\\xe8', 'café', '\\xed\\xa0\\x80/a']);
  });

  it('stores a name with the byte 0xFF and one with the text \\xff as two paths, as GNU tar lists them', async () => {
    const src = join(dir, 'escapes');
    mkdirSync(src);
    for (const name of [Buffer.from([0x61, 0xff]), Buffer.from('a\\xff'), Buffer.from('b\\c'), Buffer.from('caf\u00e9')]) {
      writeFileSync(Buffer.concat([Buffer.from(`${src}/`), name]), name);
    }
    const tar = join(dir, 'escapes.tar');
    run('tar', ['-C', src, '--format=gnu', '--sort=name', '-cf', tar, '.']);
    const ours = parse(readFileSync(tar)).entries.map((e) => e.header.path);
    expect(ours).toEqual((await expectedLayer(tar)).entries.map((e) => e.path));
    expect(ours.slice(1).sort()).toEqual(['a\\xff', 'a\\\\xff', 'b\\\\c', 'caf\u00e9'].sort());
  });

  it('reads numeric fields as Go\'s archive/tar does: base-256 sign bit, octal up to a NUL', () => {
    const h = ustarHeader({ name: 'n', size: 0, type: '0' });
    // uid: base-256 with the sign bit (0x40) set in the first byte: -2 in two's complement over 8 bytes.
    h.set([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe], 108);
    // gid: octal "12", a NUL, then bytes Go ignores.
    h.set(enc('12\0 34 \0'), 116);
    // mtime: base-256 with the sign bit: -256.
    h.set([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00], 136);
    const e = parse(concat([withChecksum(h), EOA])).entries[0]!.header;
    expect([e.uid, e.gid, e.mtime]).toEqual([-2, 0o12, -256]);
    // A base-256 value past 63 bits is an invalid header in Go (0xc0 then 0xff: -(0x3f << 88) - 1).
    h.set([0xc0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], 136);
    expect(tarError(() => parse(concat([withChecksum(h), EOA]))).message).toMatch(/bad mtime field/);
    const spaced = ustarHeader({ name: 's', size: 0, type: '0' });
    spaced.set(enc('12 34  \0'), 116);
    expect(tarError(() => parse(concat([withChecksum(spaced), EOA]))).message).toMatch(/bad gid field/);
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
      // An old-style directory (trailing slash) carries no data whatever its size field, whiteout name or not.
      ustarHeader({ name: 'y/.wh.d/', size: 600, type: '\0' }),
      ustarHeader({ name: 'after', size: 1, type: '0' }), blocks(enc('z')),
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
      ['y/.wh.d', 'whiteout', 0, sha256('')],
      ['after', 'file', 1, sha256('z')],
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

  // Go's archive/tar (go-tar.test.ts compares every case with it) ends cleanly in an entry's padding, after a
  // metadata header, or after one zero block; an error names the entry the bad bytes belong to.
  it('ends where Go ends cleanly; errors name the entry of the bad bytes', () => {
    const two = concat([ustarHeader({ name: 'a', size: 3, type: '0' }), blocks(enc('aaa')), ustarHeader({ name: 'b', size: 5, type: '0' }), blocks(enc('hello'))]);
    const inPadding = parse(two.subarray(0, 1536 + 5 + 3), 7);
    expect(inPadding.entries.map((e) => [e.header.path, e.sha256])).toEqual([['a', sha256('aaa')], ['b', sha256('hello')]]);
    expect(tarError(() => parse(two.subarray(0, 1536 + 3))).message).toMatch(/EOF inside entry data, 2 bytes missing at byte offset 1539, entry 1 \(b\)$/);
    const garbage = concat([two.subarray(0, 1024), Buffer.from('garbage '.repeat(64))]);
    expect(tarError(() => parse(garbage)).message).toMatch(/checksum mismatch at byte offset 1024, entry 1$/);
    const pax = paxRecords({ path: 'p' });
    expect(parse(concat([ustarHeader({ name: 'x', size: pax.length, type: 'x' }), blocks(pax)])).entries).toEqual([]);
    expect(parse(concat([two, new Uint8Array(512)])).entries.length).toBe(2);
  });

  it('reads dumpdirs as directories, volume labels as other, unknown types as files (as GNU tar -x and Go)', () => {
    const entry = (name: string, type: string, data: string) => concat([ustarHeader({ name, size: data.length, type }), blocks(enc(data))]);
    const r = parse(concat([entry('dump', 'D', 'Yfile\0\0'), entry('label', 'V', ''), entry('acl', 'A', 'user::rw-\n'), entry('q', 'Q', 'qq'), EOA]), 100);
    expect(r.entries.map((e) => [e.header.path, e.header.type, e.header.size, e.length])).toEqual([
      ['dump', 'dir', 0, 0], ['label', 'other', 0, 0], ['acl', 'file', 10, 10], ['q', 'file', 2, 2],
    ]);
    expect(r.entries[2]!.sha256).toBe(sha256('user::rw-\n'));
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
    const garbage = ustarHeader({ name: 'm', size: 0, type: '0' });
    garbage[101] = 0x39; // '9' is not octal; the checksum is made to match
    expect(tarError(() => parse(concat([withChecksum(garbage), EOA]))).message).toMatch(/bad mode field at byte offset 0/);
    expect(tarError(() => parse(concat([new Uint8Array(512), one, EOA]))).message).toMatch(/zero block/);
    const pax = paxRecords({ path: 'p' });
    expect(tarError(() => parse(concat([ustarHeader({ name: 'x', size: pax.length, type: 'x' }), blocks(pax).subarray(0, 5)]))).message)
      .toMatch(/EOF inside metadata header data.*entry 0$/);
    const broken = enc('92 path=abc\n'); // the length runs past the payload
    expect(tarError(() => parse(concat([ustarHeader({ name: 'x', size: broken.length, type: 'x' }), blocks(broken), EOA]))).message)
      .toMatch(/malformed PAX record/);
  });
});

describe('GNU sparse files', () => {
  // Files with holes: 30 data runs (the old GNU header holds 4 regions, each extension block 21), only a hole,
  // data at the very end, and a plain file among them.
  const sparseFiles: Record<string, { size: number; writes: [number, string][] }> = {
    islands: { size: 2 << 20, writes: Array.from({ length: 30 }, (_, i) => [i * 65536 + 1000, `run ${i} `.repeat(50)] as [number, string]) },
    'only-hole': { size: 1 << 20, writes: [] },
    'tail/end': { size: 1 << 20, writes: [[(1 << 20) - 3, 'end']] },
  };
  const formats: [string, string[]][] = [
    ['old GNU', ['--format=gnu']],
    ['PAX 0.0', ['--format=posix', '--sparse-version=0.0']],
    ['PAX 0.1', ['--format=posix', '--sparse-version=0.1']],
    ['PAX 1.0', ['--format=posix', '--sparse-version=1.0']],
  ];
  let src: string;
  const archive = (name: string) => join(dir, `sparse-${name.replace(/\W/g, '')}.tar`);

  beforeAll(() => {
    src = join(dir, 'sparse-src');
    mkdirSync(join(src, 'tail'), { recursive: true });
    for (const [name, f] of Object.entries(sparseFiles)) {
      const fd = openSync(join(src, name), 'w');
      ftruncateSync(fd, f.size);
      for (const [at, text] of f.writes) writeSync(fd, text, at);
      closeSync(fd);
    }
    writeFileSync(join(src, 'plain.txt'), 'not sparse\n');
    for (const [name, args] of formats) run('tar', ['-C', src, '--sparse', ...args, '--sort=name', '-cf', archive(name), '.']);
  });

  it.each(formats.map(([name]) => name))('expands %s sparse entries into their content, at any chunking', async (name) => {
    const tar = archive(name);
    const bytes = readFileSync(tar);
    // Stored sparse: the archive is far smaller than the files it holds.
    const total = Object.values(sparseFiles).reduce((sum, f) => sum + f.size, 0);
    expect(bytes.length).toBeLessThan(total / 10);
    const expected = tarList(tar).filter((e) => e.type === 'file');
    const whole = parse(bytes);
    const files = whole.entries.filter((e) => e.header.type === 'file');
    expect(files.map((e) => [e.header.path, e.header.size, e.length])).toEqual(expected.map((e) => [e.path, e.size, e.size]));
    for (const f of files) {
      expect(f.header.size).toBe(statSync(join(src, f.header.path)).size);
      expect(f.sha256).toBe(sha256(readFileSync(join(src, f.header.path))));
    }
    for (const slice of [1, 7, 512, 1000]) expect(parse(bytes, slice).entries).toEqual(whole.entries);
    // Through the layer scanner: BLAKE3 of what tar extracts, sizes and files_size of the real files.
    const out = join(dir, `sparse-x-${name.replace(/\W/g, '')}`);
    mkdirSync(out);
    run('tar', ['-C', out, '-xf', tar]);
    const b3 = b3sumTree(out);
    const { layer, files: rows } = await scanFile(tar);
    const fileRows = rows.filter((r) => r.entry_type === 'file');
    expect(new Map(fileRows.map((r) => [r.path, r.digest]))).toEqual(b3);
    expect(layer.files_size).toBe(expected.reduce((sum, e) => sum + e.size, 0));
    expect(layer.tar_size).toBe(bytes.length);
    // The holes, from Python's tarfile (which reads every GNU sparse format): in files_size, not in the tar.
    const holes = run('python3', ['-c', [
      'import sys, tarfile',
      'members = tarfile.open(sys.argv[1]).getmembers()',
      'print(sum(m.size - sum(n for _, n in m.sparse) for m in members if m.sparse is not None))',
    ].join('\n'), tar]);
    expect(layer.sparse_hole_size).toBe(Number(holes.trim()));
    expect(layer.sparse_hole_size).toBeGreaterThan(total / 2);
  });

  it('rejects malformed sparse maps, naming the entry; an unknown sparse version is a plain file', () => {
    const paxFile = (records: Record<string, string>, data: Uint8Array) => {
      const pax = paxRecords(records);
      return concat([
        ustarHeader({ name: 'PaxHeaders/f', size: pax.length, type: 'x' }), blocks(pax),
        ustarHeader({ name: 'GNUSparseFile.1/f', size: data.length, type: '0' }), blocks(data), EOA,
      ]);
    };
    const five = enc('12345');
    // An unknown version is a plain file under its own name, as Go's archive/tar reads it.
    const unknown = parse(paxFile({ 'GNU.sparse.major': '2', 'GNU.sparse.minor': '0', 'GNU.sparse.name': 'f', 'GNU.sparse.realsize': '9' }, five));
    expect(unknown.entries.map((e) => [e.header.path, e.header.size, e.sha256])).toEqual([['GNUSparseFile.1/f', 5, sha256(five)]]);
    expect(tarError(() => parse(paxFile({ 'GNU.sparse.size': '20', 'GNU.sparse.numblocks': '1', 'GNU.sparse.map': '0,10' }, five))).message)
      .toMatch(/sparse regions hold 10 bytes but the entry stores 5/);
    expect(tarError(() => parse(paxFile({ 'GNU.sparse.size': '12', 'GNU.sparse.numblocks': '1', 'GNU.sparse.map': '10,5' }, five))).message)
      .toMatch(/ends past the file size 12/);
    expect(tarError(() => parse(paxFile({ 'GNU.sparse.size': '20', 'GNU.sparse.numblocks': '2', 'GNU.sparse.map': '0,5' }, five))).message)
      .toMatch(/numblocks is 2 but 1 regions/);
    expect(tarError(() => parse(paxFile({ 'GNU.sparse.size': '20', 'GNU.sparse.offset': '0' }, five))).message)
      .toMatch(/missing or bad GNU.sparse.numblocks/);
    // 1.0: the map in the data announces two regions and holds one.
    const map = blocks(enc('2\n0\n5\n'));
    expect(tarError(() => parse(paxFile({ 'GNU.sparse.major': '1', 'GNU.sparse.minor': '0', 'GNU.sparse.realsize': '20', 'GNU.sparse.name': 'f' }, map), 100)).message)
      .toMatch(/sparse map at byte offset \d+, entry 0 \(f\)/);
    expect(tarError(() => parse(paxFile({ 'GNU.sparse.major': '1', 'GNU.sparse.minor': '0', 'GNU.sparse.realsize': '20', 'GNU.sparse.name': 'f' }, new Uint8Array(0)))).message)
      .toMatch(/truncated sparse map/);
    // Old GNU: the archive ends where the extension blocks of the 30-run file should follow.
    const gnu = readFileSync(archive('old GNU'));
    let at = 0;
    while (!(gnu[at + 156] === 0x53 && gnu.subarray(at, at + 100).toString().startsWith('./islands'))) at += 512;
    expect(gnu[at + 482]).not.toBe(0); // extended
    expect(tarError(() => parse(gnu.subarray(0, at + 512))).message).toMatch(/ends before the sparse extension headers/);
  });
});

describe('normalizePath', () => {
  it.each([
    ['./a/b', 'a/b'], ['/a/b/', 'a/b'], ['a//b/./c', 'a/b/c'], ['./', '.'], ['.', '.'], ['/', '.'],
    ['././x', 'x'], ['.hidden', '.hidden'], ['./.wh.x', '.wh.x'], ['a/../b', 'b'], ['../../x', 'x'], ['a/b/../../..', '.'], ['./a/./../b/', 'b'], ['file..txt', 'file..txt'], ['dir/.', 'dir'],
  ])('%s -> %s', (input, want) => {
    expect(normalizePath(input)).toBe(want);
  });
});

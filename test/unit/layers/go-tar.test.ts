/**
 * Differential test: imgscan's TarParser against Go's archive/tar (what Docker and containerd extract layers
 * with), run as test/support/go-tar over the same bytes. Every entry Go returns must be an entry imgscan reads
 * (path, type, size, link, content), and Go fails exactly where imgscan fails with TAR_INVALID.
 */
import { createHash, type Hash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImgscanError } from '../../../src/errors.js';
import { TarParser, type TarVisitor } from '../../../src/layers/tar.js';
import { normalizePath } from '../../../src/layers/tar-fields.js';
import type { EntryType } from '../../../src/model/rows.js';
import { run } from '../../support/exec.js';
import { missingTools } from '../../support/tools.js';
import { handBuilt } from './go-tar-cases.js';

const GO_TESTDATA = '/usr/share/go-1.19/src/archive/tar/testdata';
const REFERENCE = join(__dirname, '../../support/go-tar/main.go');

/** What one reader made of an archive; entries as imgscan stores them. */
interface Reading {
  entries: { path: string; type: EntryType; size: number; link: string | null; digest: string | null }[];
  outcome: 'ok' | 'error';
  message?: string;
}

/**
 * The digest go-tar prints: sha256 over 1 MiB blocks of the content, per block 'Z' when all zeros, else 'D' and
 * the block's sha256. Written here independently; computed without copying, and without hashing zero blocks.
 */
class BlockDigest {
  private static readonly SIZE = 1 << 20;
  private static readonly ZEROS = Buffer.alloc(BlockDigest.SIZE);
  private readonly outer = createHash('sha256');
  private inner: Hash | null = null;
  private fill = 0;

  update(slice: Uint8Array): void {
    let at = 0;
    while (at < slice.length) {
      const n = Math.min(BlockDigest.SIZE - this.fill, slice.length - at);
      const part = Buffer.from(slice.buffer, slice.byteOffset + at, n);
      if (this.inner === null && !part.equals(BlockDigest.ZEROS.subarray(0, n))) {
        this.inner = createHash('sha256').update(BlockDigest.ZEROS.subarray(0, this.fill));
      }
      this.inner?.update(part);
      this.fill += n;
      at += n;
      if (this.fill === BlockDigest.SIZE) this.flush();
    }
  }

  digest(): string {
    this.flush();
    return this.outer.digest('hex');
  }

  private flush(): void {
    if (this.fill === 0) return;
    if (this.inner === null) this.outer.update('Z');
    else this.outer.update(Buffer.concat([Buffer.from('D'), this.inner.digest()]));
    this.inner = null;
    this.fill = 0;
  }
}

/** imgscan's reading: TarParser over the bytes pushed in slices of `slice` bytes. */
function imgscanRead(bytes: Uint8Array, slice: number): Reading {
  const entries: Reading['entries'] = [];
  let current: BlockDigest | null = null;
  const visitor: TarVisitor = {
    entry(h) {
      entries.push({ path: h.path, type: h.type, size: h.size, link: h.linkTarget, digest: null });
      current = new BlockDigest();
    },
    data(s) {
      current!.update(s);
    },
    entryEnd() {
      entries[entries.length - 1]!.digest = current!.digest();
      current = null;
    },
  };
  const parser = new TarParser(visitor);
  try {
    for (let i = 0; i < bytes.length; i += slice) parser.push(bytes.subarray(i, i + slice));
    parser.end();
  } catch (err) {
    if (!(err instanceof ImgscanError) || err.code !== 'TAR_INVALID') throw err;
    return { entries, outcome: 'error', message: err.message };
  }
  return { entries, outcome: 'ok' };
}

const EMPTY_DIGEST = new BlockDigest().digest();

/** The entry type imgscan records for a type flag Go returns (null: not an entry, a global PAX header). */
function typeOf(flag: number, path: string): EntryType | null {
  const types: Record<string, EntryType | null> = {
    g: null, 1: 'hardlink', 2: 'symlink', 3: 'char', 4: 'block', 5: 'dir', 6: 'fifo', D: 'dir', V: 'other',
  };
  const t = types[String.fromCharCode(flag)];
  if (t === null) return null;
  const base = path.slice(path.lastIndexOf('/') + 1);
  if (base.startsWith('.wh.')) return base === '.wh..wh..opq' ? 'opaque' : 'whiteout';
  return t ?? 'file'; // '0', '7', 'S', and every flag GNU tar extracts as a regular file
}

interface GoEntry { name: string; typeflag: number; size: number; linkname: string; digest: string | null }

const missing = await missingTools(['go'], 'Go archive/tar reference tests');
let work: string;
let binary: string;

/** Go's reading, mapped to what imgscan should store. */
async function goRead(bytes: Uint8Array): Promise<Reading> {
  const file = join(work, 'input.tar');
  writeFileSync(file, bytes);
  const lines = (await run(binary, [file])).stdout.toString('utf8').trimEnd().split('\n').map((l) => JSON.parse(l));
  const last = lines.pop() as { end: string; error?: string };
  const entries: Reading['entries'] = [];
  for (const e of lines as GoEntry[]) {
    const path = normalizePath(e.name);
    const type = typeOf(e.typeflag, path);
    if (type === null) continue;
    const file = type === 'file';
    const link = type === 'symlink' ? e.linkname : type === 'hardlink' ? normalizePath(e.linkname) : null;
    entries.push({ path, type, size: file ? e.size : 0, link, digest: file ? e.digest : e.digest === null ? null : EMPTY_DIGEST });
  }
  return { entries, outcome: last.end === 'ok' ? 'ok' : 'error', message: last.error };
}

/** Compares the two readings; an entry whose data Go could not read is compared without its content. */
async function expectSameAsGo(bytes: Uint8Array, slices: number[] = [bytes.length || 1, 511]): Promise<Reading> {
  const go = await goRead(bytes);
  for (const slice of slices) {
    const ours = imgscanRead(bytes, slice);
    if (go.outcome === 'error' && go.entries.at(-1)?.digest === null) ours.entries.at(-1)!.digest = null;
    expect({ entries: ours.entries, outcome: ours.outcome }, `imgscan (slices of ${slice}) vs Go (${go.message ?? 'ok'})`)
      .toEqual({ entries: go.entries, outcome: go.outcome });
  }
  return go;
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'imgscan-go-tar-'));
  if (missing.length > 0) return;
  binary = join(work, 'go-tar');
  const env = { HOME: work, GOCACHE: join(work, 'cache'), GO111MODULE: 'off', GOFLAGS: '', CGO_ENABLED: '0' };
  await run('go', ['build', '-o', binary, REFERENCE], { env });
}, 180_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Go's test archives; the one compressed with bzip2 is decompressed with bzip2. */
async function goTestdata(name: string): Promise<Uint8Array> {
  const path = join(GO_TESTDATA, name);
  return name.endsWith('.bz2') ? (await run('bzip2', ['-dc', path])).stdout : readFileSync(path);
}

const testdata = readdirSync(GO_TESTDATA).filter((n) => n.endsWith('.tar') || n.endsWith('.tar.bz2')).sort();

describe.skipIf(missing.length > 0)('TarParser reads as Go archive/tar', () => {
  it.each(testdata)('%s', async (name) => {
    const bytes = await goTestdata(name);
    // The 60 GB sparse files are read once: their stored bytes are few, their holes many.
    await expectSameAsGo(bytes, bytes.length > 4096 && name.includes('sparse-big') ? [bytes.length] : undefined);
  }, 120_000);

  // The inputs of Go's TestReadTruncation (reader_test.go), cut at the same offsets.
  it('every truncation of TestReadTruncation', async () => {
    const [data1, data2raw, pax, sparse] = ['gnu.tar', 'ustar-file-reg.tar', 'pax-path-hdr.tar', 'sparse-formats.tar'].map((n) => readFileSync(join(GO_TESTDATA, n)));
    const data2 = Buffer.concat([data2raw!, Buffer.alloc(10 * 512)]);
    const trash = Buffer.from('garbage '.repeat(64));
    const cat = (...parts: Buffer[]) => Buffer.concat(parts);
    const vectors: [Buffer, number, 'ok' | 'error'][] = [
      [Buffer.alloc(0), 0, 'ok'], [data1!.subarray(0, 511), 0, 'error'], [data1!.subarray(0, 512), 1, 'error'],
      [data1!.subarray(0, 1024), 1, 'ok'], [data1!.subarray(0, 1536), 2, 'error'], [data1!.subarray(0, 2048), 2, 'ok'],
      [data1!, 2, 'ok'], [cat(data1!.subarray(0, 2048), data2.subarray(0, 1536)), 3, 'ok'],
      [data2.subarray(0, 511), 0, 'error'], [data2.subarray(0, 512), 1, 'error'], [data2.subarray(0, 1195), 1, 'error'],
      [data2.subarray(0, 1196), 1, 'ok'], [data2.subarray(0, 1200), 1, 'ok'], [data2.subarray(0, 1535), 1, 'ok'],
      [data2.subarray(0, 1536), 1, 'ok'], [cat(data2.subarray(0, 1536), trash.subarray(0, 1)), 1, 'error'],
      [cat(data2.subarray(0, 1536), trash.subarray(0, 511)), 1, 'error'], [cat(data2.subarray(0, 1536), trash), 1, 'error'],
      [data2.subarray(0, 2048), 1, 'ok'], [cat(data2.subarray(0, 2048), trash.subarray(0, 1)), 1, 'error'],
      [cat(data2.subarray(0, 2048), trash.subarray(0, 511)), 1, 'error'], [cat(data2.subarray(0, 2048), trash), 1, 'error'],
      [data2.subarray(0, 2560), 1, 'ok'], [cat(data2.subarray(0, 2560), trash.subarray(0, 1)), 1, 'ok'],
      [cat(data2.subarray(0, 2560), trash.subarray(0, 511)), 1, 'ok'], [cat(data2.subarray(0, 2560), trash), 1, 'ok'],
      [data2.subarray(0, 3072), 1, 'ok'], [pax!, 0, 'ok'], [cat(pax!, trash.subarray(0, 1)), 0, 'error'],
      [cat(pax!, trash.subarray(0, 511)), 0, 'error'], [sparse!.subarray(0, 511), 0, 'error'],
      [sparse!.subarray(0, 512), 0, 'error'], [sparse!.subarray(0, 3584), 1, 'ok'], [sparse!.subarray(0, 9200), 1, 'ok'],
      [sparse!.subarray(0, 9216), 1, 'ok'], [sparse!.subarray(0, 9728), 2, 'error'], [sparse!.subarray(0, 10240), 2, 'ok'],
      [sparse!.subarray(0, 11264), 2, 'error'], [sparse!, 5, 'ok'], [cat(sparse!, trash), 5, 'ok'],
    ];
    for (const [input, count, outcome] of vectors) {
      const go = await expectSameAsGo(input);
      // The reference itself agrees with Go's own test (which counts headers, a global one included).
      expect([go.entries.length, go.outcome], `${input.length} bytes`).toEqual([count, outcome]);
    }
  }, 120_000);

  it.each(handBuilt.map((c) => [c.name, c] as const))('hand-built: %s', async (_name, c) => {
    const go = await expectSameAsGo(c.bytes);
    expect(go.outcome).toBe(c.outcome);
  });
});

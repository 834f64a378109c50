import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDecompressor, sniffCompression, type GzipInflater } from '../../../src/layers/decompress.js';
import { ImgscanError } from '../../../src/errors.js';
import type { Compression } from '../../../src/model/rows.js';
import { sh } from './fixture.js';

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'imgscan-decompress-'));
  sh(`{ cat /bin/ls; head -c 2000000 /dev/urandom; } > ${dir}/plain && gzip -c ${dir}/plain > ${dir}/plain.gz && zstd -q -c ${dir}/plain > ${dir}/plain.zst`);
  // Two zstd frames, and two gzip members, back to back.
  sh(`head -c 1000 ${dir}/plain | zstd -q -c > ${dir}/two.zst && tail -c +1001 ${dir}/plain | zstd -q -c >> ${dir}/two.zst`);
  sh(`head -c 1000 ${dir}/plain | gzip -c > ${dir}/two.gz && tail -c +1001 ${dir}/plain | gzip -c >> ${dir}/two.gz`);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const inflaters: GzipInflater[] = ['sync', 'stream'];

/**
 * Decompresses `blob` fed in `slice`-byte writes. Each slice is a copy that is overwritten as soon as `write`
 * has returned (or resolved): the decompressor must have taken it in by then.
 */
async function inflate(kind: Compression, blob: Uint8Array, slice = 65536, gzip: GzipInflater = 'sync'): Promise<Buffer> {
  const parts: Buffer[] = [];
  const d = createDecompressor(kind, (out) => void parts.push(Buffer.from(out)), gzip);
  const input = Buffer.alloc(slice);
  for (let i = 0; i < blob.length; i += slice) {
    const n = input.set(blob.subarray(i, i + slice)) ?? Math.min(slice, blob.length - i);
    await d.write(input.subarray(0, n));
    input.fill(0xa5);
  }
  await d.end();
  return Buffer.concat(parts);
}

describe('sniffCompression', () => {
  it('reads magic bytes only', () => {
    expect(sniffCompression(readFileSync(join(dir, 'plain.gz')))).toBe('gzip');
    expect(sniffCompression(readFileSync(join(dir, 'plain.zst')))).toBe('zstd');
    expect(sniffCompression(readFileSync(join(dir, 'plain')))).toBe('none');
    expect(sniffCompression(new Uint8Array([0x1f]))).toBe('none');
    expect(sniffCompression(new Uint8Array([0x28, 0xb5, 0x2f]))).toBe('none');
  });
});

describe('createDecompressor', () => {
  it.each([
    ['gzip', 'plain.gz'],
    ['gzip', 'two.gz'],
    ['zstd', 'plain.zst'],
    ['zstd', 'two.zst'],
    ['none', 'plain'],
  ] as const)('%s %s gives back the original bytes', async (kind, file) => {
    const plain = readFileSync(join(dir, 'plain'));
    for (const gzip of kind === 'gzip' ? inflaters : (['sync'] as const)) {
      for (const slice of [1000, 1 << 20]) {
        expect((await inflate(kind, readFileSync(join(dir, file)), slice, gzip)).equals(plain), `${gzip}, ${slice}-byte writes`).toBe(true);
      }
    }
  });

  it.each([
    ['gzip', 'plain.gz', 'sync'],
    ['gzip', 'plain.gz', 'stream'],
    ['zstd', 'plain.zst', 'sync'],
  ] as const)('%s: truncation is DECOMPRESS_FAILED (%s)', async (kind, file, gzip) => {
    const blob = readFileSync(join(dir, file));
    const err = await inflate(kind, blob.subarray(0, blob.length - 100), 65536, gzip).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImgscanError);
    expect((err as ImgscanError).code).toBe('DECOMPRESS_FAILED');
  });

  it.each(inflaters)('gzip: corrupt data is DECOMPRESS_FAILED (%s), and so is every later write', async (gzip) => {
    const blob = Buffer.from(readFileSync(join(dir, 'plain.gz')));
    for (let i = 5000; i < 5100; i++) blob[i] = 0xff;
    const err = await inflate('gzip', blob, 65536, gzip).catch((e: unknown) => e);
    expect((err as ImgscanError).code).toBe('DECOMPRESS_FAILED');
    const d = createDecompressor('gzip', () => undefined, gzip);
    const first = await (async () => d.write(blob))().catch((e: unknown) => e);
    expect((first as ImgscanError).code).toBe('DECOMPRESS_FAILED');
    const later = await (async () => d.write(blob.subarray(0, 10)))().catch((e: unknown) => e);
    expect((later as ImgscanError).code).toBe('DECOMPRESS_FAILED');
  });

  it('passes an error from the output handler through unchanged', async () => {
    for (const [kind, file, gzip] of [['gzip', 'plain.gz', 'sync'], ['gzip', 'plain.gz', 'stream'], ['zstd', 'plain.zst', 'sync'], ['none', 'plain', 'sync']] as const) {
      const boom = new Error('handler failed');
      const d = createDecompressor(kind, () => {
        throw boom;
      }, gzip);
      const blob = readFileSync(join(dir, file));
      const err = await (async () => {
        for (let i = 0; i < blob.length; i += 65536) await d.write(blob.subarray(i, i + 65536));
        await d.end();
      })().catch((e: unknown) => e);
      expect(err).toBe(boom);
    }
  });
});

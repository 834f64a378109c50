import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDecompressor, sniffCompression } from '../../../src/layers/decompress.js';
import { ImgscanError } from '../../../src/errors.js';
import type { Compression } from '../../../src/store/rows.js';
import { sh } from './fixture.js';

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'imgscan-decompress-'));
  sh(`{ cat /bin/ls; head -c 2000000 /dev/urandom; } > ${dir}/plain && gzip -c ${dir}/plain > ${dir}/plain.gz && zstd -q -c ${dir}/plain > ${dir}/plain.zst`);
  // Two zstd frames back to back.
  sh(`head -c 1000 ${dir}/plain | zstd -q -c > ${dir}/two.zst && tail -c +1001 ${dir}/plain | zstd -q -c >> ${dir}/two.zst`);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function inflate(kind: Compression, blob: Uint8Array, slice = 65536): Promise<Buffer> {
  const parts: Buffer[] = [];
  const d = createDecompressor(kind, (out) => void parts.push(Buffer.from(out)));
  for (let i = 0; i < blob.length; i += slice) await d.write(blob.subarray(i, i + slice));
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
    ['zstd', 'plain.zst'],
    ['zstd', 'two.zst'],
    ['none', 'plain'],
  ] as const)('%s %s gives back the original bytes', async (kind, file) => {
    const plain = readFileSync(join(dir, 'plain'));
    for (const slice of [1000, 1 << 20]) {
      expect((await inflate(kind, readFileSync(join(dir, file)), slice)).equals(plain)).toBe(true);
    }
  });

  it.each([['gzip', 'plain.gz'], ['zstd', 'plain.zst']] as const)('%s: truncation is DECOMPRESS_FAILED', async (kind, file) => {
    const blob = readFileSync(join(dir, file));
    const err = await inflate(kind, blob.subarray(0, blob.length - 100)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImgscanError);
    expect((err as ImgscanError).code).toBe('DECOMPRESS_FAILED');
  });

  it('gzip: corrupt data is DECOMPRESS_FAILED', async () => {
    const blob = Buffer.from(readFileSync(join(dir, 'plain.gz')));
    for (let i = 5000; i < 5100; i++) blob[i] = 0xff;
    const err = await inflate('gzip', blob).catch((e: unknown) => e);
    expect((err as ImgscanError).code).toBe('DECOMPRESS_FAILED');
  });

  it('passes an error from the output handler through unchanged', async () => {
    for (const [kind, file] of [['gzip', 'plain.gz'], ['zstd', 'plain.zst'], ['none', 'plain']] as const) {
      const boom = new Error('handler failed');
      const d = createDecompressor(kind, () => {
        throw boom;
      });
      const blob = readFileSync(join(dir, file));
      const err = await (async () => {
        for (let i = 0; i < blob.length; i += 65536) await d.write(blob.subarray(i, i + 65536));
        await d.end();
      })().catch((e: unknown) => e);
      expect(err).toBe(boom);
    }
  });
});

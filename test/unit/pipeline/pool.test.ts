import { createReadStream, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImgscanError } from '../../../src/errors.js';
import { LayerPool } from '../../../src/pipeline/pool.js';
import type { Layer } from '../../../src/sources/types.js';
import type { FileRow } from '../../../src/model/rows.js';
import { sh } from '../layers/fixture.js';
import type { GzipInflater } from '../../../src/layers/decompress.js';
import { missingTools } from '../../support/tools.js';

const haveIgzip = (await missingTools(['igzip'], 'worker scans through igzip')).length === 0;

/**
 * The worker pool's two ways in: a blob in a local file, which the worker reads itself, and a stream from the
 * calling thread. Expected values come from sha256sum, gzip and tar.
 */
let work: string;
let archive: string;
let blob: { offset: number; size: number; digest: string; diffId: string; tarSize: number; entries: number };
const pool = new LayerPool(1);

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'imgscan-pool-'));
  sh(`mkdir -p ${work}/tree && cp -r /usr/share/doc/gzip /usr/share/doc/tar ${work}/tree/ && head -c 300000 /usr/bin/tar > ${work}/tree/bin`);
  sh(`tar -C ${work}/tree -cf ${work}/layer.tar . && gzip -c ${work}/layer.tar > ${work}/layer.tar.gz`);
  // The blob sits inside a bigger file, as a layer does in a docker archive.
  const gz = readFileSync(join(work, 'layer.tar.gz'));
  const before = Buffer.alloc(1536, 7);
  archive = join(work, 'archive');
  writeFileSync(archive, Buffer.concat([before, gz, Buffer.alloc(700, 9)]));
  const hex = (cmd: string) => sh(cmd).trim().split(/\s+/)[0]!;
  blob = {
    offset: before.length,
    size: gz.length,
    digest: `sha256:${hex(`sha256sum ${work}/layer.tar.gz`)}`,
    diffId: `sha256:${hex(`sha256sum ${work}/layer.tar`)}`,
    tarSize: statSync(join(work, 'layer.tar')).size,
    entries: Number(sh(`tar -tf ${work}/layer.tar | wc -l`).trim()),
  };
});

afterAll(async () => {
  await pool.close();
  rmSync(work, { recursive: true, force: true });
});

function layer(options: { digest?: string; located?: boolean; path?: string } = {}): Layer {
  const { offset, size } = blob;
  const path = options.path ?? archive;
  return {
    descriptor: { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: options.digest ?? blob.digest, size },
    diffId: blob.diffId,
    open: async () => createReadStream(path, { start: offset, end: offset + size - 1 }),
    ...(options.located !== false && { locate: () => ({ path, offset, size }) }),
  };
}

async function scan(l: Layer, inflater?: GzipInflater) {
  const files: FileRow[] = [];
  let bytes = 0;
  const row = await pool.scan({ layerDigest: l.descriptor.digest, expectedSize: l.descriptor.size, inflater }, l, {
    files: (rows) => void files.push(...rows),
    chunks: () => undefined,
    bytes: (n) => void (bytes += n),
  });
  return { row, files, bytes };
}

async function failure(l: Layer): Promise<ImgscanError> {
  const err = await scan(l).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ImgscanError);
  return err as ImgscanError;
}

describe('LayerPool', () => {
  it('reads a blob at its offset in a file on the worker, with the rows of the same blob streamed to it', async () => {
    const fromFile = await scan(layer());
    const streamed = await scan(layer({ located: false }));
    expect(fromFile.row.diff_id).toBe(blob.diffId);
    expect(fromFile.row.compressed_size).toBe(blob.size);
    expect(fromFile.row.tar_size).toBe(blob.tarSize);
    expect(fromFile.row.entry_count).toBe(blob.entries);
    expect(fromFile.files).toHaveLength(blob.entries);
    expect(fromFile.bytes).toBe(blob.size);
    expect(streamed.row).toEqual(fromFile.row);
    expect(streamed.files).toEqual(fromFile.files);
    expect(streamed.bytes).toBe(blob.size);
  });

  it.skipIf(!haveIgzip)('scans through igzip on the worker, from a file and streamed, as through zlib; a corrupt blob fails naming the layer', async () => {
    const zlib = await scan(layer(), 'sync');
    for (const located of [true, false]) {
      const got = await scan(layer({ located }), 'igzip');
      expect(got.row).toEqual(zlib.row);
      expect(got.files).toEqual(zlib.files);
    }
    const gz = readFileSync(join(work, 'layer.tar.gz'));
    gz.fill(0xff, gz.length >> 1, (gz.length >> 1) + 64);
    const bad = join(work, 'bad.tar.gz');
    writeFileSync(bad, gz);
    const digest = `sha256:${sh(`sha256sum ${bad}`).trim().split(/\s+/)[0]}`;
    const l: Layer = { descriptor: { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest, size: gz.length }, diffId: blob.diffId, open: async () => createReadStream(bad), locate: () => ({ path: bad, offset: 0, size: gz.length }) };
    const err = await scan(l, 'igzip').then(() => undefined, (e: unknown) => e);
    expect((err as ImgscanError).code).toBe('DECOMPRESS_FAILED');
    expect((err as ImgscanError).context.layer).toBe(digest);
    expect((await scan(layer(), 'igzip')).row.diff_id).toBe(blob.diffId);
  });

  it('fails a blob in a file whose digest differs, naming the layer, and goes on with the next', async () => {
    const wrong = `sha256:${'0'.repeat(64)}`;
    const err = await failure(layer({ digest: wrong }));
    expect(err.code).toBe('DIGEST_MISMATCH');
    expect(err.context.layer).toBe(wrong);
    expect((await scan(layer())).row.diff_id).toBe(blob.diffId);
  });

  it('fails a streamed blob whose digest differs as one in a file does: the worker verifies both', async () => {
    const wrong = `sha256:${'0'.repeat(64)}`;
    const err = await failure(layer({ digest: wrong, located: false }));
    expect(err.code).toBe('DIGEST_MISMATCH');
    expect(err.context.layer).toBe(wrong);
    expect((await scan(layer({ located: false }))).row.diff_id).toBe(blob.diffId);
  });

  it('fails a streamed blob longer than its descriptor says with SIZE_MISMATCH', async () => {
    const l = layer({ located: false });
    const short = { ...l, descriptor: { ...l.descriptor, size: blob.size - 1 } };
    const err = await failure(short);
    expect(err.code).toBe('SIZE_MISMATCH');
    expect(err.context.layer).toBe(blob.digest);
  });

  it('fails a layer with a malformed digest with a typed error, not a crashed worker', async () => {
    const err = await failure(layer({ digest: 'md5:abc' }));
    expect(err.code).toBe('DIGEST_MISMATCH');
    expect((await scan(layer())).row.diff_id).toBe(blob.diffId);
  });

  it('fails the layer with the error of a sink that cannot take its rows (a full store), and goes on with the next', async () => {
    for (const located of [true, false]) {
      const l = layer({ located });
      const full = new ImgscanError('STORE', 'no space left', { path: '/data' });
      let calls = 0;
      const err = await pool
        .scan({ layerDigest: l.descriptor.digest, expectedSize: l.descriptor.size }, l, {
          files: () => {
            calls++;
            throw full;
          },
          chunks: () => undefined,
        })
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(err).toBe(full);
      expect(calls).toBe(1);
      expect((await scan(layer({ located }))).row.diff_id).toBe(blob.diffId);
    }
  });

  it('fails a blob whose file cannot be opened with BLOB_MISSING, naming the path', async () => {
    const gone = join(work, 'gone');
    const err = await failure(layer({ path: gone }));
    expect(err.code).toBe('BLOB_MISSING');
    expect(err.context.path).toBe(gone);
  });
});

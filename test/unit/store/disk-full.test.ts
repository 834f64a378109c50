/** A data directory on a full disk (a real 4 MiB tmpfs): STORE errors naming the directory, nothing stored lost. */
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ImgscanError } from '../../../src/errors.js';
import type { FileRow, LayerRow } from '../../../src/model/rows.js';
import { DatasetWriter } from '../../../src/store/writer.js';
import { dumpDataset } from '../../support/dataset.js';
import { canMountTmpfs, mountTmpfs, type Tmpfs } from '../../support/tmpfs.js';

const can = canMountTmpfs('disk-full store tests');

const digest = (c: string) => `sha256:${c.repeat(64)}`;

function layerRow(layer: string, files: number): LayerRow {
  return { layer_digest: layer, diff_id: layer.replace('sha256:', 'sha256:0'), compression: 'gzip', compressed_size: 10, tar_size: 20, files_size: files, sparse_hole_size: 0, entry_count: files, file_count: files, dir_count: 0, symlink_count: 0, hardlink_count: 0, char_count: 0, block_count: 0, fifo_count: 0, whiteout_count: 0, opaque_count: 0, chunker: null, sample_rate: null, metadata_gzip_size: null, metadata_zstd_size: null };
}

/** `n` rows from `from` on, each with a path of some 100 bytes (uncompressed in DuckDB's memory). */
function fileRows(layer: string, from: number, n: number): FileRow[] {
  return Array.from({ length: n }, (_, k) => {
    const i = from + k;
    return { layer_digest: layer, entry_index: i, path: `usr/share/some/long/directory/name/${i}/${'p'.repeat(60)}`, entry_type: 'file' as const, size: i, digest: i.toString(16).padStart(64, '0'), file_class: 'text' as const, mode: 0o644, uid: 0, gid: 0, mtime: 1, link_target: null, dev_major: null, dev_minor: null, gzip_size: null, zstd_size: null };
  });
}

/** A writer on the tmpfs with a committed dataset of one layer and 3 files; 16 MB of staged rows before spilling. */
const writers: DatasetWriter[] = [];

async function committedWriter(fs: Tmpfs): Promise<{ data: string; writer: DatasetWriter; before: Record<string, string[]> }> {
  const data = join(fs.dir, 'data');
  const writer = await DatasetWriter.open(data, { stagingMemory: '16MB' });
  writers.push(writer);
  writer.beginLayer(digest('a'));
  writer.add('files', fileRows(digest('a'), 0, 3));
  writer.finishLayer(layerRow(digest('a'), 3));
  await writer.commit();
  const before = await dumpDataset(data);
  expect(before.files).toHaveLength(3);
  return { data, writer, before };
}

/** Stages rows of one layer until the writer throws (the spill finds the disk full); the error thrown. */
function stageUntilFull(writer: DatasetWriter, layer: string): unknown {
  writer.beginLayer(layer);
  for (let i = 0; i < 2_000_000; i += 5000) {
    try {
      writer.add('files', fileRows(layer, i, 5000));
    } catch (err) {
      return err;
    }
  }
  return undefined;
}

describe.skipIf(!can)('DatasetWriter on a full disk', () => {
  let fs: Tmpfs | undefined;
  afterEach(() => {
    // Closing twice is harmless; a writer left open by a failed assertion would keep the mount busy.
    for (const w of writers.splice(0)) w.close();
    fs?.unmount();
    fs = undefined;
  });

  it('rows that cannot spill are STORE naming the data dir; nothing more is committed; the dataset stays whole', async () => {
    fs = mountTmpfs(4);
    const { data, writer, before } = await committedWriter(fs);
    const err = stageUntilFull(writer, digest('b'));
    expect(err).toBeInstanceOf(ImgscanError);
    const e = err as ImgscanError;
    expect(e.code).toBe('STORE');
    expect(e.context.path).toBe(data);
    expect(e.message).toMatch(/^could not stage 5000 rows of files \(staged rows spill to .*_pending\/stage-[^)]+\): no space left on the file system of /);
    expect(e.message).toContain(data);
    // DuckDB's first line is kept as the cause, not its tuning advice: the block it could not write out, or (rows
    // flushed from the appender while earlier ones could not spill) the block it could not then hold.
    expect(e.message).toMatch(/failed to (offload data block|pin block)/);
    expect(e.message).not.toContain('Possible solutions');
    // The staging database may have lost rows of other layers: nothing of it is published any more.
    expect(() => writer.add('files', fileRows(digest('c'), 0, 1))).toThrow(/nothing more is stored after an earlier failure/);
    await expect(writer.commit()).rejects.toMatchObject({ code: 'STORE' });
    await writer.abortLayer(digest('b'));
    writer.close();
    expect(await dumpDataset(data)).toEqual(before);
    // The spill files are gone with the writer: the room is free again.
    expect(readdirSync(join(data, '_pending'))).toEqual([]);
    expect(readdirSync(join(data, '_claims'))).toEqual([]);
  });

  it.each([
    ['no room for its directory', 0],
    ['room for its directory, not for its parts', 1],
  ])('a batch that cannot be written (%s) is STORE naming the batch and the data dir, and leaves nothing behind', async (_case, freed) => {
    fs = mountTmpfs(4);
    const { data, writer, before } = await committedWriter(fs);
    writer.beginLayer(digest('b'));
    writer.add('files', fileRows(digest('b'), 0, 10_000));
    // A commit while the layer is in progress writes nothing but moves the rows from the appender into staging.
    expect(await writer.commit()).toBeUndefined();
    writer.finishLayer(layerRow(digest('b'), 10_000));
    // Fill the file system: the Parquet parts of 10 000 rows do not fit in what is left.
    let full: unknown;
    for (let i = 0; i < 100 && !full; i++) {
      try {
        writeFileSync(join(fs.dir, `filler-${i}`), Buffer.alloc(64 * 1024, 1));
      } catch (err) {
        full = err;
      }
    }
    expect((full as NodeJS.ErrnoException).code).toBe('ENOSPC');
    // 64 KiB free: a batch directory and its owner file fit, the Parquet parts do not.
    for (let i = 0; i < freed; i++) rmSync(join(fs.dir, `filler-${i}`));
    const err = await writer.commit().then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(ImgscanError);
    expect((err as ImgscanError).code).toBe('STORE');
    expect((err as ImgscanError).context.path).toBe(data);
    expect((err as ImgscanError).message).toMatch(new RegExp(`^could not write batch \\S+-000001: no space left on the file system of ${data} \\(`));
    writer.close();
    expect(readdirSync(join(data, '_pending'))).toEqual([]);
    expect(await dumpDataset(data)).toEqual(before);
  });
});

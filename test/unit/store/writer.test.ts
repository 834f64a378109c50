import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync, existsSync, copyFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir, hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Db } from '../../../src/store/duckdb.js';
import { listParts, recoverDataset, pendingDir } from '../../../src/store/parts.js';
import type { FileRow, LayerRow } from '../../../src/model/rows.js';
import { attachDataset } from '../../../src/store/views.js';
import { DatasetWriter, type StagedKey } from '../../../src/store/writer.js';

const work = mkdtempSync(join(tmpdir(), 'imgscan-writer-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function layerRow(digest: string, files: number): LayerRow {
  return { layer_digest: digest, diff_id: digest.replace('sha256:', 'sha256:d'), compression: 'gzip', compressed_size: 10, tar_size: 20, files_size: files, sparse_hole_size: 0, entry_count: files, file_count: files, dir_count: 0, symlink_count: 0, hardlink_count: 0, char_count: 0, block_count: 0, fifo_count: 0, whiteout_count: 0, opaque_count: 0, chunker: null, sample_rate: null, metadata_gzip_size: null, metadata_zstd_size: null };
}

function fileRows(digest: string, n: number): FileRow[] {
  return Array.from({ length: n }, (_, i) => ({ layer_digest: digest, entry_index: i, path: `f${i}`, entry_type: 'file' as const, size: 1, digest: 'x'.repeat(64), file_class: 'text' as const, mode: 0o644, uid: 0, gid: 0, mtime: 1.5, link_target: null, dev_major: null, dev_minor: null, gzip_size: null, zstd_size: null }));
}

async function count(dir: string, table: string, where = ''): Promise<number> {
  const db = await Db.open();
  try {
    await attachDataset(db, [dir]);
    const [r] = await db.all<{ n: bigint }>(`SELECT count(*) AS n FROM ${table} ${where}`);
    return Number(r.n);
  } finally {
    db.close();
  }
}

describe('DatasetWriter', () => {
  it('writes each file its content keys: the digest\'s bytes 0-7 and 8-15 as integers; other digests hashed, non-files none', async () => {
    const dir = mkdtempSync(join(work, 'w-'));
    const w = await DatasetWriter.open(dir);
    const digests = [createHash('sha256').update('a').digest('hex'), createHash('sha256').update('b').digest('hex'), 'f'.repeat(64), 'X'.repeat(64), 'not hex', null];
    try {
      w.beginLayer('sha256:keys');
      w.add('files', fileRows('sha256:keys', digests.length).map((r, i) => ({ ...r, digest: digests[i]!, entry_type: digests[i] === null ? 'dir' as const : 'file' as const })));
      w.finishLayer(layerRow('sha256:keys', digests.length));
      await w.commit();
    } finally {
      w.close();
    }
    const db = await Db.open();
    try {
      await attachDataset(db, [dir]);
      const rows = await db.all<{ digest: string | null; k1: bigint | null; k2: bigint | null }>('SELECT digest, content_key1 AS k1, content_key2 AS k2 FROM files ORDER BY entry_index');
      expect(rows.map((r) => r.digest)).toEqual(digests);
      for (const r of rows.slice(0, 3)) expect([r.k1, r.k2]).toEqual([BigInt(`0x${r.digest!.slice(0, 16)}`), BigInt(`0x${r.digest!.slice(16, 32)}`)]);
      // Not 64 lowercase hex digits (never written by the scan): keyed all the same, each its own key.
      const other = rows.slice(3, 5).map((r) => `${r.k1}/${r.k2}`);
      expect(other.every((k) => !k.includes('null'))).toBe(true);
      expect(new Set(other).size).toBe(2);
      expect([rows[5]!.k1, rows[5]!.k2]).toEqual([null, null]);
    } finally {
      db.close();
    }
  });

  it('commits started together run one after another: rows added during one go to the next, each published once', async () => {
    const dir = mkdtempSync(join(work, 'w-'));
    const w = await DatasetWriter.open(dir);
    try {
      const commits: Promise<string | undefined>[] = [];
      for (const [i, d] of ['sha256:c1', 'sha256:c2', 'sha256:c3'].entries()) {
        w.beginLayer(d);
        w.add('files', fileRows(d, i + 1));
        w.finishLayer(layerRow(d, i + 1));
        commits.push(w.commit());
      }
      // The first commit takes c1; c2 and c3, added while it ran, are held and go to the next; the last has none.
      const batches = await Promise.all(commits);
      expect(batches.map((b) => b !== undefined)).toEqual([true, true, false]);
      expect(batches[0]).not.toBe(batches[1]);
      expect([await count(dir, 'files'), await count(dir, 'layers')]).toEqual([6, 3]);
    } finally {
      w.close();
    }
  });

  it('says which keys a commit published; keys staged while it ran stay staged for the next', async () => {
    const dir = mkdtempSync(join(work, 'w-'));
    const w = await DatasetWriter.open(dir);
    try {
      const published: StagedKey[][] = [];
      w.on('committed', (keys) => published.push(keys));
      const image = 'sha256:i';
      w.add('images', [{ manifest_digest: image, media_type: 'application/vnd.oci.image.manifest.v1+json', config_digest: 'sha256:c', os: 'linux', architecture: 'amd64', variant: null, created: null, layer_count: 1, schema1_converted: false }]);
      w.beginLayer('sha256:k1');
      w.finishLayer(layerRow('sha256:k1', 0));
      w.beginLayer('sha256:k2');
      expect([w.isStaged('image', image), w.isStaged('layer', 'sha256:k1'), w.isStaged('layer', 'sha256:k2')]).toEqual([true, true, false]);
      const first = w.commit();
      w.finishLayer(layerRow('sha256:k2', 0));
      await first;
      expect(published).toEqual([[{ kind: 'image', digest: image }, { kind: 'layer', digest: 'sha256:k1' }]]);
      expect([w.isStaged('image', image), w.isStaged('layer', 'sha256:k1'), w.isStaged('layer', 'sha256:k2')]).toEqual([false, false, true]);
      await w.commit();
      expect(published[1]).toEqual([{ kind: 'layer', digest: 'sha256:k2' }]);
      expect([...w.stagedKeys()]).toEqual([]);
    } finally {
      w.close();
    }
  });

  it('publishes only finished layers; rows of a layer in progress wait for a later batch', async () => {
    const dir = mkdtempSync(join(work, 'w-'));
    const w = await DatasetWriter.open(dir);
    w.beginLayer('sha256:a');
    w.add('files', fileRows('sha256:a', 3));
    w.beginLayer('sha256:b');
    w.add('files', fileRows('sha256:b', 2));
    w.finishLayer(layerRow('sha256:a', 3));
    await w.commit();
    expect(await count(dir, 'files')).toBe(3);
    expect(await count(dir, 'layers')).toBe(1);
    w.add('files', fileRows('sha256:b', 1).map((r) => ({ ...r, entry_index: 2 })));
    w.finishLayer(layerRow('sha256:b', 3));
    await w.commit();
    w.close();
    expect(await count(dir, 'files', "WHERE layer_digest = 'sha256:b'")).toBe(3);
    expect(await count(dir, 'layers')).toBe(2);
    expect(listParts(dir, 'files')).toHaveLength(2);
  });

  it('drops the rows of an aborted layer and reloads stored keys on reopen', async () => {
    const dir = mkdtempSync(join(work, 'w-'));
    const w = await DatasetWriter.open(dir);
    w.beginLayer('sha256:bad');
    w.add('files', fileRows('sha256:bad', 5));
    await w.abortLayer('sha256:bad');
    w.beginLayer('sha256:good');
    w.add('files', fileRows('sha256:good', 4));
    w.finishLayer(layerRow('sha256:good', 4));
    await w.commit();
    w.close();
    expect(await count(dir, 'files')).toBe(4);
    const again = await DatasetWriter.open(dir);
    expect(again.hasLayer('sha256:good')).toBe(true);
    expect(again.layerDiffId('sha256:good')).toBe('sha256:dgood');
    expect(again.hasLayer('sha256:bad')).toBe(false);
    again.close();
  });

  it('layers of more rows than an appender holds: in progress kept out of a batch, aborted dropped, finished published once', async () => {
    const dir = mkdtempSync(join(work, 'w-'));
    const w = await DatasetWriter.open(dir);
    // Rows come in batches as a scan sends them; each layer has several times the rows an appender is flushed at.
    const addInBatches = (digest: string, n: number) => {
      const rows = fileRows(digest, n);
      for (let i = 0; i < n; i += 1024) w.add('files', rows.slice(i, i + 1024));
    };
    w.beginLayer('sha256:done');
    addInBatches('sha256:done', 40_000);
    w.beginLayer('sha256:open');
    addInBatches('sha256:open', 35_000);
    w.beginLayer('sha256:bad');
    addInBatches('sha256:bad', 33_000);
    w.finishLayer(layerRow('sha256:done', 40_000));
    await w.abortLayer('sha256:bad');
    await w.commit();
    expect(await count(dir, 'files')).toBe(40_000);
    expect(await count(dir, 'files', "WHERE layer_digest <> 'sha256:done'")).toBe(0);
    w.finishLayer(layerRow('sha256:open', 35_000));
    await w.commit();
    w.close();
    expect(await count(dir, 'files', "WHERE layer_digest = 'sha256:open'")).toBe(35_000);
    expect(await count(dir, '(SELECT DISTINCT layer_digest, entry_index FROM files)')).toBe(75_000);
    expect(await count(dir, 'files', "WHERE layer_digest = 'sha256:bad'")).toBe(0);
  });

  it('closing without commit loses nothing that was committed', async () => {
    const dir = mkdtempSync(join(work, 'w-'));
    const w = await DatasetWriter.open(dir);
    w.beginLayer('sha256:a');
    w.add('files', fileRows('sha256:a', 2));
    w.finishLayer(layerRow('sha256:a', 2));
    await w.commit();
    w.beginLayer('sha256:b');
    w.add('files', fileRows('sha256:b', 2));
    w.close();
    expect(await count(dir, 'files')).toBe(2);
  });
});

describe('DatasetWriter spill directory', () => {
  it('stages beside the data, removes its spill dir on close, and a dead writer\'s is removed by the next', async () => {
    const dir = mkdtempSync(join(work, 'w-'));
    const spills = () => readdirSync(join(dir, '_pending')).filter((n) => n.startsWith('stage-'));
    const w = await DatasetWriter.open(dir);
    expect(spills()).toHaveLength(1);
    w.close();
    expect(spills()).toEqual([]);
    // A writer killed before closing leaves its spill dir with its owner: gone when its pid is dead.
    mkdirSync(join(dir, '_pending', 'stage-dead'), { recursive: true });
    writeFileSync(join(dir, '_pending', 'stage-dead', 'owner.json'), JSON.stringify({ host: hostname(), pid: 2 ** 22 + 1, started: Date.now() }));
    const next = await DatasetWriter.open(dir);
    expect(spills()).toHaveLength(1);
    expect(spills()).not.toContain('stage-dead');
    next.close();
  });
});

describe('recoverDataset', () => {
  async function stagedBatch(): Promise<{ dir: string; batch: string; parts: string[] }> {
    // Produce real part files with a writer, then move them back into a pending batch to simulate a crash.
    const src = mkdtempSync(join(work, 'r-'));
    const w = await DatasetWriter.open(src);
    w.beginLayer('sha256:a');
    w.add('files', fileRows('sha256:a', 2));
    w.finishLayer(layerRow('sha256:a', 2));
    const batch = (await w.commit())!;
    w.close();
    const dir = mkdtempSync(join(work, 'r-'));
    const pending = pendingDir(dir, batch);
    mkdirSync(pending, { recursive: true });
    const parts: string[] = [];
    for (const table of ['files', 'layers']) {
      copyFileSync(listParts(src, table)[0], join(pending, `${table}.parquet`));
      parts.push(table);
    }
    return { dir, batch, parts };
  }

  it('rolls a committed batch forward, even half moved', async () => {
    const { dir, batch } = await stagedBatch();
    writeFileSync(join(pendingDir(dir, batch), 'COMMIT'), batch);
    mkdirSync(join(dir, 'files'));
    copyFileSync(join(pendingDir(dir, batch), 'files.parquet'), join(dir, 'files', `${batch}.parquet`));
    expect(recoverDataset(dir)).toEqual({ rolledForward: 1, dropped: 0 });
    expect(await count(dir, 'files')).toBe(2);
    expect(await count(dir, 'layers')).toBe(1);
    expect(existsSync(pendingDir(dir, batch))).toBe(false);
  });

  it('drops an uncommitted batch whose writer is gone', async () => {
    const { dir, batch } = await stagedBatch();
    writeFileSync(join(pendingDir(dir, batch), 'owner.json'), JSON.stringify({ host: hostname(), pid: 2 ** 22 + 12345, started: Date.now() }));
    expect(recoverDataset(dir)).toEqual({ rolledForward: 0, dropped: 1 });
    expect(await count(dir, 'files')).toBe(0);
    expect(readdirSync(join(dir, '_pending'))).toEqual([]);
  });

  it('drops a batch directory left half-built by a writer that is gone, and keeps those still being built', () => {
    const dir = mkdtempSync(join(work, 'w-'));
    const host = hostname().replace(/[^A-Za-z0-9.]/g, '_');
    const names = [`.building-${host}-${2 ** 22 + 1}-0a1b`, `.building-${host}-${process.pid}-0a1b`, `.building-other_host-${2 ** 22 + 1}-0a1b`];
    for (const n of names) mkdirSync(join(dir, '_pending', n), { recursive: true });
    expect(recoverDataset(dir)).toEqual({ rolledForward: 0, dropped: 1 });
    expect(readdirSync(join(dir, '_pending')).sort()).toEqual(names.slice(1).sort());
  });

  it('keeps an uncommitted batch whose writer is alive', async () => {
    const { dir, batch } = await stagedBatch();
    writeFileSync(join(pendingDir(dir, batch), 'owner.json'), JSON.stringify({ host: hostname(), pid: process.ppid, started: Date.now() }));
    expect(recoverDataset(dir)).toEqual({ rolledForward: 0, dropped: 0 });
  });
});

import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { decodeChunks, decodeFiles, encodeChunks, encodeFiles, transferables } from '../../../src/pipeline/row-codec.js';
import type { ChunkRow, EntryType, FileClass, FileRow } from '../../../src/model/rows.js';

const types: EntryType[] = ['file', 'dir', 'symlink', 'hardlink', 'char', 'block', 'fifo', 'whiteout', 'opaque', 'other'];
const classes: (FileClass | null)[] = ['elf', 'script', 'archive', 'python-bytecode', 'sqlite', 'image', 'text', 'empty', 'other', null];

/** A deterministic pseudo-random generator (mulberry32). */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomRows(n: number, seed: number): FileRow[] {
  const r = random(seed);
  const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)]!;
  const text = () => Array.from({ length: Math.floor(r() * 300) }, () => pick(['a', '/', 'é', '日本', '\u{1F600}', ' ', '\n', '\0', '.wh.'])).join('');
  return Array.from({ length: n }, (_, i) => {
    const type = pick(types);
    return {
      layer_digest: 'sha256:' + 'c'.repeat(64),
      entry_index: i * 3 + 1,
      path: text(),
      entry_type: type,
      size: Math.floor(r() * 2 ** 40),
      digest: type === 'file' ? 'd'.repeat(64) : null,
      file_class: type === 'file' ? pick(classes) : null,
      mode: Math.floor(r() * 0o7777),
      uid: Math.floor(r() * 2 ** 32),
      gid: pick([0, 65534, 2 ** 31]),
      mtime: pick([0, -1.5, 1700000000.123456, 2 ** 33]),
      link_target: type === 'symlink' || type === 'hardlink' ? pick([text(), '']) : null,
      dev_major: type === 'char' || type === 'block' ? Math.floor(r() * 256) : null,
      dev_minor: type === 'char' || type === 'block' ? 0 : null,
      gzip_size: type === 'file' ? pick([null, 20, Math.floor(r() * 2 ** 40)]) : null,
      zstd_size: type === 'file' ? pick([null, 9, Math.floor(r() * 2 ** 40)]) : null,
    };
  });
}

/** Sends a batch through a real MessagePort with its buffers transferred, as the worker does. */
function throughPort<T extends object>(batch: T, transfer: ArrayBuffer[]): T {
  const { port1, port2 } = new MessageChannel();
  port1.postMessage(batch, transfer);
  const got = receiveMessageOnPort(port2)!.message as T;
  port1.close();
  return got;
}

describe('row codec', () => {
  it('carries file rows of every type, with nulls, empty strings and any characters, unchanged', () => {
    for (const seed of [1, 2, 3]) {
      const rows = randomRows(500, seed);
      const batch = encodeFiles(rows);
      expect(decodeFiles(throughPort(batch, transferables(batch)))).toEqual(rows);
    }
  });

  it('handles an empty batch', () => {
    expect(decodeFiles(encodeFiles([]))).toEqual([]);
    expect(decodeChunks(encodeChunks([]))).toEqual([]);
  });

  it('carries chunk rows unchanged, with the chunker of each (several per batch, or null)', () => {
    const r = random(9);
    const names = ['fastcdc-16384-4096-65536', 'fixed-1048576', 'rollsum-65536', null];
    const rows: ChunkRow[] = Array.from({ length: 300 }, (_, i) => ({
      layer_digest: 'sha256:' + 'e'.repeat(64),
      entry_index: Math.floor(i / 7),
      chunk_index: i % 7,
      digest: Math.floor(r() * 2 ** 52).toString(16).padStart(64, '0'),
      size: Math.floor(r() * 65536),
      chunker: names[Math.floor(r() * names.length)]!,
      gzip_size: i % 3 === 0 ? Math.floor(r() * 65536) : null,
      zstd_size: i % 3 === 0 ? Math.floor(r() * 65536) : null,
    }));
    const batch = encodeChunks(rows);
    expect(decodeChunks(throughPort(batch, transferables(batch)))).toEqual(rows);
  });

  it('refuses chunk digests of different lengths in one batch', () => {
    const row = { layer_digest: 'sha256:x', entry_index: 0, chunk_index: 0, size: 1, chunker: 'fixed-4096', gzip_size: null, zstd_size: null };
    expect(() => encodeChunks([{ ...row, digest: 'ab' }, { ...row, digest: 'abc' }])).toThrow(/different lengths/);
  });
});

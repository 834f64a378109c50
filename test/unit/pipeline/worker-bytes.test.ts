import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ImgscanError } from '../../../src/errors.js';
import { aborted, fileBytes, PostedBytes } from '../../../src/pipeline/worker-bytes.js';

const work = mkdtempSync(join(tmpdir(), 'imgscan-bytes-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function collect(bytes: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  // Copies: a file source reuses its buffer.
  for await (const b of bytes) parts.push(Buffer.from(b));
  return Buffer.concat(parts);
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(() => expect.unreachable('resolved'), (e: unknown) => e);
}

describe('fileBytes', () => {
  it('yields exactly `size` bytes from `offset`, across several reads', async () => {
    const data = Buffer.alloc(3 << 20);
    for (let i = 0; i < data.length; i++) data[i] = (i * 31) & 0xff;
    const path = join(work, 'blob');
    writeFileSync(path, data);
    const offset = 1000;
    const size = data.length - 5000;
    expect((await collect(fileBytes({ path, offset, size }, () => true))).equals(data.subarray(offset, offset + size))).toBe(true);
  });

  it('fails with BLOB_MISSING when the file ends before the blob', async () => {
    const path = join(work, 'short');
    writeFileSync(path, Buffer.alloc(10));
    const err = await rejection(collect(fileBytes({ path, offset: 4, size: 10 }, () => true)));
    expect(err).toMatchObject({ code: 'BLOB_MISSING', message: 'blob ends after 6 of 10 bytes', context: { path } });
  });

  it('stops with the aborted error once the job is no longer live', async () => {
    const path = join(work, 'blob');
    let live = true;
    const read: number[] = [];
    const err = await rejection(
      (async () => {
        for await (const b of fileBytes({ path, offset: 0, size: 3 << 20 }, () => live)) {
          read.push(b.length);
          live = false;
        }
      })(),
    );
    expect(err).toBe(aborted);
    expect(read).toEqual([1 << 20]);
  });
});

describe('PostedBytes', () => {
  it('yields chunks in the order posted, counts each once consumed, and ends after `end`', async () => {
    const counted: number[] = [];
    const posted = new PostedBytes((n) => counted.push(n));
    const out = collect(posted);
    posted.push(Buffer.from('ab'));
    await new Promise((r) => setImmediate(r));
    posted.push(Buffer.from('cde'));
    posted.end();
    expect((await out).toString()).toBe('abcde');
    expect(counted).toEqual([2, 3]);
  });

  it('throws the aborted error to a consumer waiting for more', async () => {
    const posted = new PostedBytes(() => undefined);
    const out = rejection(collect(posted));
    posted.push(Buffer.from('x'));
    await new Promise((r) => setImmediate(r));
    posted.abort();
    const err = await out;
    expect(err).toBe(aborted);
    expect(err).toBeInstanceOf(ImgscanError);
  });
});

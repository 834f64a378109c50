import { closeSync, openSync, readSync } from 'node:fs';
import { ImgscanError } from '../errors.js';
import type { BlobFile } from '../sources/types.js';

/** What a byte source of an aborted job throws: the scan stops, nobody hears of it. */
export const aborted = new ImgscanError('INTERNAL', 'layer job aborted');

const readSize = 1 << 20;
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * A blob read from its file through one reused buffer. Between reads the event loop turns, so that messages
 * (abort, chunks of other jobs) get through; `live` is asked before each read.
 */
export async function* fileBytes(file: BlobFile, live: () => boolean): AsyncGenerator<Uint8Array> {
  let fd: number;
  try {
    fd = openSync(file.path, 'r');
  } catch (err) {
    throw new ImgscanError('BLOB_MISSING', `cannot open blob: ${(err as Error).message}`, { path: file.path }, { cause: err });
  }
  try {
    const buffer = Buffer.allocUnsafe(Math.min(readSize, Math.max(file.size, 1)));
    for (let pos = 0; pos < file.size; ) {
      if (!live()) throw aborted;
      const n = readSync(fd, buffer, 0, Math.min(buffer.length, file.size - pos), file.offset + pos);
      if (n === 0) throw new ImgscanError('BLOB_MISSING', `blob ends after ${pos} of ${file.size} bytes`, { path: file.path });
      pos += n;
      yield buffer.subarray(0, n);
      await nextTurn();
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * The chunks posted to a worker for one job, in order, until `end`. `consumed` is told the size of each chunk
 * once it has been scanned (the chunk is garbage then).
 */
export class PostedBytes implements AsyncIterable<Uint8Array> {
  private readonly queue: Uint8Array[] = [];
  private ended = false;
  private stopped = false;
  private wake: (() => void) | undefined;

  constructor(private readonly consumed: (bytes: number) => void) {}

  push(chunk: Uint8Array): void {
    this.queue.push(chunk);
    this.wakeUp();
  }

  end(): void {
    this.ended = true;
    this.wakeUp();
  }

  abort(): void {
    this.stopped = true;
    this.queue.length = 0;
    this.wakeUp();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array> {
    for (;;) {
      if (this.stopped) throw aborted;
      const chunk = this.queue.shift();
      if (chunk !== undefined) {
        yield chunk;
        this.consumed(chunk.byteLength);
      } else if (this.ended) {
        return;
      } else {
        await new Promise<void>((resolve) => (this.wake = resolve));
      }
    }
  }

  private wakeUp(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}

import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDecompressor, IGZIP_MIN_BYTES, inflaterForLayer, sniffCompression, zlibInflater, type GzipInflater } from '../../../src/layers/decompress.js';
import { IgzipDecompressor } from '../../../src/layers/igzip.js';
import { ImgscanError } from '../../../src/errors.js';
import type { Compression } from '../../../src/model/rows.js';
import { missingTools } from '../../support/tools.js';
import { sh } from './fixture.js';

/** igzip (Debian isal) where installed; the igzip cases skip loudly elsewhere, and fail under CI. */
const haveIgzip = (await missingTools(['igzip'], 'gzip through igzip (src/layers/igzip.ts)')).length === 0;

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'imgscan-decompress-'));
  sh(`{ cat /bin/ls; head -c 2000000 /dev/urandom; } > ${dir}/plain && gzip -c ${dir}/plain > ${dir}/plain.gz && zstd -q -c ${dir}/plain > ${dir}/plain.zst`);
  // Two zstd frames, and two gzip members, back to back.
  sh(`head -c 1000 ${dir}/plain | zstd -q -c > ${dir}/two.zst && tail -c +1001 ${dir}/plain | zstd -q -c >> ${dir}/two.zst`);
  sh(`head -c 1000 ${dir}/plain | gzip -c > ${dir}/two.gz && tail -c +1001 ${dir}/plain | gzip -c >> ${dir}/two.gz`);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const inflaters: GzipInflater[] = haveIgzip ? ['sync', 'stream', 'igzip'] : ['sync', 'stream'];

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
    ...inflaters.map((g) => ['gzip', 'plain.gz', g] as const),
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
    // igzip answers asynchronously: by `end` at the latest.
    const first = await (async () => {
      await d.write(blob);
      await d.end();
    })().catch((e: unknown) => e);
    expect((first as ImgscanError).code).toBe('DECOMPRESS_FAILED');
    const later = await (async () => d.write(blob.subarray(0, 10)))().catch((e: unknown) => e);
    expect((later as ImgscanError).code).toBe('DECOMPRESS_FAILED');
  });

  it('passes an error from the output handler through unchanged', async () => {
    for (const [kind, file, gzip] of [...inflaters.map((g) => ['gzip', 'plain.gz', g] as const), ['zstd', 'plain.zst', 'sync'], ['none', 'plain', 'sync']] as const) {
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

/** What `inflate` makes of a blob: its output, or the error's code and message. */
async function outcome(blob: Uint8Array, gzip: GzipInflater, slice = 65536): Promise<{ out?: Buffer; code?: string; message?: string }> {
  try {
    return { out: await inflate('gzip', blob, slice, gzip) };
  } catch (err) {
    expect(err).toBeInstanceOf(ImgscanError);
    return { code: (err as ImgscanError).code, message: (err as ImgscanError).message };
  }
}

/** Python's zlib, an implementation apart from Node's: the members of a blob inflated as zlib's gunzip reads them. */
function pythonMembers(file: string): string {
  return sh(`python3 -c '
import sys, zlib
b = open(sys.argv[1], "rb").read()
out, n = b"", 0
while b:
    d = zlib.decompressobj(31)
    try:
        out += d.decompress(b) + d.flush()
    except zlib.error as e:
        print("error", e); sys.exit(0)
    if not d.eof:
        print("error truncated"); sys.exit(0)
    n += 1
    b = d.unused_data
    if b[:1] == b"\\0": break
print("ok", n, len(out))
' ${file}`).trim();
}

describe('gzip bad input: every inflater gives the same answer', () => {
  /** Blobs around plain.gz: each case, the bytes, and what Python's zlib says of them. */
  function cases(): [string, Buffer][] {
    const gz = readFileSync(join(dir, 'plain.gz'));
    const corrupt = Buffer.from(gz);
    for (let i = 5000; i < 5100; i++) corrupt[i] = 0xff;
    const emptyMember = sh(`printf '' | gzip -c | base64 -w0`);
    return [
      ['whole', gz],
      ['two members', readFileSync(join(dir, 'two.gz'))],
      ['an empty member', Buffer.from(emptyMember, 'base64')],
      ['corrupt', corrupt],
      ['truncated in the data', gz.subarray(0, gz.length >> 1)],
      ['the header alone', gz.subarray(0, 10)],
      ['the magic alone', gz.subarray(0, 2)],
      ['trailing garbage', Buffer.concat([gz, Buffer.from('garbage\n')])],
      ['one trailing byte', Buffer.concat([gz, Buffer.from('x')])],
      ['a trailing 0x1f', Buffer.concat([gz, Buffer.from([0x1f])])],
      ['a trailing broken member', Buffer.concat([gz, gz.subarray(0, 30)])],
      ['trailing zero padding', Buffer.concat([gz, Buffer.alloc(512)])],
    ];
  }

  const names = ['whole', 'two members', 'an empty member', 'corrupt', 'truncated in the data', 'the header alone', 'the magic alone', 'trailing garbage', 'one trailing byte', 'a trailing 0x1f', 'a trailing broken member', 'trailing zero padding'];
  it('covers every case', () => expect(cases().map(([n]) => n)).toEqual(names));

  it.each(names)('%s', async (name) => {
    const blob = cases().find(([n]) => n === name)![1];
    const file = join(dir, 'case.gz');
    writeFileSync(file, blob);
    const python = pythonMembers(file);
    const plain = readFileSync(join(dir, 'plain'));
    const results = new Map<string, Awaited<ReturnType<typeof outcome>>>();
    for (const gzip of inflaters) for (const slice of [1000, 65536]) results.set(`${gzip} ${slice}`, await outcome(blob, gzip, slice));
    for (const [how, r] of results) {
      if (python.startsWith('error')) {
        expect(r.code, `${how}: ${python}`).toBe('DECOMPRESS_FAILED');
      } else {
        const [, , bytes] = python.split(' ');
        expect(r.message, how).toBeUndefined();
        expect(r.out!.length, how).toBe(Number(bytes));
        if (r.out!.length > 0) expect(r.out!.equals(plain), how).toBe(true);
      }
    }
    // A truncated blob is "unexpected end of file", as zlib says it; igzip's marker may end one cut in a header
    // or a trailer (src/layers/igzip.ts), and its message says so.
    if (python === 'error truncated') {
      for (const [how, r] of results) expect(r.message, how).toMatch(how.startsWith('igzip') ? /unexpected end of file|truncated|ends inside|bytes after the last member/ : /unexpected end of file/);
    }
  });
});

describe.skipIf(!haveIgzip)('IgzipDecompressor and its child', () => {
  /** Whether the process is still there, running or a zombie not reaped. */
  const exists = (pid: number | undefined) => pid !== undefined && existsSync(`/proc/${pid}`);
  const gone = async (pid: number | undefined) => {
    for (let i = 0; i < 50 && exists(pid); i++) await new Promise((r) => setTimeout(r, 20));
    return !exists(pid);
  };

  it('a child that dies is DECOMPRESS_FAILED, and no child is left', async () => {
    const d = new IgzipDecompressor(() => undefined, { command: 'sh', args: ['-c', 'kill -9 $$'] });
    const err = await (async () => {
      await d.write(Buffer.alloc(1 << 16));
      await d.end();
    })().catch((e: unknown) => e);
    expect((err as ImgscanError).code).toBe('DECOMPRESS_FAILED');
    expect((err as ImgscanError).message).toMatch(/SIGKILL/);
    expect(await gone(d.pid)).toBe(true);
  });

  it('a child that hangs is killed after the stall time, and no child is left', async () => {
    const d = new IgzipDecompressor(() => undefined, { command: 'sh', args: ['-c', 'exec sleep 600'], stallMs: 300 });
    const started = Date.now();
    const err = await (async () => {
      await d.write(Buffer.alloc(1000));
      await d.end();
    })().catch((e: unknown) => e);
    expect((err as ImgscanError).code).toBe('DECOMPRESS_FAILED');
    expect((err as ImgscanError).message).toMatch(/no progress/);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(await gone(d.pid)).toBe(true);
  });

  it('destroy kills the child at once, mid-stream, without a zombie or an open descriptor', async () => {
    const fds = () => readdirSync('/proc/self/fd').length;
    const fdsBefore = fds();
    const blob = readFileSync(join(dir, 'plain.gz'));
    let outBytes = 0;
    const d = new IgzipDecompressor((out) => void (outBytes += out.length));
    await d.write(blob.subarray(0, blob.length >> 1));
    expect(exists(d.pid)).toBe(true);
    expect(fds()).toBeGreaterThan(fdsBefore);
    d.destroy();
    expect(await gone(d.pid)).toBe(true);
    for (let i = 0; i < 50 && fds() > fdsBefore; i++) await new Promise((r) => setTimeout(r, 20));
    expect(fds()).toBe(fdsBefore);
    const later = await (async () => d.write(blob.subarray(0, 10)))().catch((e: unknown) => e);
    expect((later as ImgscanError).code).toBe('DECOMPRESS_FAILED');
  });

  it('an igzip that is not there is DECOMPRESS_FAILED', async () => {
    const d = new IgzipDecompressor(() => undefined, { command: join(dir, 'no-such-igzip') });
    const err = await (async () => {
      await d.write(Buffer.alloc(10));
      await d.end();
    })().catch((e: unknown) => e);
    expect((err as ImgscanError).code).toBe('DECOMPRESS_FAILED');
  });
});

describe('inflaterForLayer', () => {
  it('keeps small layers on zlib, where a process would cost more than it saves', () => {
    expect(inflaterForLayer('igzip', IGZIP_MIN_BYTES - 1)).toBe(zlibInflater());
    expect(inflaterForLayer('igzip', IGZIP_MIN_BYTES)).toBe('igzip');
    expect(inflaterForLayer('igzip', undefined)).toBe('igzip');
    expect(inflaterForLayer('stream', 10)).toBe('stream');
    expect(inflaterForLayer(undefined, 10)).toBeUndefined();
  });
});

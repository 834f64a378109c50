/**
 * Test fixtures for the layer hot path: a source tree with every entry kind, archives made by the system
 * tar, and expected values computed with system tools (tar -tv, find, b3sum, sha256sum, stat).
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync, linkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ChunkRow, EntryType, FileRow, LayerRow } from '../../../src/model/rows.js';
import type { LayerJob } from '../../../src/layers/job.js';
import { LayerScanner } from '../../../src/layers/scan-layer.js';

export function run(cmd: string, args: string[], cwd?: string): string {
  return execFileSync(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 1 << 28 });
}

export function sh(script: string, cwd?: string): string {
  return run('sh', ['-c', script], cwd);
}

/** First line of `find ROOT -name PATTERN`, or null. */
function findOne(root: string, pattern: string): string | null {
  if (!existsSync(root)) return null;
  const out = sh(`find ${root} -name '${pattern}' -type f -size +0 2>/dev/null | head -1`).trim();
  return out === '' ? null : out;
}

function put(root: string, rel: string, data: string | Uint8Array): void {
  const p = join(root, rel);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, data);
}

export const LONG_PATH_150 = `long/${'d'.repeat(60)}/${'e'.repeat(60)}/file-150`;
export const LONG_PATH_300 = `long/${'f'.repeat(90)}/${'g'.repeat(90)}/${'h'.repeat(90)}/file-300`;
export const LONG_TARGET = `../${'t'.repeat(150)}/target`;

/** The class each fixture file is built to have (content chosen for it; the rest come from the machine). */
export const EXPECTED_CLASS: Record<string, string> = {
  'bin/ls': 'elf',
  'bin/run.sh': 'script',
  'lib/mod.pyc': 'python-bytecode',
  'share/logo.png': 'image',
  'share/changelog.gz': 'archive',
  'share/data.zip': 'archive',
  'share/db.sqlite': 'sqlite',
  'doc/readme.txt': 'text',
  'doc/boundary.txt': 'text',
  'doc/nul.bin': 'other',
  'data/random.bin': 'other',
  'empty': 'empty',
  [LONG_PATH_150]: 'text',
  [LONG_PATH_300]: 'text',
  'utf8/café.txt': 'text',
};

/** Builds the source tree under `root` (run as root: mknod). */
export function makeTree(root: string): void {
  mkdirSync(root, { recursive: true });
  put(root, 'bin/ls', readFileSync('/bin/ls'));
  linkSync(join(root, 'bin/ls'), join(root, 'bin/ls-hard'));
  put(root, 'bin/run.sh', '#!/bin/sh\necho hello\n');
  const pyc = findOne('/usr/lib/python3*', '*.pyc') ?? findOne('/usr/lib', '*.pyc');
  if (pyc) put(root, 'lib/mod.pyc', readFileSync(pyc));
  const png = findOne('/usr/share', '*.png');
  if (png) put(root, 'share/logo.png', readFileSync(png));
  const gz = findOne('/usr/share/doc', '*.gz');
  if (gz) copyFileSync(gz, join(root, 'share/changelog.gz'));
  sh(`command -v zip >/dev/null && cd ${root}/bin && zip -q ../share/data.zip run.sh || true`);
  sh(`command -v sqlite3 >/dev/null && sqlite3 ${root}/share/db.sqlite 'create table t(x); insert into t values (1);' || true`);
  put(root, 'doc/readme.txt', 'héllo wörld ✓\n');
  // A two-byte character cut by the 4 KiB classification prefix.
  put(root, 'doc/boundary.txt', 'a'.repeat(4095) + 'é' + 'tail\n');
  put(root, 'doc/nul.bin', 'abc\0def');
  sh(`mkdir -p ${root}/data && { printf '\\000'; head -c 3145728 /dev/urandom; } > ${root}/data/random.bin`);
  put(root, 'empty', '');
  put(root, LONG_PATH_150, 'a path over 100 bytes\n');
  put(root, LONG_PATH_300, 'a path over 255 bytes\n');
  put(root, 'utf8/café.txt', 'utf-8 name\n');
  mkdirSync(join(root, 'links'));
  symlinkSync('../bin/ls', join(root, 'links/short'));
  symlinkSync(LONG_TARGET, join(root, 'links/long'));
  mkdirSync(join(root, 'dev'));
  run('mknod', [join(root, 'dev/null'), 'c', '1', '3']);
  run('mkfifo', [join(root, 'dev/fifo')]);
  put(root, 'wh/.wh.foo', '');
  put(root, 'wh/.wh..wh..opq', '');
}

export interface Expected {
  path: string;
  type: EntryType;
  size: number;
  linkTarget: string | null;
  devMajor: number | null;
  devMinor: number | null;
}

/** Independent path normalization for expectations. */
export function norm(p: string): string {
  return p.replace(/^(\.\/)+/, '').replace(/^\/+/, '').replace(/\/+$/, '') || '.';
}

/** Entries as GNU tar lists them (`tar -tv --numeric-owner --quoting-style=literal`). */
export function tarList(tarFile: string): Expected[] {
  const out = run('tar', ['-tvf', tarFile, '--numeric-owner', '--quoting-style=literal']);
  return out.split('\n').filter((l) => l !== '').map((line) => {
    const m = /^(\S)\S*\s+\S+\s+(\S+)\s+\S+\s+\S+\s+(.*)$/.exec(line);
    if (!m) throw new Error(`cannot parse tar listing: ${line}`);
    const [, kind, sizeField, rest] = m as unknown as [string, string, string, string];
    let name = rest;
    let linkTarget: string | null = null;
    if (kind === 'l') [name, linkTarget] = rest.split(' -> ') as [string, string];
    if (kind === 'h') {
      [name, linkTarget] = rest.split(' link to ') as [string, string];
      linkTarget = norm(linkTarget);
    }
    const path = norm(name);
    const base = path.slice(path.lastIndexOf('/') + 1);
    const types: Record<string, EntryType> = { '-': 'file', d: 'dir', l: 'symlink', h: 'hardlink', c: 'char', b: 'block', p: 'fifo' };
    let type = types[kind]!;
    if (base.startsWith('.wh.')) type = base === '.wh..wh..opq' ? 'opaque' : 'whiteout';
    const device = type === 'char' || type === 'block';
    const [maj, min] = device ? sizeField.split(',').map(Number) : [null, null];
    return {
      path, type, size: type === 'file' ? Number(sizeField) : 0, linkTarget,
      devMajor: maj ?? null, devMinor: min ?? null,
    };
  });
}

export interface Stat {
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  size: number;
}

/** `find -printf` metadata of every path under root, keyed by normalized relative path. */
export function statTree(root: string): Map<string, Stat> {
  const out = run('find', [root, '-printf', '%P\\t%m\\t%U\\t%G\\t%T@\\t%s\\n']);
  const map = new Map<string, Stat>();
  for (const line of out.split('\n')) {
    if (line === '') continue;
    const [p, mode, uid, gid, mtime, size] = line.split('\t') as [string, string, string, string, string, string];
    map.set(norm(p), { mode: parseInt(mode, 8), uid: Number(uid), gid: Number(gid), mtime: Number(mtime), size: Number(size) });
  }
  return map;
}

/** `b3sum` of every regular file under root, keyed by normalized relative path. */
export function b3sumTree(root: string): Map<string, string> {
  const out = sh('find . -type f -print0 | xargs -0 b3sum --', root);
  const map = new Map<string, string>();
  for (const line of out.split('\n')) {
    if (line === '') continue;
    map.set(norm(line.slice(66)), line.slice(0, 64));
  }
  return map;
}

export function sha256File(file: string): string {
  return 'sha256:' + run('sha256sum', [file]).slice(0, 64);
}

export function b3sumFile(file: string): string {
  return run('b3sum', ['--no-names', file]).trim();
}

export function fileSize(file: string): number {
  return Number(run('stat', ['-c', '%s', file]).trim());
}

export interface ScanResult {
  layer: LayerRow;
  files: FileRow[];
  chunks: ChunkRow[];
  batches: number[];
}

/** Scans a blob file feeding `slice`-byte writes through one reused buffer; the digest comes from sha256sum unless given. */
export async function scanFile(
  file: string,
  options: Partial<LayerJob> = {},
  slice = 1 << 16,
): Promise<ScanResult> {
  const blob = readFileSync(file);
  return scanBytes(blob, { layerDigest: sha256File(file), ...options }, slice);
}

export async function scanBytes(blob: Uint8Array, options: LayerJob, slice = 1 << 16): Promise<ScanResult> {
  const files: FileRow[] = [];
  const chunks: ChunkRow[] = [];
  const batches: number[] = [];
  const scanner = new LayerScanner(options, {
    files: (rows) => {
      batches.push(rows.length);
      files.push(...rows);
    },
    chunks: (rows) => void chunks.push(...rows),
  });
  // One buffer, overwritten after each write as the worker's file reader reuses its own: nothing may keep it.
  const buffer = Buffer.alloc(slice);
  for (let i = 0; i < blob.length; i += slice) {
    const n = Math.min(slice, blob.length - i);
    buffer.set(blob.subarray(i, i + n));
    await scanner.write(buffer.subarray(0, n));
    buffer.fill(0xa5);
  }
  const layer = await scanner.end();
  return { layer, files, chunks, batches };
}

/** A ustar header block (for hand-built archives), checksum filled in. */
export function ustarHeader(h: { name: string; size: number; type: string; uid?: number; mtime?: number; linkname?: string }): Uint8Array {
  const b = new Uint8Array(512);
  const enc = new TextEncoder();
  const field = (at: number, len: number, s: string) => b.set(enc.encode(s).subarray(0, len), at);
  const oct = (at: number, len: number, v: number) => field(at, len, v.toString(8).padStart(len - 1, '0') + '\0');
  field(0, 100, h.name);
  oct(100, 8, 0o644);
  oct(108, 8, h.uid ?? 0);
  oct(116, 8, 0);
  oct(124, 12, h.size);
  oct(136, 12, h.mtime ?? 1700000000);
  field(156, 1, h.type);
  field(157, 100, h.linkname ?? '');
  field(257, 8, 'ustar\u000000');
  return withChecksum(b);
}

/** Recomputes a header block's checksum field (after editing it). */
export function withChecksum(b: Uint8Array): Uint8Array {
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (const x of b) sum += x;
  b.set(new TextEncoder().encode(sum.toString(8).padStart(6, '0') + '\0 '), 148);
  return b;
}

/** A PAX extended header payload from key/value pairs. */
export function paxRecords(records: Record<string, string>): Uint8Array {
  let out = '';
  for (const [k, v] of Object.entries(records)) {
    const body = ` ${k}=${v}\n`;
    let len = Buffer.byteLength(body) + 1;
    while (String(len).length + Buffer.byteLength(body) !== len) len++;
    out += len + body;
  }
  return new TextEncoder().encode(out);
}

/** Pads content to whole 512-byte blocks. */
export function blocks(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.ceil(data.length / 512) * 512);
  out.set(data);
  return out;
}

export function concat(parts: Uint8Array[]): Uint8Array {
  return Buffer.concat(parts);
}

/**
 * `imgscan diff A B` on two images built with umoci (file changes by `umoci repack`, an opaque directory and a
 * whiteout by `umoci insert`), checked against independent figures: the final filesystems as `umoci unpack`
 * writes them, walked by Python; layer traffic from the blob files' sizes; file traffic from each layer blob
 * read by Python's tarfile.
 */
import { chmod, mkdir, mkdtemp, readFile, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImageDiff } from '../../src/analysis/diff.js';
import { analyzeDataset } from '../../src/analysis/analyze.js';
import { run, runText } from '../support/exec.js';
import { missingTools } from '../support/tools.js';

const repo = join(import.meta.dirname, '..', '..');
const cli = join(repo, 'bin', 'run.js');
const missing = await missingTools(['umoci', 'python3'], 'imgscan diff against umoci unpack');

/** Python: a rootfs as { path: [type, size, sha256 or link target, mode & 0o7777, uid, gid] }. */
const walk = `
import hashlib, json, os, stat, sys
root = sys.argv[1]
out = {}
for d, dirs, files in os.walk(root):
    for name in dirs + files:
        p = os.path.join(d, name)
        st = os.lstat(p)
        rel = os.path.relpath(p, root)
        if stat.S_ISDIR(st.st_mode): kind, size, what = 'dir', 0, None
        elif stat.S_ISLNK(st.st_mode): kind, size, what = 'symlink', 0, os.readlink(p)
        elif stat.S_ISREG(st.st_mode):
            kind, size = 'file', st.st_size
            what = hashlib.sha256(open(p, 'rb').read()).hexdigest()
        else: kind, size, what = 'other', 0, None
        out[rel] = [kind, size, what, stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid]
print(json.dumps(out))
`;

/** Python: the regular files of a layer blob (not whiteouts) as { sha256: size }. */
const layerContents = `
import hashlib, json, sys, tarfile
out = {}
try:
    with tarfile.open(sys.argv[1], 'r|*') as t:
        for m in t:
            if m.isreg() and not m.name.split('/')[-1].startswith('.wh.'):
                out[hashlib.sha256(t.extractfile(m).read()).hexdigest()] = m.size
except tarfile.ReadError as e:
    if str(e) != 'unexpected end of data': raise
print(json.dumps(out))
`;

type Walked = Record<string, [string, number, string | null, number, number, number]>;

interface Expected {
  path: string;
  change: string;
  what: string[];
}

/** The paths that differ between two walked rootfs, as `imgscan diff` should list them. */
function expectedChanges(a: Walked, b: Walked): Expected[] {
  const out: Expected[] = [];
  for (const path of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
    const x = a[path];
    const y = b[path];
    if (!x) out.push({ path, change: 'added', what: [] });
    else if (!y) out.push({ path, change: 'removed', what: [] });
    else if (x[0] !== y[0]) out.push({ path, change: 'changed', what: ['type'] });
    else {
      const what: string[] = [];
      if (x[0] === 'file' && x[2] !== y[2]) what.push('content');
      if (x[0] === 'symlink' && x[2] !== y[2]) what.push('link');
      if (x[0] !== 'symlink' && x[3] !== y[3]) what.push('mode');
      if (x[4] !== y[4] || x[5] !== y[5]) what.push('owner');
      if (what.length) out.push({ path, change: 'changed', what });
    }
  }
  return out;
}

describe.skipIf(missing.length > 0)('imgscan diff', () => {
  let work: string;
  let layout: string;
  let data: string;
  let diff: ImageDiff;
  let walkedA: Walked;
  let walkedB: Walked;

  const umoci = (args: string[]) => run('umoci', args, { cwd: work });
  const blobPath = (digest: string) => join(layout, 'blobs', 'sha256', digest.slice('sha256:'.length));
  const manifestLayers = async (tag: string): Promise<string[]> => {
    const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8'));
    const m = index.manifests.find((d: any) => d.annotations['org.opencontainers.image.ref.name'] === tag);
    return JSON.parse(await readFile(blobPath(m.digest), 'utf8')).layers.map((l: any) => l.digest);
  };

  /** The regular-file contents of the layers given, read by Python's tarfile: sha256 to size. */
  const union = async (digests: string[]) => {
    const all = new Map<string, number>();
    for (const d of digests) {
      const out = await runText('python3', ['-c', layerContents, blobPath(d)]);
      for (const [h, n] of Object.entries(JSON.parse(out) as Record<string, number>)) all.set(h, n);
    }
    return all;
  };
  /** Three chunkers on every layer: diff gives the traffic of each. */
  const chunking = 'fastcdc:16k,fixed:4k,rollsum:4k';

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'imgscan-diff-'));
    layout = join(work, 'layout');
    data = join(work, 'data');
    await umoci(['init', '--layout', layout]);
    await umoci(['new', '--image', `${layout}:a`]);
    await umoci(['unpack', '--image', `${layout}:a`, 'bundle']);
    let rootfs = join(work, 'bundle', 'rootfs');
    const shared = randomBytes(70_000);
    for (const d of ['etc', 'usr/bin', 'data/sub', 'opt/old', 'var/swap']) await mkdir(join(rootfs, d), { recursive: true });
    await writeFile(join(rootfs, 'etc/app.conf'), 'threads = 4\n');
    await writeFile(join(rootfs, 'etc/keep.conf'), 'unchanged\n');
    await writeFile(join(rootfs, 'usr/bin/tool'), randomBytes(200_000));
    await writeFile(join(rootfs, 'data/sub/a.bin'), shared);
    await writeFile(join(rootfs, 'data/sub/b.bin'), randomBytes(5_000));
    await writeFile(join(rootfs, 'data/gone.txt'), 'to be deleted\n');
    await writeFile(join(rootfs, 'opt/old/one'), 'old one\n');
    await writeFile(join(rootfs, 'var/swap/file-then-dir'), 'a file first\n');
    await writeFile(join(rootfs, 'secret'), 'mode changes\n');
    await symlink('etc/app.conf', join(rootfs, 'conf'));
    await umoci(['repack', '--image', `${layout}:a`, 'bundle']);

    // B: A's layer, one layer of changes made by repack, then an opaque /opt and a whiteout of /etc/keep.conf.
    await umoci(['unpack', '--image', `${layout}:a`, 'bundle-b']);
    rootfs = join(work, 'bundle-b', 'rootfs');
    await writeFile(join(rootfs, 'etc/app.conf'), 'threads = 8\n');
    await unlink(join(rootfs, 'data/gone.txt'));
    await rm(join(rootfs, 'var/swap/file-then-dir'));
    await mkdir(join(rootfs, 'var/swap/file-then-dir'));
    await writeFile(join(rootfs, 'var/swap/file-then-dir/inside'), 'now a dir\n');
    await chmod(join(rootfs, 'secret'), 0o600);
    await unlink(join(rootfs, 'conf'));
    await symlink('etc/keep.conf', join(rootfs, 'conf'));
    await writeFile(join(rootfs, 'data/copy-of-a.bin'), shared);
    await writeFile(join(rootfs, 'usr/bin/tool2'), randomBytes(120_000));
    await umoci(['repack', '--image', `${layout}:b`, 'bundle-b']);
    const newOpt = join(work, 'new-opt');
    await mkdir(newOpt);
    await writeFile(join(newOpt, 'two'), 'new two\n');
    await umoci(['insert', '--image', `${layout}:b`, '--opaque', newOpt, '/opt']);
    await umoci(['insert', '--image', `${layout}:b`, '--whiteout', '/etc/keep.conf']);

    await run(process.execPath, [cli, 'scan', `oci:${layout}:a`, `oci:${layout}:b`, '--data', data, '--chunking', chunking, '--sample-rate', '1', '--json'], { cwd: repo, timeoutMs: 120_000 });
    const out = await runText(process.execPath, [cli, 'diff', `oci:${layout}:a`, `oci:${layout}:b`, '--data', data, '--json'], { cwd: repo });
    diff = JSON.parse(out);
    for (const tag of ['a', 'b']) await umoci(['unpack', '--image', `${layout}:${tag}`, `ref-${tag}`]);
    walkedA = JSON.parse(await runText('python3', ['-c', walk, join(work, 'ref-a', 'rootfs')]));
    walkedB = JSON.parse(await runText('python3', ['-c', walk, join(work, 'ref-b', 'rootfs')]));
  }, 240_000);

  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('lists the paths that differ between the filesystems umoci unpacks, with what differs', () => {
    const expected = expectedChanges(walkedA, walkedB);
    expect(expected.length).toBeGreaterThan(8);
    expect(diff.changes.map(({ path, change, what }) => ({ path, change, what }))).toEqual(expected);
  });

  it('counts added, removed, changed and unchanged paths and the file bytes behind them as umoci unpacks them', () => {
    const expected = expectedChanges(walkedA, walkedB);
    const size = (w: Walked, p: string) => (w[p][0] === 'file' ? w[p][1] : 0);
    const of = (change: string) => expected.filter((e) => e.change === change);
    expect(diff.paths).toEqual({
      added: of('added').length,
      removed: of('removed').length,
      changed: of('changed').length,
      unchanged: Object.keys(walkedB).filter((p) => p in walkedA).length - of('changed').length,
      added_bytes: of('added').reduce((n, e) => n + size(walkedB, e.path), 0),
      removed_bytes: of('removed').reduce((n, e) => n + size(walkedA, e.path), 0),
      changed_bytes: of('changed').reduce((n, e) => n + size(walkedB, e.path), 0),
    });
  });

  it('sees the opaque directory, the whiteout and a file replaced by a directory', () => {
    const byPath = new Map(diff.changes.map((c) => [c.path, c]));
    expect(byPath.get('opt/old')?.change).toBe('removed');
    expect(byPath.get('opt/two')?.change).toBe('added');
    expect(byPath.get('etc/keep.conf')?.change).toBe('removed');
    expect(byPath.get('var/swap/file-then-dir')?.what).toEqual(['type']);
  });

  it('gives the layer traffic from the sizes of the blob files', async () => {
    const layersA = await manifestLayers('a');
    const layersB = await manifestLayers('b');
    const size = async (d: string) => (await readFile(blobPath(d))).length;
    const onlyB = layersB.filter((d) => !layersA.includes(d));
    const layer = diff.designs.find((d) => d.design === 'layer_dedup')!;
    let pull = 0;
    for (const d of layersB) pull += await size(d);
    let update = 0;
    for (const d of onlyB) update += await size(d);
    expect(layer).toEqual({ design: 'layer_dedup', chunker: null, compressed: true, estimated: false, pull_count: layersB.length, pull_bytes: pull, update_count: onlyB.length, update_bytes: update });
    expect(diff.layers).toMatchObject({ shared: layersA.length, only_a: 0, only_b: onlyB.length, only_b_compressed_size: update });
  });

  it('gives the file traffic from the layer blobs read by Python\'s tarfile', async () => {
    // umoci insert ends its layers right after the last file's bytes (no padding, no end blocks): Go's
    // archive/tar reads that, and so does Python's tarfile, which then reports the early end (GNU tar does not
    // write that last file's bytes at all).
    const inA = await union(await manifestLayers('a'));
    const inB = await union(await manifestLayers('b'));
    const newer = [...inB].filter(([h]) => !inA.has(h));
    const file = diff.designs.find((d) => d.design === 'file_dedup' && !d.compressed)!;
    expect(file).toEqual({
      design: 'file_dedup',
      chunker: null,
      compressed: false,
      estimated: false,
      pull_count: inB.size,
      pull_bytes: [...inB.values()].reduce((n, v) => n + v, 0),
      update_count: newer.length,
      update_bytes: newer.reduce((n, [, v]) => n + v, 0),
    });
  });

  it('gives file and chunk traffic compressed as estimated from the sample of the two images (here all of it)', async () => {
    // The dataset holds just the two images, so analyze's compressed shares are the ones diff uses.
    const { summary } = await analyzeDataset({ dataDirs: [data] });
    const shares = [
      { design: 'file_dedup', chunker: null, share: summary.compression.file_contents.gzip!.value / summary.compression.classes.reduce((n, k) => n + k.bytes, 0) },
      ...summary.compression.chunkers.map((c) => ({ design: 'chunk_dedup', chunker: c.chunker, share: c.gzip!.value / c.chunk_bytes })),
    ];
    expect(shares).toHaveLength(4);
    for (const { design, chunker, share } of shares) {
      const plain = diff.designs.find((d) => d.design === design && d.chunker === chunker && !d.compressed)!;
      const packed = diff.designs.find((d) => d.design === design && d.chunker === chunker && d.compressed)!;
      expect(packed, `${design} ${chunker}`).toEqual({ ...plain, compressed: true, estimated: true, pull_bytes: Math.round(plain.pull_bytes * share), update_bytes: Math.round(plain.update_bytes * share) });
    }
  });

  it('gives chunk traffic per chunker (three run on every layer), and a shared file content moves no chunk on an update', async () => {
    const chunk = diff.designs.filter((d) => d.design === 'chunk_dedup' && !d.compressed);
    expect(chunk.map((c) => c.chunker)).toEqual(['fastcdc-16384-4096-65536', 'fixed-4096', 'rollsum-4096']);
    const file = diff.designs.find((d) => d.design === 'file_dedup' && !d.compressed)!;
    // Every content is cut into chunks by each chunker: the chunk bytes to pull are the file bytes (a content
    // shared by two paths is chunked once), and random new contents share no chunk with A.
    for (const c of chunk) {
      expect(c.pull_bytes, c.chunker!).toBe(file.pull_bytes);
      expect(c.update_bytes, c.chunker!).toBe(file.update_bytes);
      expect(c.pull_count, c.chunker!).toBeGreaterThan(file.pull_count);
    }
    // Fixed 4 KiB chunks: ceil(size / 4096) per distinct content of B, none shared between two contents.
    const inB = await union(await manifestLayers('b'));
    expect(chunk[1].pull_count).toBe([...inB.values()].reduce((n, size) => n + Math.ceil(size / 4096), 0));
  });

  it('prints Markdown with the same figures without --json', async () => {
    const md = await runText(process.execPath, [cli, 'diff', `oci:${layout}:a`, `oci:${layout}:b`, '--data', data], { cwd: repo });
    expect(md).toContain(`| added | ${diff.paths.added} |`);
    expect(md).toContain(`| layer_dedup |  | compressed | ${diff.designs[0].pull_count} |`);
  });

  it('fails with NOT_FOUND naming a ref the dataset does not hold', async () => {
    const r = await run(process.execPath, [cli, 'diff', `oci:${layout}:a`, `oci:${layout}:nope`, '--data', data], { cwd: repo, okCodes: [1, 2, 3, 4, 5, 6, 7] });
    expect(r.stderr).toContain(`no image in the dataset matches "oci:${layout}:nope"`);
  });
});

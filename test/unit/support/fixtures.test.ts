/**
 * The fixture images have the properties the harness claims, checked with tar, b3sum, sha256sum, skopeo and
 * plain JSON reading only.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, open, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, runText } from '../../support/exec.js';
import { BAD_CASES, blobFile, buildBadFixtures, buildFixtures, FIXTURE_PATHS as P, type BadCase, type BadFixture, type Fixtures } from '../../support/fixtures.js';

let dir: string;
let fx: Fixtures;
let bad: Record<BadCase, BadFixture>;
const env = { LC_ALL: 'C', TZ: 'UTC' };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'imgscan-fixtures-test-'));
  fx = await buildFixtures(join(dir, 'good'));
  bad = await buildBadFixtures(dir, fx);
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const sha = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const json = async <T = any>(path: string): Promise<T> => JSON.parse((await readFile(path)).toString('utf8')) as T;
const sha256sum = async (path: string) => `sha256:${(await runText('sha256sum', [path])).slice(0, 64)}`;

async function head(path: string, n: number): Promise<Buffer> {
  const f = await open(path, 'r');
  try {
    return (await f.read(Buffer.alloc(n), 0, n, 0)).buffer;
  } finally {
    await f.close();
  }
}

/** `tar -tv` lines of a layer blob (GNU tar detects gzip and zstd itself). */
async function listing(blob: string): Promise<string[]> {
  return (await runText('tar', ['-tvf', blob, '--numeric-owner'], { env })).split('\n').filter(Boolean);
}

async function names(blob: string): Promise<string[]> {
  return (await runText('tar', ['-tf', blob], { env })).split('\n').filter(Boolean);
}

/** b3sum of one member of a layer blob (the Nth occurrence of its name). */
async function memberB3(blob: string, name: string, occurrence = 1): Promise<string> {
  const out = join(dir, 'member');
  await run('tar', ['-xOf', blob, `--occurrence=${occurrence}`, '--', name], { stdoutFile: out });
  return (await runText('b3sum', ['--no-names', out])).trim();
}

async function decompressed(blob: string): Promise<Buffer> {
  const m = await head(blob, 4);
  if (m[0] === 0x1f && m[1] === 0x8b) return (await run('gzip', ['-dc', blob])).stdout;
  if (m.readUInt32LE(0) === 0xfd2fb528) return (await run('zstd', ['-dcq', blob])).stdout;
  return readFile(blob);
}

async function skopeoInspect(ref: string, ...flags: string[]): Promise<{ Digest: string; Layers: string[]; Architecture: string }> {
  return JSON.parse(await runText('skopeo', ['inspect', ...flags, ref]));
}

describe('fixture images', () => {
  it('say where their content came from', () => {
    // 'machine' only when apt could not fetch the packages; buildFixtures has warned loudly then.
    expect(['debian', 'machine']).toContain(fx.content);
    for (const source of Object.values(fx.packages)) expect(source).toMatch(fx.content === 'debian' ? /\.deb$/ : /./);
  });

  it('store every blob under its own sha256', async () => {
    for (const layout of Object.values(fx.layouts)) {
      const blobs = join(layout.path, 'blobs', 'sha256');
      for (const name of await readdir(blobs)) expect(await sha256sum(join(blobs, name))).toBe(`sha256:${name}`);
    }
  });

  it('read digests that skopeo sees too', async () => {
    for (const img of Object.values(fx.images).filter((i) => i.indexDigest === null)) {
      const seen = await skopeoInspect(`oci:${img.layout}:${img.tag}`);
      expect(seen.Digest, img.name).toBe(img.manifestDigest);
      expect(seen.Layers, img.name).toEqual(img.layers);
      const config = (await run('skopeo', ['inspect', '--config', '--raw', `oci:${img.layout}:${img.tag}`])).stdout;
      expect(sha(config), img.name).toBe(img.configDigest);
    }
  });

  it('app1 and app2 share the base layer of base', async () => {
    const { base, app1, app2 } = fx.images;
    expect(base.layers).toHaveLength(1);
    expect(app1.layers).toHaveLength(3);
    expect(app2.layers).toHaveLength(2);
    expect(app1.layers[0]).toBe(base.layers[0]);
    expect(app2.layers[0]).toBe(base.layers[0]);
    expect(new Set([...app1.layers.slice(1), ...app2.layers.slice(1)]).size).toBe(3);
    expect(fx.layouts.main.tags.sort()).toEqual(['app1', 'app2', 'base']);
  });

  it('have gzip, zstd and uncompressed layers where claimed', async () => {
    const kind = async (blob: string) => {
      const m = await head(blob, 512);
      if (m[0] === 0x1f && m[1] === 0x8b) return 'gzip';
      if (m.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
      return m.subarray(257, 262).toString('latin1') === 'ustar' ? 'tar' : 'unknown';
    };
    const kinds = async (name: keyof Fixtures['images']) => Promise.all(fx.images[name].layerDescriptors.map((l) => kind(l.blob)));
    expect(await kinds('app1')).toEqual(['gzip', 'gzip', 'gzip']);
    expect(await kinds('app1Zstd')).toEqual(['zstd', 'zstd', 'zstd']);
    expect(await kinds('app1Plain')).toEqual(['tar', 'tar', 'tar']);
    expect(await kinds('mixed')).toEqual(['gzip', 'zstd', 'tar']);
    expect(fx.images.app1Zstd.layerDescriptors.map((l) => l.mediaType)).toEqual(Array(3).fill('application/vnd.oci.image.layer.v1.tar+zstd'));
    expect(fx.images.app1Plain.layerDescriptors.map((l) => l.mediaType)).toEqual(Array(3).fill('application/vnd.oci.image.layer.v1.tar'));
    // Same content whatever the compression: the configs (and so the diff_ids) are app1's.
    for (const name of ['app1Zstd', 'app1Plain', 'mixed'] as const) expect(fx.images[name].configDigest).toBe(fx.images.app1.configDigest);
    for (const l of fx.images.mixed.layerDescriptors) expect(sha(await decompressed(l.blob))).toBe(l.diffId);
  });

  it('base layer holds a hardlink, a symlink, an empty file and long paths (ustar prefix and PAX)', async () => {
    const blob = fx.images.base.layerDescriptors[0]!.blob;
    const lines = await listing(blob);
    expect(lines.filter((l) => l.startsWith('h'))).toEqual([expect.stringMatching(new RegExp(` ${P.hardlink} link to ${P.hardlinkTarget}$`))]);
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^l.* ${P.symlink} -> ${P.symlinkTarget}$`)));
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^-.* 0 \\S+ \\S+ ${P.empty}$`)));
    const all = await names(blob);
    expect(P.long100.length).toBeGreaterThan(100);
    expect(P.long255.length).toBeGreaterThan(255);
    expect(all).toContain(P.long100);
    expect(all).toContain(P.long255);
    expect((await decompressed(blob)).includes(`path=${P.long255}\n`)).toBe(true);
    expect(lines.filter((l) => l.startsWith('l')).length).toBeGreaterThan(100); // tzdata's links
  });

  it('have duplicate content inside a layer, across layers and across images', async () => {
    const [l0, l1, l2] = fx.images.app1.layerDescriptors.map((l) => l.blob) as [string, string, string];
    const app2l1 = fx.images.app2.layerDescriptors[1]!.blob;
    const dup = await memberB3(l0, P.dups[0]);
    for (const d of P.dups) expect(await memberB3(l0, d)).toBe(dup);
    const payload = await memberB3(l0, P.payload);
    expect(await memberB3(l1, P.payloadCopyApp1)).toBe(payload);
    expect(await memberB3(app2l1, P.payloadCopyApp2)).toBe(payload);
    expect(await memberB3(l1, P.rewritten)).toBe(await memberB3(l0, P.rewritten));
    expect((await names(l2)).filter((n) => n === P.twice)).toHaveLength(2);
    expect(await memberB3(l2, P.twice, 1)).toBe(dup);
    expect(await memberB3(l2, P.twice, 2)).not.toBe(dup);
  });

  it('app1 deletes a file with a whiteout and replaces a directory with an opaque whiteout', async () => {
    const [l0, l1, l2] = fx.images.app1.layerDescriptors.map((l) => l.blob) as [string, string, string];
    const n0 = await names(l0);
    expect(n0).toContain(P.deleted);
    for (const p of P.opaqueOld) expect(n0).toContain(p);
    expect(await names(l1)).toContain(P.whiteout);
    const n2 = await names(l2);
    expect(n2).toContain(P.opaque);
    expect(n2).toContain(P.opaqueNew);
  });

  it('app1 top layer is a GNU tar with a long name, a fifo and a device', async () => {
    const l2 = fx.images.app1.layerDescriptors[2]!.blob;
    expect((await decompressed(l2)).includes('././@LongLink')).toBe(true);
    expect(await names(l2)).toContain(P.gnuLong);
    const lines = await listing(l2);
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^p.* ${P.fifo}$`)));
    if (fx.charDevice) expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^c.* 1,3 .* ${P.charDevice}$`)));
  });

  it('classic docker-archive has manifest.json, repositories and three layer tars', async () => {
    const a = fx.archives.classic;
    const members = await names(a.path);
    expect(members).toEqual(expect.arrayContaining(['manifest.json', 'repositories', ...a.layerFiles]));
    expect(members).not.toContain('oci-layout');
    expect(a.layerFiles).toHaveLength(3);
    expect(a.diffIds).toEqual(fx.images.app1.diffIds);
    expect(a.configDigest).toBe(fx.images.app1.configDigest);
    for (const [i, f] of a.layerFiles.entries()) {
      const out = join(dir, 'layer.tar');
      await run('tar', ['-xOf', a.path, f], { stdoutFile: out });
      expect(await sha256sum(out)).toBe(a.diffIds[i]);
    }
    expect((await skopeoInspect(a.ref)).Layers).toEqual(a.diffIds);
  });

  it('docker-archive with an OCI layout inside reads both ways', async () => {
    const a = fx.archives.ociInside;
    expect(await names(a.path)).toEqual(expect.arrayContaining(['oci-layout', 'index.json', 'manifest.json', 'repositories', ...a.layerFiles]));
    expect(a.ociLayout).toBe(true);
    expect(a.manifestDigest).toBe(fx.images.app1Plain.manifestDigest);
    expect((await skopeoInspect(`oci-archive:${a.path}:latest`)).Digest).toBe(a.manifestDigest);
    expect((await skopeoInspect(a.ref)).Layers).toEqual(fx.images.app1.diffIds);
  });

  it('multi is an image index of an amd64 and an arm64 image with different content', async () => {
    const m = fx.multiIndex;
    const top = await json(join(m.layout, 'index.json'));
    expect(top.manifests).toHaveLength(1);
    expect(top.manifests[0].mediaType).toBe('application/vnd.oci.image.index.v1+json');
    expect(top.manifests[0].annotations['org.opencontainers.image.ref.name']).toBe('multi');
    const raw = (await run('skopeo', ['inspect', '--raw', `oci:${m.layout}:multi`])).stdout;
    expect(sha(raw)).toBe(m.digest);
    const index = JSON.parse(raw.toString('utf8'));
    expect(index.manifests.map((d: any) => `${d.platform.os}/${d.platform.architecture}`)).toEqual(['linux/amd64', 'linux/arm64']);
    for (const arch of ['amd64', 'arm64'] as const) {
      const img = fx.images[arch];
      expect(img.architecture).toBe(arch);
      expect(img.indexDigest).toBe(m.digest);
      const seen = await skopeoInspect(`oci:${m.layout}:multi`, '--override-arch', arch, '--override-os', 'linux');
      expect(seen.Layers).toEqual(img.layers);
      expect(seen.Architecture).toBe(arch);
      const out = join(dir, 'platform');
      await run('tar', ['-xOf', img.layerDescriptors[0]!.blob, P.platform], { stdoutFile: out });
      expect(await readFile(out, 'utf8')).toBe(`linux/${arch}\n`);
    }
    expect(fx.images.amd64.layers[0]).not.toBe(fx.images.arm64.layers[0]);
    const flat = await json(join(fx.layouts.multiFlat.path, 'index.json'));
    expect(flat.manifests.map((d: any) => [d.digest, d.platform.architecture, d.annotations])).toEqual([
      [fx.images.amd64.manifestDigest, 'amd64', undefined],
      [fx.images.arm64.manifestDigest, 'arm64', undefined],
    ]);
  });
});

describe('broken fixtures', () => {
  const app1Blob = (i: number) => fx.images.app1.layerDescriptors[i]!.blob;
  const manifestOf = async (b: BadFixture) => json(blobFile(b.layout, b.manifestDigest));
  const configOf = async (b: BadFixture) => json(blobFile(b.layout, b.configDigest));

  it('are consistent layouts except for the one fault, at layer 1 of 3', async () => {
    for (const kind of BAD_CASES) {
      const b = bad[kind];
      expect(b.badPosition, kind).toBe(1);
      expect(b.goodBefore, kind).toEqual([fx.images.app1.layers[0]]);
      expect(b.goodAfter, kind).toEqual([fx.images.app1.layers[2]]);
      const raw = (await run('skopeo', ['inspect', '--raw', b.ref])).stdout;
      expect(sha(raw), kind).toBe(b.manifestDigest);
      const manifest = await manifestOf(b);
      expect(manifest.layers.map((l: any) => l.digest), kind).toEqual(b.layers);
      expect(manifest.config.digest, kind).toBe(b.configDigest);
      expect(await sha256sum(blobFile(b.layout, b.configDigest)), kind).toBe(b.configDigest);
      for (const d of [...b.goodBefore, ...b.goodAfter]) expect(await sha256sum(blobFile(b.layout, d)), kind).toBe(d);
    }
  });

  it('truncated-gzip: the blob matches its digest but gzip fails', async () => {
    const b = bad['truncated-gzip'];
    const blob = blobFile(b.layout, b.badLayer);
    expect(await sha256sum(blob)).toBe(b.badLayer);
    await expect(run('gzip', ['-t', blob])).rejects.toThrow(/gzip -t/);
  });

  it('corrupt-tar-header: gzip is fine and the diff_id matches, tar is not', async () => {
    const b = bad['corrupt-tar-header'];
    const blob = blobFile(b.layout, b.badLayer);
    expect(await sha256sum(blob)).toBe(b.badLayer);
    const tar = await decompressed(blob);
    expect(sha(tar)).toBe((await configOf(b)).rootfs.diff_ids[1]);
    const out = join(dir, 'corrupt.tar');
    await run('gzip', ['-dc', blob], { stdoutFile: out });
    await expect(run('tar', ['-tf', out])).rejects.toThrow(/tar -tf/);
    expect(b.entriesBeforeDamage).toBeGreaterThan(0);
    const good = (await names(app1Blob(1))).slice(0, b.entriesBeforeDamage);
    const listed = (await run('tar', ['-tf', out], { okCodes: [0, 2] })).stdout.toString().split('\n');
    expect(listed.slice(0, good.length)).toEqual(good);
  });

  it('digest-mismatch: same name and size, other bytes, same content after gzip', async () => {
    const b = bad['digest-mismatch'];
    const blob = blobFile(b.layout, b.badLayer);
    expect(b.badLayer).toBe(fx.images.app1.layers[1]);
    expect(await sha256sum(blob)).not.toBe(b.badLayer);
    expect((await readFile(blob)).length).toBe((await manifestOf(b)).layers[1].size);
    expect(sha(await decompressed(blob))).toBe(fx.images.app1.diffIds[1]);
  });

  it('diffid-mismatch: every blob is intact, only the config is wrong about layer 1', async () => {
    const b = bad['diffid-mismatch'];
    for (const d of b.layers) expect(await sha256sum(blobFile(b.layout, d))).toBe(d);
    const diffIds: string[] = (await configOf(b)).rootfs.diff_ids;
    expect(diffIds[0]).toBe(fx.images.app1.diffIds[0]);
    expect(diffIds[2]).toBe(fx.images.app1.diffIds[2]);
    expect(sha(await decompressed(blobFile(b.layout, b.badLayer)))).not.toBe(diffIds[1]);
  });

  it('missing-blob: only the bad layer is absent', () => {
    const b = bad['missing-blob'];
    expect(existsSync(blobFile(b.layout, b.badLayer))).toBe(false);
    for (const d of [...b.goodBefore, ...b.goodAfter, b.configDigest, b.manifestDigest]) expect(existsSync(blobFile(b.layout, d))).toBe(true);
  });
});

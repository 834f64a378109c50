import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeOciLayout } from '../../../src/demo/layout-writer.js';
import { cli, queryDataset } from '../../support/dataset.js';
import { run, runText } from '../../support/exec.js';

// What registries and `docker save` put beside images: cosign signatures (an image config with a JSON layer),
// BuildKit attestations (unknown/unknown entries of an index), and indexes listing platforms whose manifests
// were not saved. None of them is an image; none may fail a scan.
let work: string;
let layout: string;
let imageDigest: string;

const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
function put(obj: unknown, mediaType: string): { mediaType: string; digest: string; size: number } {
  const bytes = Buffer.from(typeof obj === 'string' ? obj : JSON.stringify(obj));
  const digest = sha(bytes);
  writeFileSync(join(layout, 'blobs', 'sha256', digest.slice(7)), bytes);
  return { mediaType, digest, size: bytes.length };
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'imgscan-artifacts-it-'));
  layout = join(work, 'layout');
  await writeOciLayout(layout, [{ tag: 'app', layers: [[{ type: 'file', path: 'etc/app.conf', content: Buffer.from('x=1\n') }]] }]);
  const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8'));
  const app = index.manifests[0];
  imageDigest = app.digest;
  const config = put({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }, 'application/vnd.oci.image.config.v1+json');
  // A cosign signature: an image config, a JSON payload as its one layer.
  const payload = put('{"critical":{"image":{"docker-manifest-digest":"' + imageDigest + '"}}}', 'application/vnd.dev.cosign.simplesigning.v1+json');
  const sig = put({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config, layers: [payload] }, 'application/vnd.oci.image.manifest.v1+json');
  // An attestation manifest (in-toto layer) and an index with it, the image, and a platform not saved.
  const statement = put('{"_type":"https://in-toto.io/Statement/v0.1"}', 'application/vnd.in-toto+json');
  const att = put({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config, layers: [statement] }, 'application/vnd.oci.image.manifest.v1+json');
  const missing = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sha(Buffer.from('a manifest that was not saved')), size: 500 };
  const multi = put({
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [
      { ...app, annotations: undefined, platform: { os: 'linux', architecture: 'amd64' } },
      { ...missing, platform: { os: 'linux', architecture: 'arm64' } },
      { ...att, platform: { os: 'unknown', architecture: 'unknown' }, annotations: { 'vnd.docker.reference.type': 'attestation-manifest', 'vnd.docker.reference.digest': imageDigest } },
    ],
  }, 'application/vnd.oci.image.index.v1+json');
  index.manifests.push({ ...sig, annotations: { 'org.opencontainers.image.ref.name': 'sig' } });
  index.manifests.push({ ...multi, annotations: { 'org.opencontainers.image.ref.name': 'multi' } });
  writeFileSync(join(layout, 'index.json'), JSON.stringify(index));
}, 60_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('artifacts beside images', () => {
  it('a scan of every tag stores the image only: no signature, attestation or missing platform fails it', async () => {
    const data = join(work, 'data-all');
    const r = await cli(['scan', `oci:${layout}`, '--data', data, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary.failures).toBe(0);
    expect(summary.images_stored).toBe(1);
    const images = await queryDataset<{ manifest_digest: string }>(data, 'SELECT manifest_digest FROM images');
    expect(images.map((i) => i.manifest_digest)).toEqual([imageDigest]);
    const refs = await queryDataset<{ tag: string }>(data, 'SELECT tag FROM image_refs ORDER BY tag');
    expect(refs.map((x) => x.tag)).toEqual(['app', 'multi']);
  });

  it('a tag that holds no image is a clear error naming why', async () => {
    const r = await cli(['scan', `oci:${layout}:sig`, '--data', join(work, 'data-sig')]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('holds no container image');
    expect(r.stderr).toContain('layer application/vnd.dev.cosign.simplesigning.v1+json');
  });
});

describe('manifests addressed by sha512', () => {
  async function sha512Layout(dir: string, tamper: boolean): Promise<string> {
    await writeOciLayout(dir, [{ tag: 'app', layers: [[{ type: 'file', path: 'a', content: Buffer.from('a\n') }]] }]);
    const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8'));
    const entry = index.manifests[0];
    const bytes = readFileSync(join(dir, 'blobs', 'sha256', entry.digest.slice(7)));
    const hex = createHash('sha512').update(bytes).digest('hex');
    mkdirSync(join(dir, 'blobs', 'sha512'), { recursive: true });
    // Tampered: the same length, one byte changed.
    const stored = tamper ? Buffer.from(bytes.toString('latin1').replace('"schemaVersion":2', '"schemaVersion":3'), 'latin1') : bytes;
    writeFileSync(join(dir, 'blobs', 'sha512', hex), stored);
    index.manifests[0] = { ...entry, digest: `sha512:${hex}` };
    writeFileSync(join(dir, 'index.json'), JSON.stringify(index));
    return `sha512:${hex}`;
  }

  it('are checked like sha256 ones', async () => {
    const good = join(work, 'sha512-good');
    const digest = await sha512Layout(good, false);
    const ok = await cli(['scan', `oci:${good}`, '--data', join(work, 'data-512'), '--json']);
    expect(ok.code, ok.stderr).toBe(0);
    const images = await queryDataset<{ manifest_digest: string }>(join(work, 'data-512'), 'SELECT manifest_digest FROM images');
    expect(images.map((i) => i.manifest_digest)).toEqual([digest]);
    const bad = join(work, 'sha512-bad');
    await sha512Layout(bad, true);
    const r = await cli(['scan', `oci:${bad}`, '--data', join(work, 'data-512-bad')]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('[DIGEST_MISMATCH]');
  });
});

describe('metadata files that are not JSON', () => {
  it('are MANIFEST_INVALID naming the file, not an internal error', async () => {
    const dir = join(work, 'bad-json');
    await writeOciLayout(dir, [{ tag: 'app', layers: [[{ type: 'file', path: 'a', content: Buffer.from('a\n') }]] }]);
    writeFileSync(join(dir, 'oci-layout'), '{"imageLayoutVersion": ');
    const r = await cli(['scan', `oci:${dir}`, '--data', join(work, 'data-bad-json')]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('[MANIFEST_INVALID]');
    expect(r.stderr).toContain('oci-layout');
  });
});

describe('docker-archive refs', () => {
  it('name the archive and its RepoTags, so analyze --image finds the image by either', async () => {
    const archive = join(work, 'e.tar');
    await run('skopeo', ['copy', '-q', `oci:${layout}:app`, `docker-archive:${archive}:e:1.0`]);
    const repoTags = (JSON.parse(await runText('tar', ['-xOf', archive, 'manifest.json'])) as { RepoTags: string[] }[])[0]!.RepoTags;
    const data = join(work, 'data-archive');
    const scan = await cli(['scan', `docker-archive:${archive}`, '--data', data]);
    expect(scan.code, scan.stderr).toBe(0);
    const refs = await queryDataset<{ repository: string; tag: string }>(data, "SELECT repository, tag FROM image_refs WHERE registry = 'docker-archive'");
    expect(refs).toEqual(repoTags.map((tag) => ({ repository: archive, tag })));
    for (const ref of [`docker-archive:${archive}`, 'e:1.0', repoTags[0]!]) {
      const r = await cli(['analyze', '--data', data, '--image', ref, '--json']);
      expect(r.code, `${ref}: ${r.stderr}`).toBe(0);
      const images = (JSON.parse(r.stdout) as { images: { ref: string }[] }).images;
      expect(images.map((i) => i.ref)).toEqual([`docker-archive:${archive}:${repoTags[0]}`]);
    }
  });
});

describe('foreign layers', () => {
  it('are not read (registries do not hold them): the image is stored, the layer counted as foreign', async () => {
    const dir = join(work, 'foreign');
    await writeOciLayout(dir, [{ tag: 'win', layers: [[{ type: 'file', path: 'app.exe', content: Buffer.from('MZ') }]] }]);
    const blob = (digest: string) => join(dir, 'blobs', 'sha256', digest.slice(7));
    const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8'));
    const manifest = JSON.parse(readFileSync(blob(index.manifests[0].digest), 'utf8'));
    const config = JSON.parse(readFileSync(blob(manifest.config.digest), 'utf8'));
    const foreignLayer = { mediaType: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip', digest: sha(Buffer.from('windows base layer')), size: 123456789, urls: ['https://mcr.microsoft.com/v2/windows/servercore/blobs/x'] };
    config.rootfs.diff_ids.unshift(sha(Buffer.from('windows base layer, uncompressed')));
    const configBytes = Buffer.from(JSON.stringify(config));
    writeFileSync(blob(sha(configBytes)), configBytes);
    manifest.config = { ...manifest.config, digest: sha(configBytes), size: configBytes.length };
    manifest.layers.unshift(foreignLayer);
    const manifestBytes = Buffer.from(JSON.stringify(manifest));
    writeFileSync(blob(sha(manifestBytes)), manifestBytes);
    index.manifests[0] = { ...index.manifests[0], digest: sha(manifestBytes), size: manifestBytes.length };
    writeFileSync(join(dir, 'index.json'), JSON.stringify(index));

    const data = join(work, 'data-foreign');
    const r = await cli(['scan', `oci:${dir}`, '--data', data, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect([summary.images_stored, summary.layers_read, summary.layers_foreign, summary.failures]).toEqual([1, 1, 1, 0]);
    const stored = await queryDataset<{ layer_digest: string }>(data, 'SELECT layer_digest FROM layers');
    expect(stored.map((l) => l.layer_digest)).toEqual([manifest.layers[1].digest]);
    const refs = await queryDataset<{ layer_digest: string }>(data, 'SELECT layer_digest FROM image_layers ORDER BY position');
    expect(refs.map((l) => l.layer_digest)).toEqual([foreignLayer.digest, manifest.layers[1].digest]);
  });
});

describe('docker save archives with an OCI layout inside', () => {
  it('read every image of manifest.json, also those index.json leaves out (an untagged one saved with a tagged one)', async () => {
    const dir = join(work, 'd25');
    await writeOciLayout(dir, [
      { tag: 'a', layers: [[{ type: 'file', path: 'a', content: Buffer.from('a\n') }]] },
      { tag: 'b', layers: [[{ type: 'file', path: 'b', content: Buffer.from('b\n') }]] },
    ]);
    const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8'));
    const entries = index.manifests.map((m: { digest: string; annotations: Record<string, string> }) => {
      const manifest = JSON.parse(readFileSync(join(dir, 'blobs', 'sha256', m.digest.slice(7)), 'utf8'));
      const tag = m.annotations['org.opencontainers.image.ref.name'];
      return { Config: `blobs/sha256/${manifest.config.digest.slice(7)}`, RepoTags: tag === 'a' ? ['docker.io/library/a:1'] : null, Layers: manifest.layers.map((l: { digest: string }) => `blobs/sha256/${l.digest.slice(7)}`) };
    });
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(entries));
    index.manifests = index.manifests.filter((m: { annotations: Record<string, string> }) => m.annotations['org.opencontainers.image.ref.name'] === 'a');
    writeFileSync(join(dir, 'index.json'), JSON.stringify(index));
    const archive = join(work, 'd25.tar');
    await run('tar', ['-cf', archive, '-C', dir, '.']);
    const data = join(work, 'data-d25');
    const r = await cli(['scan', `docker-archive:${archive}`, '--data', data, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).images_stored).toBe(2);
    const refs = await queryDataset<{ tag: string | null }>(data, 'SELECT tag FROM image_refs ORDER BY tag NULLS LAST');
    expect(refs.map((x) => x.tag)).toEqual(['docker.io/library/a:1', null]);
  });
});

describe('oci: refs as skopeo writes them', () => {
  it('oci:DIR:nginx:latest is the ref name "nginx:latest" of DIR', async () => {
    const dir = join(work, 'skopeo-named');
    await run('skopeo', ['copy', '-q', `oci:${layout}:app`, `oci:${dir}:nginx:latest`]);
    const names = (JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as { manifests: { annotations: Record<string, string> }[] }).manifests.map((m) => m.annotations['org.opencontainers.image.ref.name']);
    expect(names).toEqual(['nginx:latest']);
    const data = join(work, 'data-skopeo-named');
    const r = await cli(['scan', `oci:${dir}:nginx:latest`, '--data', data, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).images_stored).toBe(1);
    const refs = await queryDataset<{ repository: string; tag: string }>(data, 'SELECT repository, tag FROM image_refs');
    expect(refs).toEqual([{ repository: dir, tag: 'nginx:latest' }]);
  });
});

/** Images pushed into a real registry for the registry tests; every expected value is read back independently. */
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildLayout, inspectRaw, push, putManifest, type TestRegistry } from '../../support/registry.js';

export const sha256 = (b: Uint8Array) => 'sha256:' + createHash('sha256').update(b).digest('hex');

export interface Fixture {
  /** Repository -> tags pushed. */
  pushed: Record<string, string[]>;
  /** The index put together by hand for multi/app:latest, as PUT. */
  indexBytes: Buffer;
  cleanup(): Promise<void>;
}

/**
 * Pushes: oci/app:1 (OCI, gzip), docker/app:1 (Docker v2s2), zstd/app:1 (OCI, zstd), multi/app:{amd64,arm64}
 * and multi/app:latest (an OCI index of both), tags/many:t1..t7 (three with old, distinct created dates, the
 * rest the same image), alpha/one:latest, alpha/two:latest, beta/three:latest.
 */
export async function pushFixture(registry: TestRegistry): Promise<Fixture> {
  const dir = await mkdtemp(join(tmpdir(), 'imgscan-fixture-'));
  const amd64 = await buildLayout(join(dir, 'amd64'), 'x', { files: [['/etc/os-release', '/etc/os-release'], ['/usr/bin/ls', '/bin/ls']], architecture: 'amd64' });
  const arm64 = await buildLayout(join(dir, 'arm64'), 'x', { files: [['/etc/hostname', '/etc/hostname'], ['/usr/bin/cat', '/bin/cat']], architecture: 'arm64' });
  const dated: string[] = [];
  for (const [i, created] of ['2020-01-01T00:00:00Z', '2022-06-01T00:00:00Z', '2021-03-01T00:00:00Z'].entries()) {
    dated.push(await buildLayout(join(dir, `dated${i}`), 'x', { files: [['/etc/os-release', `/etc/release-${i}`]], created }));
  }
  const h = registry.host;
  await push(amd64, `${h}/oci/app:1`, { format: 'oci' });
  await push(amd64, `${h}/docker/app:1`, { format: 'v2s2' });
  await push(amd64, `${h}/zstd/app:1`, { format: 'oci', compress: 'zstd' });
  await push(amd64, `${h}/multi/app:amd64`, { format: 'oci' });
  await push(arm64, `${h}/multi/app:arm64`, { format: 'oci' });
  const manifests = [];
  for (const [tag, arch] of [['amd64', 'amd64'], ['arm64', 'arm64']]) {
    const raw = await inspectRaw(`${h}/multi/app:${tag}`);
    manifests.push({ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sha256(raw), size: raw.length, platform: { os: 'linux', architecture: arch } });
  }
  const indexBytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests }));
  await putManifest(registry, 'multi/app', 'latest', indexBytes, 'application/vnd.oci.image.index.v1+json');
  for (const [i, layout] of dated.entries()) await push(layout, `${h}/tags/many:t${i + 1}`, { format: 'oci' });
  for (const t of ['t4', 't5', 't6', 't7']) await push(amd64, `${h}/tags/many:${t}`, { format: 'oci' });
  for (const repo of ['alpha/one', 'alpha/two', 'beta/three']) await push(amd64, `${h}/${repo}:latest`, { format: 'oci' });
  return {
    pushed: {
      'oci/app': ['1'],
      'docker/app': ['1'],
      'zstd/app': ['1'],
      'multi/app': ['amd64', 'arm64', 'latest'],
      'tags/many': ['t1', 't2', 't3', 't4', 't5', 't6', 't7'],
      'alpha/one': ['latest'],
      'alpha/two': ['latest'],
      'beta/three': ['latest'],
    },
    indexBytes,
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

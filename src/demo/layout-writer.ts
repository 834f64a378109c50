import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { MediaType } from '../oci/media-types.js';
import type { Descriptor, ImageConfig, Manifest } from '../oci/types.js';

/** One tar entry of a layer to write. */
export type LayerEntry =
  | { type: 'file'; path: string; from?: string; content?: Buffer; mode?: number }
  | { type: 'dir'; path: string }
  | { type: 'symlink'; path: string; target: string }
  | { type: 'hardlink'; path: string; target: string };

export interface ImageSpec {
  tag: string;
  layers: LayerEntry[][];
  /** The build instruction of each layer (the config's history; none when absent). */
  steps?: string[];
  /** The config's created time (default 2024-01-01). */
  created?: string;
}

interface Blob {
  descriptor: Descriptor;
  diffId: string;
}

function writeBlob(dir: string, bytes: Buffer, mediaType: string): Descriptor {
  const hex = createHash('sha256').update(bytes).digest('hex');
  writeFileSync(join(dir, 'blobs', 'sha256', hex), bytes);
  return { mediaType, digest: `sha256:${hex}`, size: bytes.length };
}

async function layerBlob(dir: string, entries: LayerEntry[]): Promise<Blob> {
  const pack = tar.pack();
  const raw: Buffer[] = [];
  const finished = (async () => {
    for await (const chunk of pack) raw.push(chunk as Buffer);
  })();
  const mtime = new Date('2024-01-01T00:00:00Z');
  for (const e of entries) {
    if (e.type === 'file') {
      const content = e.content ?? (await readFile(e.from!));
      await new Promise<void>((res, rej) => pack.entry({ name: e.path, mode: e.mode ?? 0o644, mtime, size: content.length }, content, (err) => (err ? rej(err) : res())));
    } else if (e.type === 'dir') {
      pack.entry({ name: e.path, type: 'directory', mode: 0o755, mtime });
    } else {
      pack.entry({ name: e.path, type: e.type === 'symlink' ? 'symlink' : 'link', linkname: e.target, mtime });
    }
  }
  pack.finalize();
  await finished;
  const tarBytes = Buffer.concat(raw);
  const descriptor = writeBlob(dir, gzipSync(tarBytes, { level: 6 }), MediaType.ociLayerGzip);
  return { descriptor, diffId: `sha256:${createHash('sha256').update(tarBytes).digest('hex')}` };
}

/** Writes an OCI image layout holding the given images (gzip layers; identical layers are stored once). */
export async function writeOciLayout(dir: string, images: ImageSpec[]): Promise<void> {
  mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  const index: Descriptor[] = [];
  for (const image of images) {
    const layers: Blob[] = [];
    for (const entries of image.layers) layers.push(await layerBlob(dir, entries));
    const config: ImageConfig = {
      architecture: 'amd64',
      os: 'linux',
      created: image.created ?? '2024-01-01T00:00:00Z',
      ...(image.steps ? { history: image.steps.map((created_by) => ({ created: image.created, created_by })) } : {}),
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
      config: {},
    };
    const configDesc = writeBlob(dir, Buffer.from(JSON.stringify(config)), MediaType.ociConfig);
    const manifest: Manifest = { schemaVersion: 2, mediaType: MediaType.ociManifest, config: configDesc, layers: layers.map((l) => l.descriptor) };
    const manifestDesc = writeBlob(dir, Buffer.from(JSON.stringify(manifest)), MediaType.ociManifest);
    index.push({ ...manifestDesc, annotations: { 'org.opencontainers.image.ref.name': image.tag } });
  }
  writeFileSync(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: index }));
}

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface CorpusLayer {
  name: string;
  compression: 'gzip' | 'zstd';
  blob: string;
  tarBytes: number;
  /** The blob's digest and size and the tar's digest (diff_id), as a manifest and a config list them. */
  digest: string;
  size: number;
  diffId: string;
}

function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/**
 * A realistic corpus: layers made of this machine's own /usr trees (ELF binaries, libraries, docs, locales),
 * gzip and zstd compressed with the system tools, in an OCI layout at `dir/layout` (tag `bench`).
 */
export function buildCorpus(dir: string, trees: { name: string; paths: string[]; compression: 'gzip' | 'zstd'; recursive?: boolean }[]): CorpusLayer[] {
  const blobs = join(dir, 'layout', 'blobs', 'sha256');
  mkdirSync(blobs, { recursive: true });
  const layers: CorpusLayer[] = [];
  for (const tree of trees) {
    const tarFile = join(dir, `${tree.name}.tar`);
    const blob = join(dir, `${tree.name}.tar.${tree.compression === 'gzip' ? 'gz' : 'zst'}`);
    const paths = tree.paths.filter(existsSync);
    if (!existsSync(blob)) {
      // Without recursion, `paths` lists every entry of the layer (directories before their contents).
      const list = `${tarFile}.list`;
      writeFileSync(list, paths.join('\n') + '\n');
      execFileSync('tar', ['-cf', tarFile, '--ignore-failed-read', '--warning=no-file-changed', ...(tree.recursive === false ? ['--no-recursion'] : []), '-T', list], { stdio: ['ignore', 'ignore', 'ignore'] });
      rmSync(list);
      execFileSync(tree.compression === 'gzip' ? 'gzip' : 'zstd', tree.compression === 'gzip' ? ['-6', '-k', '-f', tarFile] : ['-3', '-q', '-f', tarFile, '-o', blob]);
      if (tree.compression === 'gzip') renameSync(`${tarFile}.gz`, blob);
      writeFileSync(`${blob}.diffid`, sha256File(tarFile) + ' ' + statSync(tarFile).size);
      execFileSync('rm', ['-f', tarFile]);
    }
    const [diffHex, tarSize] = readFileSync(`${blob}.diffid`, 'utf8').split(' ');
    const hex = sha256File(blob);
    const target = join(blobs, hex);
    if (!existsSync(target)) execFileSync('ln', ['-f', blob, target]);
    layers.push({ name: tree.name, compression: tree.compression, blob, tarBytes: Number(tarSize), digest: `sha256:${hex}`, size: statSync(blob).size, diffId: `sha256:${diffHex}` });
  }
  writeImages(dir, [{ tag: 'bench', layers }]);
  return layers;
}

/** Writes `dir/layout`'s index.json naming one image per tag, each made of the given layers (already in the layout). */
export function writeImages(dir: string, images: { tag: string; layers: CorpusLayer[] }[]): void {
  const blobs = join(dir, 'layout', 'blobs', 'sha256');
  const put = (obj: unknown) => {
    const bytes = Buffer.from(JSON.stringify(obj));
    const hex = createHash('sha256').update(bytes).digest('hex');
    writeFileSync(join(blobs, hex), bytes);
    return { digest: `sha256:${hex}`, size: bytes.length };
  };
  const manifests = images.map(({ tag, layers }) => {
    const config = put({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) } });
    const descriptors = layers.map((l) => ({ mediaType: `application/vnd.oci.image.layer.v1.tar+${l.compression}`, digest: l.digest, size: l.size }));
    const manifest = put({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config }, layers: descriptors });
    return { mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest, annotations: { 'org.opencontainers.image.ref.name': tag } };
  });
  writeFileSync(join(dir, 'layout', 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(join(dir, 'layout', 'index.json'), JSON.stringify({ schemaVersion: 2, manifests }));
}

/** docker-daemon: targets against a real dockerd: the same layers and files as a scan of the archive loaded into it. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, queryDataset, type CliRun } from '../../support/dataset.js';
import { startDockerd, type Dockerd } from '../../support/dockerd.js';
import { run } from '../../support/exec.js';
import { buildFixtures, type Fixtures } from '../../support/fixtures.js';
import { missingTools } from './setup.js';

const missing = await missingTools(['docker', 'dockerd']);

async function layerRows(dir: string) {
  const layers = await queryDataset(dir, 'SELECT layer_digest, diff_id, compression, tar_size, files_size, entry_count, file_count FROM layers ORDER BY layer_digest');
  const files = await queryDataset(dir, 'SELECT layer_digest, entry_index, path, entry_type, size, digest, mode, uid, gid, mtime, link_target FROM files ORDER BY layer_digest, entry_index');
  return { layers, files };
}

describe.skipIf(missing.length > 0)('imgscan crawl docker-daemon:', () => {
  let tmp: string;
  let fx: Fixtures;
  let dockerd: Dockerd;
  let archive: string;
  const tag = 'imgscan/app2:latest';

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'imgscan-crawl-daemon-'));
    [fx, dockerd] = await Promise.all([buildFixtures(join(tmp, 'fixtures')), startDockerd()]);
    // The fixtures' app1 archive cannot be loaded: its last layer holds one path twice, which dockerd refuses
    // ("ApplyLayer duplicates of file paths not supported"). app2 is written in the same classic form.
    archive = join(tmp, 'app2.docker.tar');
    await run('skopeo', ['copy', '-q', `oci:${fx.layouts.main.path}:app2`, `docker-archive:${archive}:${tag}`]);
    await run('docker', ['-H', dockerd.host, 'load', '-i', archive]);
  });
  afterAll(async () => {
    await dockerd?.stop();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  describe('docker-daemon:TAG and docker-daemon: against a scan of the loaded archive', () => {
    let expected: Awaited<ReturnType<typeof layerRows>>;
    let all: string;
    let every: CliRun;

    beforeAll(async () => {
      const scanned = join(tmp, 'scan');
      expect((await cli(['scan', `docker-archive:${archive}`, '--data', scanned, '--json'])).code).toBe(0);
      expected = await layerRows(scanned);
      // docker-daemon: alone takes every image of the daemon (here the one loaded), under every tag it has.
      await run('docker', ['-H', dockerd.host, 'tag', tag, 'imgscan/app2:second']);
      all = join(tmp, 'all');
      every = await cli(['crawl', 'docker-daemon:', '--data', all, '--json'], { DOCKER_HOST: dockerd.host });
    });

    it('the scan stores the layers of the image', () => {
      expect(expected.layers.map((l) => l.diff_id).sort()).toEqual([...new Set(fx.images.app2.diffIds)].sort());
    });

    it('a tag stores the image, its layers and files as the scan does', async () => {
      const crawled = join(tmp, 'crawl');
      const r = await cli(['crawl', `docker-daemon:${tag}`, '--data', crawled, '--json'], { DOCKER_HOST: dockerd.host });
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ images: 1, images_stored: 1, failures: 0 });
      expect(await layerRows(crawled)).toEqual(expected);
      const [image] = await queryDataset<{ config_digest: string }>(crawled, 'SELECT config_digest FROM images');
      expect(image!.config_digest).toBe(fx.images.app2.configDigest);
    });

    it('docker-daemon: alone takes every image of the daemon under every tag it has', async () => {
      expect(every.code, every.stderr).toBe(0);
      expect(await layerRows(all)).toEqual(expected);
      const refs = await queryDataset<{ registry: string; repository: string; tag: string }>(all, 'SELECT registry, repository, tag FROM image_refs ORDER BY tag');
      expect(refs).toEqual([
        { registry: 'docker-daemon', repository: 'imgscan/app2', tag: 'latest' },
        { registry: 'docker-daemon', repository: 'imgscan/app2', tag: 'second' },
      ]);
    });

    it('analyze --image finds a daemon image by one of its tags', async () => {
      const picked = await cli(['analyze', '--data', all, '--image', 'docker-daemon:imgscan/app2:second', '--json']);
      expect(picked.code, picked.stderr).toBe(0);
      expect(JSON.parse(picked.stdout).images).toHaveLength(1);
    });
  });

  it('an unreachable daemon is a failure of that target, and nothing else could be crawled: exit 1', async () => {
    const gone = await cli(['crawl', 'docker-daemon:nope', '--data', join(tmp, 'gone')], { DOCKER_HOST: `unix://${join(tmp, 'no.sock')}` });
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/docker save of nope failed.*SOURCE_NOT_FOUND/s);
  });
});

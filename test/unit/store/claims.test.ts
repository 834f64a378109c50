import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { claimName, Claims, claimsDirName } from '../../../src/store/claims.js';
import type { LayerRow } from '../../../src/model/rows.js';
import { DatasetWriter } from '../../../src/store/writer.js';

const work = mkdtempSync(join(tmpdir(), 'imgscan-claims-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function tmp(): string {
  return mkdtempSync(join(work, 'c-'));
}

/** A claim file as another process would leave it. */
function foreignClaim(dir: string, name: string, holder: { host: string; pid: number }): string {
  const path = join(dir, claimsDirName, name);
  writeFileSync(path, JSON.stringify({ writer: 'other', ...holder, at: Date.now() }));
  return path;
}

/** The pid of a process that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

function layerRow(digest: string, diffId: string): LayerRow {
  return { layer_digest: digest, diff_id: diffId, compression: 'none', compressed_size: 1, tar_size: 1, files_size: 0, sparse_hole_size: 0, entry_count: 0, file_count: 0, dir_count: 0, symlink_count: 0, hardlink_count: 0, char_count: 0, block_count: 0, fifo_count: 0, whiteout_count: 0, opaque_count: 0, chunker: null };
}

describe('Claims', () => {
  it('names claims after the digest, safe as a file name', () => {
    expect(claimName('layer', 'sha256:ab12')).toBe('layer-sha256-ab12');
    expect(claimName('image', 'sha512:/x')).toBe('image-sha512--x');
  });

  it('lets one writer hold a claim at a time, until it releases it', () => {
    const dir = tmp();
    const a = new Claims(dir, 'a');
    const b = new Claims(dir, 'b');
    try {
      expect(a.tryClaim('layer-x')).toBe(true);
      expect(a.tryClaim('layer-x')).toBe(true);
      expect(b.tryClaim('layer-x')).toBe(false);
      a.release('layer-x');
      expect(b.tryClaim('layer-x')).toBe(true);
      expect(a.tryClaim('layer-x')).toBe(false);
    } finally {
      a.close();
      b.close();
    }
    expect(readdirSync(join(dir, claimsDirName))).toEqual([]);
  });

  it('breaks a claim whose holder on this host has exited', () => {
    const dir = tmp();
    const c = new Claims(dir, 'c');
    try {
      foreignClaim(dir, 'layer-dead', { host: hostname(), pid: deadPid() });
      expect(c.tryClaim('layer-dead')).toBe(true);
    } finally {
      c.close();
    }
  });

  it('clears claims of writers that are gone when a writer opens, and keeps live ones', () => {
    const dir = tmp();
    new Claims(dir, 'first').close();
    foreignClaim(dir, 'layer-dead', { host: hostname(), pid: deadPid() });
    foreignClaim(dir, 'layer-mine', { host: hostname(), pid: process.pid });
    const remote = foreignClaim(dir, 'layer-remote', { host: 'some-other-host', pid: 1 });
    writeFileSync(join(dir, claimsDirName, 'layer-dead.waiting'), '');
    const c = new Claims(dir, 'c');
    try {
      // 'layer-mine' names this pid but a writer that is not open here: gone too.
      expect(readdirSync(join(dir, claimsDirName)).sort()).toEqual(['layer-dead.waiting', 'layer-remote']);
      expect(existsSync(remote)).toBe(true);
    } finally {
      c.close();
    }
  });

  it('respects a claim of a live process on this host, and breaks it once that process is gone', async () => {
    const dir = tmp();
    const c = new Claims(dir, 'c');
    const child = spawn('sleep', ['60']);
    try {
      foreignClaim(dir, 'layer-live', { host: hostname(), pid: child.pid! });
      expect(c.tryClaim('layer-live')).toBe(false);
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
      expect(c.tryClaim('layer-live')).toBe(true);
    } finally {
      child.kill('SIGKILL');
      c.close();
    }
  });

  it('treats a claim from another host as live while its heartbeat is recent', () => {
    const dir = tmp();
    const c = new Claims(dir, 'c');
    try {
      const path = foreignClaim(dir, 'layer-remote', { host: 'some-other-host', pid: 1 });
      expect(c.tryClaim('layer-remote')).toBe(false);
      const old = new Date(Date.now() - 10 * 60_000);
      utimesSync(path, old, old);
      expect(c.tryClaim('layer-remote')).toBe(true);
    } finally {
      c.close();
    }
  });

  it('waits for a release, and tells the holder that somebody waits', async () => {
    const dir = tmp();
    const a = new Claims(dir, 'a');
    const b = new Claims(dir, 'b');
    try {
      expect(a.tryClaim('layer-w')).toBe(true);
      expect(a.isWaitedOn('layer-w')).toBe(false);
      let polls = 0;
      let released = false;
      const waiting = b.waitForRelease('layer-w', async () => {
        polls++;
      }).then(() => {
        released = true;
      });
      await new Promise((r) => setTimeout(r, 500));
      expect(released).toBe(false);
      expect(polls).toBeGreaterThan(0);
      expect(a.isWaitedOn('layer-w')).toBe(true);
      a.release('layer-w');
      await waiting;
      expect(released).toBe(true);
      expect(existsSync(join(dir, claimsDirName, 'layer-w.waiting'))).toBe(false);
    } finally {
      a.close();
      b.close();
    }
  });
});

describe('DatasetWriter claims', () => {
  it('a second writer waits for the first to commit a layer, then sees it stored', async () => {
    const dir = tmp();
    const a = await DatasetWriter.open(dir);
    const b = await DatasetWriter.open(dir);
    try {
      expect(a.claimLayer('sha256:l1')).toBe(true);
      expect(b.claimLayer('sha256:l1')).toBe(false);
      a.beginLayer('sha256:l1');
      a.finishLayer(layerRow('sha256:l1', 'sha256:d1'));
      expect(a.wantsCommit()).toBe(false);
      let seen: string | undefined;
      const waiting = b.awaitLayer('sha256:l1').then(() => (seen = b.layerDiffId('sha256:l1')));
      await new Promise((r) => setTimeout(r, 400));
      expect(seen).toBeUndefined();
      expect(a.wantsCommit()).toBe(true);
      await a.commit();
      await waiting;
      expect(seen).toBe('sha256:d1');
      // Committed, the claim is free again; a writer opened now knows the layer without any claim.
      expect(b.claimLayer('sha256:l1')).toBe(true);
      b.releaseLayer('sha256:l1');
    } finally {
      a.close();
      b.close();
    }
  });

  it('refs staged for a stored image keep its claim until committed: a racing writer then sees them stored', async () => {
    const dir = tmp();
    const a = await DatasetWriter.open(dir);
    const b = await DatasetWriter.open(dir);
    const image = 'sha256:i3';
    const ref = (repository: string, index: string | null = null) => ({ registry: 'r.example', repository, tag: 'latest', manifest_digest: image, index_digest: index });
    try {
      // The image is stored with one ref.
      expect(a.claimImage(image)).toBe(true);
      a.add('images', [{ manifest_digest: image, media_type: 'application/vnd.oci.image.manifest.v1+json', config_digest: 'sha256:c3', os: 'linux', architecture: 'amd64', variant: null, created: null, layer_count: 0, schema1_converted: false }]);
      a.add('image_refs', [ref('first')]);
      await a.commit();
      // Writer a meets the image under a second name: it claims the image, stages the new ref and gives the
      // claim back, which stays held until the ref is committed.
      expect(a.claimImage(image)).toBe(true);
      await a.refresh();
      expect(a.hasRef(ref('second'))).toBe(false);
      a.add('image_refs', [ref('second')]);
      a.releaseImage(image);
      // Writer b meets the same name meanwhile: it may not decide yet.
      expect(b.claimImage(image)).toBe(false);
      await a.commit();
      expect(b.claimImage(image)).toBe(true);
      await b.refresh();
      expect(b.hasRef(ref('second'))).toBe(true);
      // A ref is all its columns: the same tag reached through an index is another ref.
      expect(b.hasRef(ref('second', 'sha256:x1'))).toBe(false);
      b.releaseImage(image);
    } finally {
      a.close();
      b.close();
    }
  });

  it('a ref staged while a commit is under way keeps the image claim past that commit, until its own', async () => {
    const dir = tmp();
    const a = await DatasetWriter.open(dir);
    const b = await DatasetWriter.open(dir);
    const image = 'sha256:i4';
    const ref = (repository: string) => ({ registry: 'r.example', repository, tag: 'latest', manifest_digest: image, index_digest: null });
    try {
      expect(a.claimImage(image)).toBe(true);
      a.add('images', [{ manifest_digest: image, media_type: 'application/vnd.oci.image.manifest.v1+json', config_digest: 'sha256:c4', os: 'linux', architecture: 'amd64', variant: null, created: null, layer_count: 0, schema1_converted: false }]);
      a.add('image_refs', [ref('first')]);
      // The commit of the image is under way (not awaited) when a second name of it is staged: that ref is held
      // back for the next batch, and the claim covering it must outlive this commit.
      const committing = a.commit();
      expect(a.claimImage(image)).toBe(true);
      a.add('image_refs', [ref('second')]);
      a.releaseImage(image);
      await committing;
      expect(b.claimImage(image)).toBe(false);
      await a.commit();
      expect(b.claimImage(image)).toBe(true);
      await b.refresh();
      expect(b.hasRef(ref('second'))).toBe(true);
      b.releaseImage(image);
    } finally {
      a.close();
      b.close();
    }
  });

  it('an aborted layer frees its claim at once, and closing frees the rest', async () => {
    const dir = tmp();
    const a = await DatasetWriter.open(dir);
    const b = await DatasetWriter.open(dir);
    try {
      expect(a.claimLayer('sha256:l2')).toBe(true);
      expect(a.claimImage('sha256:i2')).toBe(true);
      a.beginLayer('sha256:l2');
      await a.abortLayer('sha256:l2');
      expect(b.claimLayer('sha256:l2')).toBe(true);
      expect(b.claimImage('sha256:i2')).toBe(false);
      a.close();
      expect(b.claimImage('sha256:i2')).toBe(true);
    } finally {
      b.close();
    }
  });
});

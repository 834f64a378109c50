import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ImgscanError } from '../../../src/errors.js';
import type { ImageRefRow, ImageRow, LayerRow } from '../../../src/model/rows.js';
import { claimName } from '../../../src/store/claims.js';
import { claimsDirName } from '../../../src/store/layout.js';
import { type LayerLease, Ledger, type LayerTicket } from '../../../src/store/ledger.js';
import { DatasetWriter } from '../../../src/store/writer.js';

const work = mkdtempSync(join(tmpdir(), 'imgscan-ledger-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const open: DatasetWriter[] = [];
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
  for (const w of open.splice(0)) w.close();
});

/** Writers (with their ledgers) sharing one new data dir. */
async function writers(n: number): Promise<{ dir: string; w: DatasetWriter[]; l: Ledger[] }> {
  const dir = mkdtempSync(join(work, 'd-'));
  const w: DatasetWriter[] = [];
  for (let i = 0; i < n; i++) w.push(await DatasetWriter.open(dir));
  open.push(...w);
  return { dir, w, l: w.map((x) => Ledger.for(x)) };
}

function layerRow(digest: string, diffId: string): LayerRow {
  return { layer_digest: digest, diff_id: diffId, compression: 'none', compressed_size: 1, tar_size: 1, files_size: 0, sparse_hole_size: 0, entry_count: 0, file_count: 0, dir_count: 0, symlink_count: 0, hardlink_count: 0, char_count: 0, block_count: 0, fifo_count: 0, whiteout_count: 0, opaque_count: 0, chunker: null, sample_rate: null, metadata_gzip_size: null, metadata_zstd_size: null };
}

function imageRow(digest: string): ImageRow {
  return { manifest_digest: digest, media_type: 'application/vnd.oci.image.manifest.v1+json', config_digest: 'sha256:c', os: 'linux', architecture: 'amd64', variant: null, created: null, layer_count: 0, schema1_converted: false };
}

function ref(image: string, repository: string, index: string | null = null): ImageRefRow {
  return { registry: 'r.example', repository, tag: 'latest', manifest_digest: image, index_digest: index };
}

function claimed(dir: string, kind: 'layer' | 'image', digest: string): boolean {
  return existsSync(join(dir, claimsDirName, claimName(kind, digest)));
}

function lease(ticket: LayerTicket): LayerLease {
  if (ticket.state !== 'yours') throw new ImgscanError('INTERNAL', `expected the layer to be ours, it is ${ticket.state}`);
  return ticket.lease;
}

/** Whether `p` is still pending after `ms`. */
async function pendingAfter(p: Promise<unknown>, ms: number): Promise<boolean> {
  let settled = false;
  void p.then(
    () => (settled = true),
    () => (settled = true),
  );
  await new Promise((r) => setTimeout(r, ms));
  return !settled;
}

describe('Ledger: layers', () => {
  it('gives a layer to one writer; another waits, its wait makes the holder want a commit, then it gets the diff_id', async () => {
    const { dir, w, l } = await writers(2);
    const mine = lease(await l[0].acquireLayer('sha256:l1'));
    mine.begin();
    mine.finish(layerRow('sha256:l1', 'sha256:d1'));
    expect(l[0].wantsCommit()).toBe(false);
    const wanted = once(l[0], 'commit-wanted');
    const theirs = l[1].acquireLayer('sha256:l1');
    await wanted;
    expect(l[0].wantsCommit()).toBe(true);
    expect(await pendingAfter(theirs, 300)).toBe(true);
    await w[0].commit();
    expect(await theirs).toEqual({ state: 'stored', diffId: 'sha256:d1' });
    expect(claimed(dir, 'layer', 'sha256:l1')).toBe(false);
  });

  it('answers "stored" for a layer another writer committed since this one loaded the dataset, and leaves no claim', async () => {
    const { dir, w, l } = await writers(2);
    const mine = lease(await l[0].acquireLayer('sha256:l2'));
    mine.begin();
    mine.finish(layerRow('sha256:l2', 'sha256:d2'));
    await w[0].commit();
    expect(w[1].layerDiffId('sha256:l2')).toBeUndefined();
    expect(await l[1].acquireLayer('sha256:l2')).toEqual({ state: 'stored', diffId: 'sha256:d2' });
    expect(claimed(dir, 'layer', 'sha256:l2')).toBe(false);
  });

  it('keeps a finished layer claimed until the commit that publishes it', async () => {
    const { dir, w, l } = await writers(1);
    const mine = lease(await l[0].acquireLayer('sha256:l3'));
    mine.begin();
    mine.finish(layerRow('sha256:l3', 'sha256:d3'));
    expect(claimed(dir, 'layer', 'sha256:l3')).toBe(true);
    await w[0].commit();
    expect(claimed(dir, 'layer', 'sha256:l3')).toBe(false);
  });

  it('frees an aborted layer at once, and the rest when the writer closes', async () => {
    const { w, l } = await writers(2);
    const mine = lease(await l[0].acquireLayer('sha256:l4'));
    expect((await l[0].acquireImage('sha256:i4', [])).state).toBe('yours');
    mine.begin();
    await mine.abort();
    expect((await l[1].acquireLayer('sha256:l4')).state).toBe('yours');
    const image = l[1].acquireImage('sha256:i4', []);
    expect(await pendingAfter(image, 300)).toBe(true);
    open.splice(open.indexOf(w[0]), 1);
    w[0].close();
    expect((await image).state).toBe('yours');
  });

  it('stops between waits once its signal is aborted, with the reason', async () => {
    const { l } = await writers(2);
    lease(await l[0].acquireLayer('sha256:l5'));
    const stop = new AbortController();
    const reason = new ImgscanError('STORE', 'stopped');
    const waiting = l[1].acquireLayer('sha256:l5', stop.signal);
    stop.abort(reason);
    l[0].drop({ kind: 'layer', digest: 'sha256:l5' });
    await expect(waiting).rejects.toBe(reason);
  });

  it('lets two writers that wait for each other both go on when each commits on commit-wanted', async () => {
    const { w, l } = await writers(2);
    for (const [i, d] of ['sha256:a', 'sha256:b'].entries()) {
      const mine = lease(await l[i].acquireLayer(d));
      mine.begin();
      mine.finish(layerRow(d, `${d}-diff`));
      l[i].on('commit-wanted', () => void w[i].commit());
    }
    const [a, b] = await Promise.all([l[0].acquireLayer('sha256:b'), l[1].acquireLayer('sha256:a')]);
    expect(a).toEqual({ state: 'stored', diffId: 'sha256:b-diff' });
    expect(b).toEqual({ state: 'stored', diffId: 'sha256:a-diff' });
  });
});

describe('Ledger: images and their refs', () => {
  it('holds an image for two names of it taken at once by one writer until both are stored, past a commit between', async () => {
    const { dir, w, l } = await writers(2);
    // Writer 0 takes the image for two of its names; the first is stored and committed while the second is not yet.
    const first = await l[0].acquireImage('sha256:i9', [ref('sha256:i9', 'a')]);
    const second = await l[0].acquireImage('sha256:i9', [ref('sha256:i9', 'b')]);
    first.store({ images: imageRow('sha256:i9'), image_layers: [], image_history: [] });
    await w[0].commit();
    // The claim outlives that commit: writer 1, wanting the second name too, waits instead of adding it as well.
    expect(claimed(dir, 'image', 'sha256:i9')).toBe(true);
    const theirs = l[1].acquireImage('sha256:i9', [ref('sha256:i9', 'b')]);
    expect(await pendingAfter(theirs, 300)).toBe(true);
    second.store();
    await w[0].commit();
    const lease = await theirs;
    expect([lease.state, lease.newRefs]).toEqual(['stored', []]);
    lease.abort();
    expect(claimed(dir, 'image', 'sha256:i9')).toBe(false);
  });

  it('an image claim covers its refs: refs staged for a stored image keep it until committed, then a racing writer sees them', async () => {
    const { w, l } = await writers(2);
    const image = 'sha256:i1';
    const first = await l[0].acquireImage(image, [ref(image, 'first')]);
    expect(first.state).toBe('yours');
    expect(first.newRefs).toEqual([ref(image, 'first')]);
    first.store({ images: imageRow(image), image_layers: [], image_history: [] });
    await w[0].commit();
    // Met again under a second name: stored, only that ref is new; its claim outlives store() until the commit.
    const again = await l[0].acquireImage(image, [ref(image, 'first'), ref(image, 'second')]);
    expect(again.state).toBe('stored');
    expect(again.newRefs).toEqual([ref(image, 'second')]);
    again.store();
    const racing = l[1].acquireImage(image, [ref(image, 'second'), ref(image, 'second', 'sha256:x1')]);
    expect(await pendingAfter(racing, 300)).toBe(true);
    await w[0].commit();
    const seen = await racing;
    expect(seen.state).toBe('stored');
    // A ref is all its columns: the same tag reached through an index is another ref.
    expect(seen.newRefs).toEqual([ref(image, 'second', 'sha256:x1')]);
    seen.abort();
  });

  it('a ref staged while a commit is under way keeps the image claimed past that commit, until its own', async () => {
    const { dir, w, l } = await writers(2);
    const image = 'sha256:i2';
    (await l[0].acquireImage(image, [ref(image, 'first')])).store({ images: imageRow(image), image_layers: [], image_history: [] });
    const committing = w[0].commit();
    const again = await l[0].acquireImage(image, [ref(image, 'second')]);
    again.store();
    await committing;
    expect(claimed(dir, 'image', image)).toBe(true);
    const racing = l[1].acquireImage(image, [ref(image, 'second')]);
    expect(await pendingAfter(racing, 300)).toBe(true);
    await w[0].commit();
    expect((await racing).newRefs).toEqual([]);
  });

  it('gives an image claim up at once when nothing was stored', async () => {
    const { dir, l } = await writers(1);
    const mine = await l[0].acquireImage('sha256:i3', []);
    expect(claimed(dir, 'image', 'sha256:i3')).toBe(true);
    mine.abort();
    expect(claimed(dir, 'image', 'sha256:i3')).toBe(false);
  });
});

const dist = (module: string) => fileURLToPath(new URL(`../../../dist/src/store/${module}.js`, import.meta.url));

/**
 * A writer in another process that takes `digest` and stages it, says "held", and commits when the ledger says
 * another writer waits (or never, with `commit` false).
 */
async function otherProcess(dir: string, digest: string, commit: boolean): Promise<ChildProcess> {
  const script = `
    const { DatasetWriter } = await import(${JSON.stringify(dist('writer'))});
    const { Ledger } = await import(${JSON.stringify(dist('ledger'))});
    const row = ${JSON.stringify(layerRow(digest, `${digest}-diff`))};
    const writer = await DatasetWriter.open(${JSON.stringify(dir)});
    const ledger = Ledger.for(writer);
    const ticket = await ledger.acquireLayer(row.layer_digest);
    ticket.lease.begin();
    ticket.lease.finish(row);
    if (${commit}) ledger.on('commit-wanted', async () => { await writer.commit(); writer.close(); process.exit(0); });
    setInterval(() => undefined, 1000);
    process.stdout.write('held\\n');`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  const [line] = (await Promise.race([once(child.stdout!, 'data'), once(child, 'exit')])) as [Buffer | number];
  expect(String(line).trim()).toBe('held');
  return child;
}

describe('Ledger across processes', () => {
  it('a writer in another process commits when this one waits for its layer', async () => {
    const { dir, l } = await writers(1);
    const child = await otherProcess(dir, 'sha256:p1', true);
    const exited = once(child, 'exit');
    expect(await l[0].acquireLayer('sha256:p1')).toEqual({ state: 'stored', diffId: 'sha256:p1-diff' });
    expect((await exited)[0]).toBe(0);
    expect(readdirSync(join(dir, claimsDirName))).toEqual([]);
  }, 20_000);

  it('breaks the claim of a writer that died holding it: the waiter gets the layer to read', async () => {
    const { dir, l } = await writers(1);
    const child = await otherProcess(dir, 'sha256:p2', false);
    const waiting = l[0].acquireLayer('sha256:p2');
    expect(await pendingAfter(waiting, 500)).toBe(true);
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
    expect((await waiting).state).toBe('yours');
    expect(claimed(dir, 'layer', 'sha256:p2')).toBe(true);
  }, 20_000);
});

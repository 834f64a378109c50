/**
 * The ledger: which writer of a data dir reads each layer and stores each image (docs/ledger.md has the
 * protocol, with a sequence diagram). `acquireLayer` answers "stored, here is its diff_id" or "yours: read it,
 * then finish or abort"; `acquireImage` answers "stored, these refs are new" or "yours to store", both held until
 * `store` or `abort`. Acquiring waits, as long as it takes, for another writer's claim to end. A claim ends when
 * the commit that publishes its rows does (the writer's `committed` event) or when the work is dropped.
 * When another writer waits for something staged here, the ledger emits `commit-wanted`: the one listening
 * commits then, so that two writers never wait for each other. The writer stays unaware of claims.
 */
import { EventEmitter } from 'node:events';
import { Claims, claimName } from './claims.js';
import type { ImageHistoryRow, ImageLayerRow, ImageRefRow, ImageRow, LayerRow } from '../model/rows.js';
import type { DatasetWriter, StagedKey } from './writer.js';

/** How often staged work is checked for writers waiting on it, besides while this one waits (ms). */
const wantedCheckMs = 1000;

export type LayerTicket = { state: 'stored'; diffId: string } | { state: 'yours'; lease: LayerLease };

interface LedgerEvents {
  'commit-wanted': [];
}

/** One ledger per writer: made with the first `Ledger.for`, closed with the writer. */
const ledgers = new WeakMap<DatasetWriter, Ledger>();

export class Ledger extends EventEmitter<LedgerEvents> {
  private readonly claims: Claims;
  private readonly timer: NodeJS.Timeout;
  /**
   * Image leases in progress here, per image: a claim is this writer's, so two tasks of it may hold one image at
   * once (two names of one image). The claim must outlive both: released by a commit while the second has not
   * staged its refs yet, another writer would take it, miss those refs and add them too.
   */
  private readonly imageLeases = new Map<string, number>();

  private constructor(readonly writer: DatasetWriter) {
    super();
    this.claims = new Claims(writer.dataDir, writer.writerId);
    this.timer = setInterval(() => this.checkWanted(), wantedCheckMs);
    this.timer.unref();
    writer.on('committed', this.onCommitted);
    writer.once('closed', () => this.close());
  }

  /** The ledger of `writer`. */
  static for(writer: DatasetWriter): Ledger {
    let ledger = ledgers.get(writer);
    if (!ledger) ledgers.set(writer, (ledger = new Ledger(writer)));
    return ledger;
  }

  /**
   * The layer stored (here or by another writer: its diff_id), or a lease to read it. Waits while another writer
   * holds the layer; `signal` stops the wait loop between waits (with its reason).
   */
  async acquireLayer(digest: string, signal?: AbortSignal): Promise<LayerTicket> {
    const known = this.writer.layerDiffId(digest);
    if (known) return { state: 'stored', diffId: known };
    for (;;) {
      signal?.throwIfAborted();
      if (this.claims.tryClaim(claimName('layer', digest))) {
        await this.writer.refresh();
        const diffId = this.writer.layerDiffId(digest);
        if (!diffId) return { state: 'yours', lease: new LayerLease(this, digest) };
        this.release({ kind: 'layer', digest });
        return { state: 'stored', diffId };
      }
      await this.waitFor({ kind: 'layer', digest });
      const diffId = this.writer.layerDiffId(digest);
      if (diffId) return { state: 'stored', diffId };
    }
  }

  /**
   * The image claimed for this writer, with the refs of `refs` that are new to the dataset. The claim covers the
   * image and its refs: held, every ref stored by others is visible, so each new ref is added once however many
   * writers race.
   */
  async acquireImage(digest: string, refs: ImageRefRow[]): Promise<ImageLease> {
    while (!this.claims.tryClaim(claimName('image', digest))) await this.waitFor({ kind: 'image', digest });
    this.imageLeases.set(digest, (this.imageLeases.get(digest) ?? 0) + 1);
    try {
      await this.writer.refresh();
    } catch (err) {
      this.endImageLease(digest);
      throw err;
    }
    const newRefs = refs.filter((r) => !this.writer.hasRef(r));
    return new ImageLease(this, digest, this.writer.hasImage(digest) ? 'stored' : 'yours', newRefs);
  }

  /** True when another writer waits for a layer or image staged here: commit now rather than on schedule. */
  wantsCommit(): boolean {
    for (const key of this.writer.stagedKeys()) if (this.claims.isWaitedOn(claimName(key.kind, key.digest))) return true;
    return false;
  }

  /** Gives up a claim: not while rows it covers are staged here (the commit that publishes them ends it). */
  release(key: StagedKey): void {
    if (!this.writer.isStaged(key.kind, key.digest) && !this.leased(key)) this.claims.release(claimName(key.kind, key.digest));
  }

  /** Ends one image lease of this writer; the claim goes when none is left and nothing of it is staged. */
  endImageLease(digest: string): void {
    const n = (this.imageLeases.get(digest) ?? 1) - 1;
    if (n > 0) this.imageLeases.set(digest, n);
    else this.imageLeases.delete(digest);
    this.release({ kind: 'image', digest });
  }

  private leased(key: StagedKey): boolean {
    return key.kind === 'image' && this.imageLeases.has(key.digest);
  }

  /** Gives up a claim whose work was dropped (its rows, if any, are gone from the staging). */
  drop(key: StagedKey): void {
    this.claims.release(claimName(key.kind, key.digest));
  }

  /** Waits for another writer's claim to end, then loads what it committed. */
  private async waitFor(key: StagedKey): Promise<void> {
    await this.claims.waitForRelease(claimName(key.kind, key.digest), async () => this.checkWanted());
    await this.writer.refresh();
  }

  private checkWanted(): void {
    if (this.wantsCommit()) this.emit('commit-wanted');
  }

  private readonly onCommitted = (keys: StagedKey[]): void => {
    for (const key of keys) if (!this.leased(key)) this.claims.release(claimName(key.kind, key.digest));
  };

  /** Releases every claim still held (rows not committed are dropped with the writer). */
  private close(): void {
    clearInterval(this.timer);
    this.writer.off('committed', this.onCommitted);
    this.claims.close();
    this.removeAllListeners();
    ledgers.delete(this.writer);
  }
}

/** A layer to read: `begin` before its rows are added, then `finish` with its row or `abort`. */
export class LayerLease {
  constructor(
    private readonly ledger: Ledger,
    readonly digest: string,
  ) {}

  /** Its rows, added from now on, stay out of commits until `finish` or `abort`. */
  begin(): void {
    this.ledger.writer.beginLayer(this.digest);
  }

  /** Stages the layer's row: the claim ends with the commit that publishes it. */
  finish(row: LayerRow): void {
    this.ledger.writer.finishLayer(row);
  }

  /** Drops its staged rows and ends the claim at once: another writer (or image) may read it. */
  async abort(): Promise<void> {
    try {
      await this.ledger.writer.abortLayer(this.digest);
    } finally {
      this.ledger.drop({ kind: 'layer', digest: this.digest });
    }
  }
}

/** An image claimed: 'stored' (only `newRefs` to add) or 'yours' (its rows to store once its layers are). */
export class ImageLease {
  constructor(
    private readonly ledger: Ledger,
    readonly digest: string,
    readonly state: 'stored' | 'yours',
    readonly newRefs: ImageRefRow[],
  ) {}

  /** Stages the image's rows (none for a stored image) and its new refs; the claim ends with their commit. */
  store(rows?: { images: ImageRow; image_layers: ImageLayerRow[]; image_history: ImageHistoryRow[] }): void {
    const writer = this.ledger.writer;
    try {
      if (rows) {
        writer.add('images', [rows.images]);
        writer.add('image_layers', rows.image_layers);
        writer.add('image_history', rows.image_history);
      }
      writer.add('image_refs', this.newRefs);
    } finally {
      this.ledger.endImageLease(this.digest);
    }
  }

  /** Gives the claim up without storing anything. */
  abort(): void {
    this.ledger.endImageLease(this.digest);
  }
}

import type { Ledger } from '../store/ledger.js';
import type { DatasetWriter } from '../store/writer.js';

/**
 * When staged rows are committed: once `rows` are staged or `ms` after the last commit, at once when another
 * writer waits for something staged here (the ledger's `commit-wanted`), and at the end of a scan. Commits run
 * one after another; after a failed one no other starts (the writer is broken: nothing more is stored).
 */
export class CommitScheduler {
  private last = Date.now();
  private chain: Promise<unknown> = Promise.resolve();
  /** The commit started for a waiting writer, while it runs: more requests meanwhile are covered by it. */
  private wanted: Promise<void> | undefined;

  constructor(
    private readonly writer: DatasetWriter,
    private readonly ledger: Ledger,
    private readonly limits: { rows: number; ms: number },
  ) {
    ledger.on('commit-wanted', this.onWanted);
  }

  /** Commits when enough rows are staged or enough time passed since the last commit, or when `force`. */
  async maybe(force = false): Promise<void> {
    if (!force && this.writer.pendingRows < this.limits.rows && Date.now() - this.last < this.limits.ms) return;
    this.last = Date.now();
    this.chain = this.chain.then(() => this.writer.commit());
    await this.chain;
  }

  /**
   * After a layer is staged: commits on schedule, or when another writer waits, or when no layer waits in
   * `queue` and another is still being read. A core is idle from then on, so what is staged is written while
   * the last layers finish, not after them (not for a few rows: parts would be tiny).
   */
  async afterLayer(queue: { size: number; pending: number }): Promise<void> {
    const tail = queue.size === 0 && queue.pending > 1 && this.writer.pendingRows >= this.limits.rows / 10;
    await this.maybe(this.ledger.wantsCommit() || tail);
  }

  /** Stops listening for waiting writers. */
  stop(): void {
    this.ledger.off('commit-wanted', this.onWanted);
  }

  /**
   * Publishes what finished, once the commits under way are done. A failure of it is thrown unless `failed()`:
   * after a failure, that failure is the one reported, not a later one.
   */
  async finish(failed: () => boolean): Promise<void> {
    this.stop();
    await this.chain.catch(() => undefined);
    await this.writer.commit().catch((err: unknown) => {
      if (!failed()) throw err;
    });
  }

  // A failed commit breaks the writer: the scan sees it as the writer's failure at its next row.
  private readonly onWanted = (): void => {
    this.wanted ??= this.maybe(true)
      .catch(() => undefined)
      .finally(() => (this.wanted = undefined));
  };
}

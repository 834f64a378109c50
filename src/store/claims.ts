import { closeSync, existsSync, linkSync, openSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { storeError } from './duckdb.js';
import { claimsDirName } from './layout.js';

/**
 * Claims coordinate writers that share a data dir (concurrent shards, or two scans of sources with layers in
 * common) so that each layer and each image is read by one of them.
 *
 *   DATA/_claims/<key>           held by one writer: {writer, host, pid, at}, linked into place whole
 *   DATA/_claims/<key>.waiting   another writer waits for it: the holder commits without delay
 *
 * A claim is released once the rows it covers are committed (or dropped after a failure). A waiter then
 * finds the rows in the dataset. A claim whose holder is gone (dead pid on this host, or no heartbeat for
 * `staleAfterMs` from another host) is broken by the next writer that wants it.
 */
const heartbeatMs = 30_000;
/** A holder file written aside before it is linked to its claim's name: `<key>.holder-<pid>-<writer>`. */
const holderSuffix = '.holder-';
const staleAfterMs = 5 * 60_000;
const pollMs = 200;

interface Holder {
  writer: string;
  host: string;
  pid: number;
  at: number;
}

/** A claim file name for a key such as a digest (`sha256:abc` becomes `layer-sha256-abc`). */
export function claimName(kind: 'layer' | 'image', digest: string): string {
  return `${kind}-${digest.replace(/[^A-Za-z0-9._-]/g, '-')}`;
}

/** Writers open in this process: a claim of this pid by a writer not in the set was left by a closed one. */
const liveWriters = new Set<string>();

export class Claims {
  private readonly dir: string;
  private readonly held = new Set<string>();
  private readonly timer: NodeJS.Timeout;

  constructor(dataDir: string, private readonly writer: string) {
    this.dir = join(dataDir, claimsDirName);
    mkdirSync(this.dir, { recursive: true });
    this.timer = setInterval(() => this.heartbeat(), heartbeatMs);
    this.timer.unref();
    liveWriters.add(writer);
    this.sweep();
  }

  /**
   * Removes what writers that are gone left behind (a writer killed between its commit and the release of its
   * claims leaves claims nobody will ask for again): their claims, and waiting markers of no claim.
   */
  private sweep(): void {
    const names = readdirSync(this.dir);
    for (const name of names) {
      if (name.includes(holderSuffix)) {
        this.sweepHolder(name);
        continue;
      }
      if (name.endsWith('.waiting') || name.includes('.broken-')) continue;
      const holder = this.readHolder(name);
      if (holder !== 'gone' && holder !== null && this.isStale(name, holder)) this.breakStale(name, holder);
    }
    for (const name of names) {
      if (!name.endsWith('.waiting') || existsSync(this.path(name.slice(0, -'.waiting'.length)))) continue;
      try {
        if (Date.now() - statSync(this.path(name)).mtimeMs > 60_000) rmSync(this.path(name), { force: true });
      } catch {
        // Removed meanwhile.
      }
    }
  }

  /** Removes a holder file left aside by a writer killed while it claimed (its pid gone from this host). */
  private sweepHolder(name: string): void {
    const pid = Number(name.slice(name.indexOf(holderSuffix) + holderSuffix.length).split('-')[0]);
    if (pid === process.pid) return;
    try {
      process.kill(pid, 0);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ESRCH') rmSync(this.path(name), { force: true });
    }
  }

  private path(name: string): string {
    return join(this.dir, name);
  }

  /** Takes the claim: true when this writer now holds it (or already did), false when another live writer does. */
  tryClaim(name: string): boolean {
    if (this.held.has(name)) return true;
    for (let attempt = 0; attempt < 3; attempt++) {
      if (this.create(name)) {
        this.held.add(name);
        return true;
      }
      const holder = this.readHolder(name);
      if (holder === 'gone') continue;
      if (!this.isStale(name, holder)) return false;
      this.breakStale(name, holder);
    }
    return false;
  }

  /**
   * Creates the claim whole: the holder is written to a file of its own, then linked to the claim's name, which
   * fails when the name exists. A writer killed at any point leaves either no claim or a complete one (with an
   * O_EXCL create and a write after it, a kill in between left an empty claim that read as "being written"
   * until it went stale minutes later); a leftover holder file is swept.
   */
  private create(name: string): boolean {
    const holder: Holder = { writer: this.writer, host: hostname(), pid: process.pid, at: Date.now() };
    const aside = this.path(`${name}${holderSuffix}${process.pid}-${this.writer}`);
    try {
      writeFileSync(aside, JSON.stringify(holder));
      linkSync(aside, this.path(name));
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw storeError(err, `cannot create claim ${name}`, this.dir);
    } finally {
      rmSync(aside, { force: true });
    }
  }

  /** The holder, 'gone' when the claim no longer exists, or null when it is unreadable (being written). */
  private readHolder(name: string): Holder | null | 'gone' {
    try {
      const text = readFileSync(this.path(name), 'utf8');
      return text ? (JSON.parse(text) as Holder) : null;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
      return null;
    }
  }

  private isStale(name: string, holder: Holder | null): boolean {
    if (holder && holder.host === hostname()) {
      if (holder.pid === process.pid) return !liveWriters.has(holder.writer);
      try {
        process.kill(holder.pid, 0);
      } catch (err) {
        return (err as NodeJS.ErrnoException).code === 'ESRCH';
      }
    }
    try {
      return Date.now() - statSync(this.path(name)).mtimeMs > staleAfterMs;
    } catch {
      return false;
    }
  }

  /**
   * Removes a stale claim. It is renamed aside first and checked: if another writer replaced it in between
   * (its holder differs from the stale one), it is put back.
   */
  private breakStale(name: string, stale: Holder | null): void {
    const aside = this.path(`${name}.broken-${this.writer}`);
    try {
      renameSync(this.path(name), aside);
    } catch {
      return;
    }
    const moved = (() => {
      try {
        return JSON.parse(readFileSync(aside, 'utf8')) as Holder;
      } catch {
        return null;
      }
    })();
    if (moved && stale && (moved.writer !== stale.writer || moved.at !== stale.at)) {
      try {
        linkSync(aside, this.path(name));
      } catch {
        // A third writer claimed it meanwhile: both read the layer, analyze counts it once.
      }
    }
    rmSync(aside, { force: true });
  }

  /** Releases a claim held by this writer (and its waiting marker). */
  release(name: string): void {
    if (!this.held.delete(name)) return;
    rmSync(this.path(name), { force: true });
    rmSync(this.path(`${name}.waiting`), { force: true });
  }

  /** True when another writer waits for this claim. */
  isWaitedOn(name: string): boolean {
    return this.held.has(name) && existsSync(this.path(`${name}.waiting`));
  }

  /**
   * Waits until the claim is released, or its holder is gone. Leaves a marker so the holder commits at once.
   * `poll` runs between checks (the ledger has its own waited-on work committed there, so that two writers
   * never wait for each other).
   */
  async waitForRelease(name: string, poll?: () => Promise<void>): Promise<void> {
    const marker = this.path(`${name}.waiting`);
    for (;;) {
      const holder = this.readHolder(name);
      if (holder === 'gone') {
        rmSync(marker, { force: true });
        return;
      }
      if (this.isStale(name, holder)) {
        this.breakStale(name, holder);
        rmSync(marker, { force: true });
        return;
      }
      try {
        // Renewed on every poll: another waiter may have removed it on its way out.
        closeSync(openSync(marker, 'a'));
      } catch {
        // Without the marker the holder still commits on its own schedule.
      }
      await poll?.();
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }

  private heartbeat(): void {
    const now = new Date();
    for (const name of this.held) {
      try {
        utimesSync(this.path(name), now, now);
      } catch {
        // Broken by another writer that judged it stale: it reads the layer too; nothing is lost.
      }
    }
  }

  /** Releases every claim still held (rows not committed are dropped with the writer). */
  close(): void {
    clearInterval(this.timer);
    for (const name of [...this.held]) this.release(name);
    liveWriters.delete(this.writer);
  }
}

import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { tableNames } from '../model/schema.js';

/**
 * The on-disk layout of a dataset and its commit protocol.
 *
 *   DATA/<table>/<batch>.parquet      committed parts, read with a glob
 *   DATA/_pending/<batch>/            a batch being written: <table>.parquet files, owner.json, then COMMIT
 *   DATA/_pending/.building-<host>-<pid>-<random>/   a batch directory being created (renamed to <batch>)
 *
 * A batch is committed once its COMMIT marker exists (written by an atomic rename); its parts are then moved
 * into place. Recovery rolls committed batches forward and drops uncommitted ones whose writer is gone, so a
 * writer killed at any point leaves either all of a batch's rows or none of them.
 */
export const pendingDirName = '_pending';
const commitMarker = 'COMMIT';
const ownerFile = 'owner.json';
const staleAfterMs = 6 * 3600_000;

export function partPath(dataDir: string, table: string, batch: string): string {
  return join(dataDir, table, `${batch}.parquet`);
}

export function pendingDir(dataDir: string, batch: string): string {
  return join(dataDir, pendingDirName, batch);
}

/**
 * Creates a pending batch directory with its owner file. The directory is built under a temporary name that
 * says who builds it (host and pid) and renamed into place, so a batch directory always names its owner and a
 * writer killed half-way leaves a temporary one that recovery can tell is abandoned.
 */
export function beginBatch(dataDir: string, batch: string): string {
  const dir = pendingDir(dataDir, batch);
  const temp = join(dataDir, pendingDirName, `${buildingPrefix}${hostTag()}-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    mkdirSync(temp, { recursive: true });
    writeFileSync(join(temp, ownerFile), JSON.stringify({ host: hostname(), pid: process.pid, started: Date.now() }));
    renameSync(temp, dir);
  } catch (err) {
    // A full disk, say: what was made is removed now, not left for recovery once this process is gone.
    rmSync(temp, { recursive: true, force: true });
    throw err;
  }
  return dir;
}

/** Prefix of a batch directory being created (see `beginBatch`). */
const buildingPrefix = '.building-';

/** This host's name as it may appear in a file name. */
function hostTag(): string {
  return hostname().replace(/[^A-Za-z0-9.]/g, '_');
}

function pidIsGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** A directory left half-built by `beginBatch`: abandoned when its builder on this host is gone, or long ago. */
function builderIsGone(root: string, name: string): boolean {
  const m = /^(.*)-(\d+)-[0-9a-f]+$/.exec(name.slice(buildingPrefix.length));
  if (m && m[1] === hostTag()) return Number(m[2]) !== process.pid && pidIsGone(Number(m[2]));
  return Date.now() - statSync(join(root, name)).mtimeMs > staleAfterMs;
}

/** Marks a pending batch committed, then moves its parts into place. */
export function commitBatch(dataDir: string, batch: string): void {
  const dir = pendingDir(dataDir, batch);
  writeFileSync(join(dir, `${commitMarker}.tmp`), batch);
  renameSync(join(dir, `${commitMarker}.tmp`), join(dir, commitMarker));
  rollForward(dataDir, batch);
}

function rollForward(dataDir: string, batch: string): void {
  const dir = pendingDir(dataDir, batch);
  for (const table of tableNames) {
    const from = join(dir, `${table}.parquet`);
    if (!existsSync(from)) continue;
    mkdirSync(join(dataDir, table), { recursive: true });
    try {
      renameSync(from, partPath(dataDir, table, batch));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  rmSync(dir, { recursive: true, force: true });
}

function ownerIsGone(dir: string): boolean {
  try {
    const owner = JSON.parse(readFileSync(join(dir, ownerFile), 'utf8')) as { host: string; pid: number; started: number };
    if (owner.host === hostname()) return owner.pid !== process.pid && pidIsGone(owner.pid);
    return Date.now() - owner.started > staleAfterMs;
  } catch {
    // No owner file: the writer died before writing it, or it is unreadable.
    return Date.now() - statSync(dir).mtimeMs > 60_000;
  }
}

/** Finishes committed batches and removes abandoned ones. Safe to run at any time, by any process. */
export function recoverDataset(dataDir: string): { rolledForward: number; dropped: number } {
  const root = join(dataDir, pendingDirName);
  let rolledForward = 0;
  let dropped = 0;
  if (!existsSync(root)) return { rolledForward, dropped };
  for (const batch of readdirSync(root)) {
    const dir = join(root, batch);
    if (batch.startsWith(buildingPrefix)) {
      if (builderIsGone(root, batch)) {
        rmSync(dir, { recursive: true, force: true });
        dropped++;
      }
      continue;
    }
    if (existsSync(join(dir, commitMarker))) {
      rollForward(dataDir, batch);
      rolledForward++;
    } else if (ownerIsGone(dir)) {
      rmSync(dir, { recursive: true, force: true });
      dropped++;
    }
  }
  return { rolledForward, dropped };
}

/** The committed Parquet parts of a table. */
export function listParts(dataDir: string, table: string): string[] {
  const dir = join(dataDir, table);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.parquet'))
    .sort()
    .map((f) => join(dir, f));
}

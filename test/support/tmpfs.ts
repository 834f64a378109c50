/**
 * A small real file system for disk-full tests: a tmpfs of a few MiB mounted on a fresh directory (needs root).
 * Where mounting is not permitted, a test outside CI skips with a loud warning; under CI=true it fails, as a
 * missing tool does (support/tools.ts).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inCi } from './tools.js';

export interface Tmpfs {
  dir: string;
  /** Changes the size (e.g. to make room again); the files stay. */
  resize(mib: number): void;
  unmount(): void;
}

export function mountTmpfs(mib: number): Tmpfs {
  const dir = mkdtempSync(join(tmpdir(), 'imgscan-tmpfs-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${mib}m`, 'tmpfs', dir], { stdio: 'pipe' });
  return {
    dir,
    resize: (size) => execFileSync('mount', ['-o', `remount,size=${size}m`, dir], { stdio: 'pipe' }),
    unmount() {
      execFileSync('umount', [dir], { stdio: 'pipe' });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Whether a tmpfs can be mounted here: false (with a warning) outside CI when not, throws under CI. */
export function canMountTmpfs(what: string): boolean {
  try {
    mountTmpfs(1).unmount();
    return true;
  } catch (err) {
    const message = `${what}: cannot mount a tmpfs (${(err as Error).message.split('\n')[0]})`;
    if (inCi()) throw new Error(`${message}. Under CI the disk-full tests must run (as root).`);
    console.warn(`\n!!! SKIPPING ${message} !!!\n`);
    return false;
  }
}

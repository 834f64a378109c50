import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { claimName, Claims } from '../../../src/store/claims.js';
import { claimsDirName } from '../../../src/store/layout.js';

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

describe('Claims', () => {
  it('names claims after the digest, safe as a file name', () => {
    expect(claimName('layer', 'sha256:ab12')).toBe('layer-sha256-ab12');
    expect(claimName('image', 'sha512:/x')).toBe('image-sha512--x');
  });

  it('writes a claim whole: its file holds the holder from the moment it exists, and nothing is left aside', () => {
    const dir = tmp();
    const a = new Claims(dir, 'a');
    try {
      expect(a.tryClaim('layer-whole')).toBe(true);
      expect(readdirSync(join(dir, claimsDirName))).toEqual(['layer-whole']);
      expect(JSON.parse(readFileSync(join(dir, claimsDirName, 'layer-whole'), 'utf8'))).toMatchObject({ writer: 'a', pid: process.pid });
    } finally {
      a.close();
    }
  });

  it('sweeps a holder file that a writer killed while claiming left aside, and the claim is free', () => {
    const dir = tmp();
    new Claims(dir, 'first').close();
    const aside = join(dir, claimsDirName, `layer-k.holder-${deadPid()}-gone`);
    writeFileSync(aside, JSON.stringify({ writer: 'gone' }));
    const b = new Claims(dir, 'b');
    try {
      expect(existsSync(aside)).toBe(false);
      expect(b.tryClaim('layer-k')).toBe(true);
    } finally {
      b.close();
    }
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

/**
 * The crawl against registries that cannot be reached or misbehave at the transport level: what the CLI prints,
 * its exit status, and that the rows of an earlier crawl in the same dataset stay as they were.
 */
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, dumpDataset } from '../../support/dataset.js';
import { missingTools, startWorld, type World } from './setup.js';

const missing = await missingTools();

/** A loopback port nothing listens on: bound by the system, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

function occurrences(text: string, needle: string): number {
  return text.split(needle).length - 1;
}

/** Every table but failures as it was, and the failures table grown by rows of the given code only. */
async function expectRowsKept(dir: string, before: Record<string, string[]>, code: string): Promise<Record<string, unknown>[]> {
  const after = await dumpDataset(dir);
  for (const table of Object.keys(before)) if (table !== 'failures') expect(after[table], table).toEqual(before[table]);
  const added = after.failures.filter((r) => !before.failures.includes(r)).map((r) => JSON.parse(r) as Record<string, unknown>);
  expect(added.length).toBeGreaterThan(0);
  for (const row of added) expect(row.code).toBe(code);
  return added;
}

describe.skipIf(missing.length > 0)('imgscan crawl at the transport level', () => {
  let world: World;
  let base: string;

  beforeAll(async () => {
    world = await startWorld();
    base = `${world.registry.host}/lib/base:latest`;
  });
  afterAll(async () => {
    await world?.stop();
  });

  /** A dataset holding one crawled image, and its rows. */
  async function seeded(name: string): Promise<{ dir: string; before: Record<string, string[]> }> {
    const dir = join(world.tmp, name);
    const seed = await cli(['crawl', base, '--data', dir, '--workers', '0', '--json']);
    expect(seed.code, seed.stderr).toBe(0);
    const before = await dumpDataset(dir);
    expect(before.layers.length).toBeGreaterThan(0);
    return { dir, before };
  }

  it('a closed port is one UNREACHABLE error naming the host, printed once, retried once at most, exit 1', async () => {
    const { dir, before } = await seeded('refused');
    const port = await closedPort();
    const started = Date.now();
    const run = await cli(['crawl', `127.0.0.1:${port}/x:y`, '--data', dir]);
    expect(run.code).toBe(1);
    const message = `registry not reachable at 127.0.0.1:${port}: connection refused`;
    expect(occurrences(run.stderr, message), run.stderr).toBe(1);
    expect(run.stderr).toContain('[UNREACHABLE]');
    // At most one short retry, and no progress line for a crawl that read nothing.
    expect(run.stderr.split('\n').filter((l) => l.includes('retry')).length).toBeLessThanOrEqual(1);
    expect(run.stderr).not.toMatch(/^images \d+/m);
    expect(Date.now() - started).toBeLessThan(15_000);
    const [row] = await expectRowsKept(dir, before, 'UNREACHABLE');
    expect(row).toMatchObject({ scope: 'image', target: `127.0.0.1:${port}/x:y`, message });

    const json = await cli(['crawl', `127.0.0.1:${port}/x:y`, '--data', dir, '--json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ error: { code: 'UNREACHABLE', message } });
    expect(occurrences(json.stderr + json.stdout, message)).toBeLessThanOrEqual(2);
  });

  it('port 1, which fetch refuses, is named once with another port suggested, not retried, exit 1', async () => {
    const { dir, before } = await seeded('blocked');
    const run = await cli(['crawl', '127.0.0.1:1/x:y', '--data', dir]);
    expect(run.code).toBe(1);
    const message = 'fetch refuses to connect to port 1 (127.0.0.1:1): it is one of the ports browsers block; run the registry on another port, e.g. 5000';
    expect(occurrences(run.stderr, message), run.stderr).toBe(1);
    expect(run.stderr).not.toContain('retry');
    expect(run.stderr).not.toContain('bad port');
    await expectRowsKept(dir, before, 'UNREACHABLE');
  });
});

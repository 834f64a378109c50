/** kill -9 at several points of a crawl, then the same command again: the dataset of a clean crawl, no layer read twice. */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, datasetRows, queryDataset, repoRoot } from '../../support/dataset.js';
import { startFaultProxy, type FaultProxy } from '../../support/fault-proxy.js';
import { expectedCrawl, missingTools, startSlowProxy, startWorld, type SlowProxy, type World } from './setup.js';

const missing = await missingTools();

/** Starts the CLI and kills it with SIGKILL as soon as `when()` holds (polled every 10 ms); resolves with how it ended. */
function killWhen(args: string[], when: () => boolean): Promise<{ code: number | null; signal: string | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(repoRoot, 'bin', 'run.js'), ...args], { stdio: 'ignore' });
    const timer = setInterval(() => {
      if (when()) child.kill('SIGKILL');
    }, 10);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearInterval(timer);
      resolve({ code, signal });
    });
  });
}

describe.skipIf(missing.length > 0)('imgscan crawl resumed after kill -9', () => {
  let world: World;
  let counter: FaultProxy;
  let slow: SlowProxy;

  beforeAll(async () => {
    world = await startWorld();
    counter = await startFaultProxy(world.registry.url);
    slow = await startSlowProxy(counter.url, 0);
  });
  afterAll(async () => {
    await slow?.stop();
    await counter?.stop();
    await world?.stop();
  });

  it('ends with the clean dataset, and layers committed before the kill are not fetched again', async () => {
    // One layer at a time, a batch published after every layer, each blob held back 250 ms.
    const args = (data: string) => ['crawl', slow.host, '--tags', 'all', '--platform', 'all', '--page-size', '2', '--workers', '1', '--blob-concurrency', '1', '--commit-seconds', '0', '--data', data, '--json'];
    const cleanDir = join(world.tmp, 'clean');
    expect((await cli(args(cleanDir))).code).toBe(0);
    const clean = await datasetRows(cleanDir);
    const expected = await expectedCrawl(world.registry, world.pushed, { host: slow.host });
    expect(clean.layers).toHaveLength(expected.layers.length);

    // Kill points: at the first catalog request, and once the k-th layer GET reached the registry (layers are
    // read one at a time and each blob is held back 250 ms, so the earlier ones are committed by then).
    slow.delayMs = 250;
    const layerGets = () => expected.layers.filter((l) => counter.blobGets.has(l)).length;
    const points: [string, () => boolean][] = [
      ['catalog', () => counter.requests.some((r) => r.includes('/_catalog'))],
      ...[2, 4, 6, 8].map((k): [string, () => boolean] => [`layer GET ${k}`, () => layerGets() >= k]),
    ];
    const partial: number[] = [];
    for (const [name, when] of points) {
      const data = join(world.tmp, `killed-${partial.length}`);
      counter.blobGets.clear();
      counter.requests.length = 0;
      const killed = await killWhen(args(data), when);
      expect(killed.signal, `finished before the kill point "${name}"`).toBe('SIGKILL');
      const committed = (await queryDataset<{ d: string }>(data, 'SELECT DISTINCT layer_digest AS d FROM layers')).map((r) => r.d);
      partial.push(committed.length);
      counter.blobGets.clear();
      const resumed = await cli(args(data));
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(await datasetRows(data), `killed at ${name}`).toEqual(clean);
      for (const layer of committed) expect(counter.blobGets.get(layer) ?? 0, `${layer} fetched again after the kill at ${name}`).toBe(0);
      for (const layer of expected.layers.filter((l) => !committed.includes(l))) expect(counter.blobGets.get(layer)).toBe(1);
    }
    console.info(`crawl resume: layers committed at each kill: ${JSON.stringify(partial)} of ${expected.layers.length}`);
    // The kills fell at different points: before anything was committed, and with part of the layers committed.
    expect(partial.some((n) => n > 0 && n < expected.layers.length), JSON.stringify(partial)).toBe(true);
    expect(new Set(partial).size, JSON.stringify(partial)).toBeGreaterThan(2);
  });
});

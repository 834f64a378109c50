import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnalysisDb, defaultAnalysisMemory } from '../../../src/analysis/db.js';
import { randomDataset, writeRows } from './build.js';

const dir = mkdtempSync(join(tmpdir(), 'imgscan-memory-'));
beforeAll(() => writeRows(dir, randomDataset(1, 4, 3)));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** DuckDB's memory_limit of a session, in MiB (it prints e.g. "1.5 GiB" or "64.0 MiB"). */
async function limitMiB(memory?: number): Promise<number> {
  const a = await AnalysisDb.open([dir], undefined, memory);
  try {
    const [r] = await a.rows<{ v: string }>("SELECT current_setting('memory_limit') AS v");
    const [, n, unit] = /^([\d.]+) (\w+)$/.exec(r.v)!;
    return Number(n) * ({ KiB: 1 / 1024, MiB: 1, GiB: 1024 } as Record<string, number>)[unit];
  } finally {
    await a.close();
  }
}

describe('analysis memory', () => {
  it('limits the database to 1.5 GiB by default', async () => {
    expect(await limitMiB()).toBeCloseTo(defaultAnalysisMemory / 2 ** 20, 0);
  });

  it('limits it to what is asked', async () => {
    expect(await limitMiB(64 * 2 ** 20)).toBeCloseTo(64, 0);
  });
});

/**
 * Build-step attribution over seeded random datasets with image histories (some with empty config steps, some
 * that do not line up with their layers), written through the real DatasetWriter, against plain loops.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildStepFigures } from '../../../src/analysis/build-steps.js';
import { AnalysisDb } from '../../../src/analysis/db.js';
import { prng, randomDataset, writeRows } from './build.js';
import { instructionOf, referenceBuild } from './reference-build.js';
import type { RefDataset } from './reference-model.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const instructions = ['/bin/sh -c apt-get update && apt-get install -y  curl', '/bin/sh -c #(nop) COPY file:3f2a in /app', 'RUN pip install -r requirements.txt', 'ADD rootfs.tar.xz /', null];

function withHistory(seed: number): RefDataset {
  const ds = randomDataset(seed, 16, 14);
  const rnd = prng(seed * 13 + 5);
  for (const img of ds.images) {
    const history: { created_by: string | null; empty_layer: boolean }[] = [];
    for (const _ of img.layers) {
      if (rnd() < 0.3) history.push({ created_by: '/bin/sh -c #(nop)  ENV A=b', empty_layer: true });
      history.push({ created_by: instructions[Math.floor(rnd() * instructions.length)], empty_layer: false });
    }
    // Now and then a history that does not line up: a layer made without a step.
    img.history = rnd() < 0.2 ? history.slice(1) : history;
  }
  return ds;
}

async function measured(ds: RefDataset, top: number) {
  const dir = mkdtempSync(join(tmpdir(), 'imgscan-build-'));
  dirs.push(dir);
  await writeRows(dir, ds);
  const a = await AnalysisDb.open([dir]);
  try {
    return await buildStepFigures(a, top);
  } finally {
    await a.close();
  }
}

describe('build steps', () => {
  for (const seed of [1, 2, 3]) {
    it(`attribute bytes, content waste and path waste as plain loops do (seed ${seed})`, async () => {
      const ds = withHistory(seed);
      const expected = referenceBuild(ds, 3);
      expect(expected.by_bytes.length).toBeGreaterThan(1);
      expect(expected.by_path_waste[0]!.path_waste).toBeGreaterThan(0);
      expect(await measured(ds, 3)).toEqual(expected);
    });
  }

  it('shows an instruction without the shell prefix Docker adds and with one space between words', () => {
    expect(instructionOf('/bin/sh -c #(nop)  COPY  file:3f2a in /app ')).toBe('COPY file:3f2a in /app');
    expect(instructionOf('/bin/sh -c apt-get update &&\tapt-get install -y  curl')).toBe('apt-get update && apt-get install -y curl');
  });

  it('attributes nothing without histories', async () => {
    expect(await measured(randomDataset(4, 6, 5), 3)).toEqual({ images_with_steps: 0, by_bytes: [], by_content_waste: [], by_path_waste: [] });
  });
});

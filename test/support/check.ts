/**
 * What `imgscan check` must measure for an image, computed independently from its layer blobs (gzip / tar / b3sum
 * via expected.ts, path waste by the in-memory overlay of the reference model), and gate configs set on either
 * side of those figures. Shared by the check tests of every source.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { CliRun } from './dataset.js';
import { expectedContentWaste, expectedLayer } from './expected.js';
import { validateAgainst } from './json-schema.js';
import { referencePathWaste } from '../unit/analysis/reference-model.js';

/** The figures a gate judges for one image. */
export interface CheckFigures {
  layers: number;
  files_size: number;
  path_waste: number;
  content_waste: number;
  image_efficiency: number;
}

/** The figures of the image made of these layer blobs (manifest order, base first). */
export async function checkFigures(blobs: readonly string[]): Promise<CheckFigures> {
  const layers = [];
  for (const blob of blobs) layers.push(await expectedLayer(blob));
  const files = layers.flatMap((l) => l.entries.filter((e) => e.entry_type === 'file'));
  const files_size = files.reduce((n, e) => n + e.size, 0);
  const path_waste = referencePathWaste(
    layers.map((l) => ({ ...l, chunker: null, entries: l.entries.map((e) => ({ entry_index: e.entry_index, path: e.path, entry_type: e.entry_type, size: e.size, digest: e.digest, file_class: null })) })),
  );
  return { layers: layers.length, files_size, path_waste, content_waste: expectedContentWaste(layers), image_efficiency: 1 - path_waste / files_size };
}

/** A config file `name` in `dir`; returns its path. */
export function writeConfig(dir: string, name: string, text: string): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, name), text);
  return join(dir, name);
}

/** The rules set at the image's figures (limits are inclusive: all pass), or just past them (all fail). */
export function rulesAt(want: CheckFigures, edge: 'at' | 'past'): string {
  const d = edge === 'at' ? 0 : 1;
  return [
    'rules:',
    // The efficiency is a quotient: computed in SQL and here, it may differ in its last bit, hence the 1e-12.
    `  min_image_efficiency: ${edge === 'at' ? want.image_efficiency - 1e-12 : Math.min(1, want.image_efficiency + 1e-9)}`,
    `  max_path_waste: ${want.path_waste - d}`,
    `  max_content_waste: ${((want.content_waste / want.files_size) * 100 * (edge === 'at' ? 1.000001 : 0.999999)).toFixed(12)}%`,
    `  max_layers: ${want.layers - d}`,
  ].join('\n');
}

/** The JSON output of a check run, validated against schemas/check.schema.json. */
export function checksOf(run: CliRun) {
  const out = JSON.parse(run.stdout);
  expect(validateAgainst('check', out)).toEqual([]);
  return out;
}

/** One judged image of a check's JSON whose every rule failed just past its figures: the figures and each rule's value. */
export function expectFailedAtFigures(i: { layer_refs: number; files_size: number; path_waste: number; content_waste: number; image_efficiency: number; checks: { rule: string; value: number; passed: boolean }[] }, want: CheckFigures): void {
  expect([i.layer_refs, i.files_size, i.path_waste, i.content_waste]).toEqual([want.layers, want.files_size, want.path_waste, want.content_waste]);
  expect(i.image_efficiency).toBeCloseTo(want.image_efficiency, 12);
  const value = Object.fromEntries(i.checks.map((c) => [c.rule, c.value]));
  expect(value.max_path_waste).toBe(want.path_waste);
  expect(value.max_content_waste_fraction).toBeCloseTo(want.content_waste / want.files_size, 12);
  expect(value.max_layers).toBe(want.layers);
  expect(i.checks.every((c) => !c.passed)).toBe(true);
}

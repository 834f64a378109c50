/**
 * The repository stands alone: a user's clone has no folder beside it, so nothing in it (code, tests, docs,
 * notebooks, schemas, links) may read or point at one. The patterns are built from parts so that this file
 * does not match itself.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const skip = new Set(['node_modules', 'dist', '.git', 'imgscan-data', 'imgscan-report', 'imgscan-demo', 'imgscan-trace']);
const sibling = 'shared';
const patterns = [
  new RegExp(`\\.\\./+${sibling}\\b`), // a relative link, comment or path to the sibling folder
  new RegExp(`['"]\\.\\.['"]\\s*,\\s*(['"]\\.\\.['"]\\s*,\\s*)*['"]${sibling}['"]`), // a path joined from parts up to the sibling folder
];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    if (skip.has(name)) return [];
    const path = join(dir, name);
    const s = statSync(path);
    return s.isDirectory() ? files(path) : s.size < 4 << 20 ? [path] : [];
  });
}

describe('the repository stands alone', () => {
  it('no file reads or links a folder outside the repository', () => {
    const offenders = files(root).flatMap((f) => {
      const lines = readFileSync(f, 'utf8').split('\n');
      return lines.flatMap((line, i) => (patterns.some((p) => p.test(line)) ? [`${relative(root, f)}:${i + 1}: ${line.trim()}`] : []));
    });
    expect(offenders).toEqual([]);
  });

  it('the patterns catch a link and a path join to a sibling folder', () => {
    const link = `see [METRICS](../${sibling}/METRICS.md)`;
    const join = `join(import.meta.dirname, '..', '..', '${sibling}', 'data')`;
    expect([link, join].map((l) => patterns.some((p) => p.test(l)))).toEqual([true, true]);
  });
});

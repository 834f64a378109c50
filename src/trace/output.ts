import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ImgscanError } from '../errors.js';

/** Writes report files into DIR (created if needed), each through a temporary name; returns their paths. */
export function writeReportFiles(dir: string, files: Record<string, string>): string[] {
  try {
    mkdirSync(dir, { recursive: true });
    return Object.entries(files).map(([name, content]) => {
      const path = join(dir, name);
      writeFileSync(`${path}.tmp`, content);
      renameSync(`${path}.tmp`, path);
      return path;
    });
  } catch (err) {
    throw new ImgscanError('STORE', `cannot write the report: ${(err as Error).message}`, { path: dir }, { cause: err });
  }
}

/** A fraction as a percentage with one decimal, e.g. 0.4213 -> "42.1%". */
export function percent(fraction: number): string {
  return Number.isFinite(fraction) ? `${(fraction * 100).toFixed(1)}%` : '';
}

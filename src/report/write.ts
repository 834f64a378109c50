import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ImgscanError } from '../errors.js';

/**
 * Writes a report's files into DIR: names are relative paths (csv/x.csv makes csv/), each file goes through a
 * temporary name and a rename, so a reader never sees half a file. Returns the paths written; a failure is one
 * STORE error naming the file.
 */
export function writeReport(dir: string, files: Record<string, string>): string[] {
  return Object.entries(files).map(([name, content]) => {
    const path = join(dir, name);
    try {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(`${path}.tmp`, content);
      renameSync(`${path}.tmp`, path);
    } catch (err) {
      throw new ImgscanError('STORE', `cannot write the report: ${(err as Error).message}`, { path }, { cause: err });
    }
    return path;
  });
}

import { statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { storeError } from '../../../src/store/duckdb.js';

// src/store/duckdb.ts storeError: DuckDB, with no room to spill, may say only that it could not pin a block, with
// the memory it holds and its limit. On the real file system of the temp dir: a full disk is said when the free
// space there is below that limit (DuckDB may have removed its spill files by the time it is read), not otherwise.
describe('a block DuckDB could not pin', () => {
  const dir = tmpdir();
  const fs = statfsSync(dir);
  const free = fs.bavail * fs.bsize;
  const pin = (limit: string) => new Error(`Failed to append: failed to pin block of size 256.0 KiB (15.0 MiB/${limit} used)\nPossible solutions: ...`);

  it('is a full disk where less than the memory limit is free', () => {
    const limit = `${Math.ceil(free / 2 ** 30) + 1}.0 GiB`;
    const e = storeError(pin(limit), 'could not stage 5000 rows of files', dir);
    expect(e.code).toBe('STORE');
    expect(e.message).toBe(`could not stage 5000 rows of files: no space left on the file system of ${dir} (Failed to append: failed to pin block of size 256.0 KiB (15.0 MiB/${limit} used))`);
  });

  it('is said as DuckDB says it where the memory limit fits in the free space', () => {
    expect(free).toBeGreaterThan(2 * 2 ** 20);
    const e = storeError(pin('1.0 MiB'), 'could not stage 5000 rows of files', dir);
    expect(e.message).toBe('could not stage 5000 rows of files: Failed to append: failed to pin block of size 256.0 KiB (15.0 MiB/1.0 MiB used)');
  });
});

import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ImgscanError } from '../../../src/errors.js';
import { writeReport } from '../../../src/report/write.js';

const root = mkdtempSync(join(tmpdir(), 'imgscan-report-write-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('writeReport', () => {
  it('writes every file under the dir, sub-folders made, and returns their paths in order', () => {
    const dir = join(root, 'a', 'report');
    const files = { 'report.md': '# r\n', 'csv/x.csv': 'a,b\r\n', 'chart.svg': '<svg/>' };
    const paths = writeReport(dir, files);
    expect(paths).toEqual(Object.keys(files).map((n) => join(dir, n)));
    for (const [name, content] of Object.entries(files)) expect(readFileSync(join(dir, name), 'utf8')).toBe(content);
    expect(readdirSync(dir).sort()).toEqual(['chart.svg', 'csv', 'report.md']);
    expect(readdirSync(join(dir, 'csv'))).toEqual(['x.csv']);
  });

  it('replaces a file an earlier report wrote', () => {
    const dir = join(root, 'again');
    writeReport(dir, { 'r.md': 'first' });
    writeReport(dir, { 'r.md': 'second' });
    expect(readFileSync(join(dir, 'r.md'), 'utf8')).toBe('second');
    expect(readdirSync(dir)).toEqual(['r.md']);
  });

  it('fails with a STORE error naming the file it could not write', () => {
    const blocker = join(root, 'blocker');
    writeFileSync(blocker, 'not a directory');
    let caught: unknown;
    try {
      writeReport(blocker, { 'r.md': 'x' });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ImgscanError);
    expect(caught).toMatchObject({ code: 'STORE', context: { path: join(blocker, 'r.md') } });
  });
});

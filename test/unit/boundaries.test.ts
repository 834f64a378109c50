import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? tsFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)].map((m) => m[1]);
}

describe('architecture boundaries', () => {
  it('library code under src/ never imports @oclif/core', () => {
    const offenders = tsFiles(join(root, 'src')).filter((f) => imports(f).some((i) => i.startsWith('@oclif/')));
    expect(offenders.map((f) => relative(root, f))).toEqual([]);
  });

  it('src/report never imports the registry client or the sources', () => {
    const offenders = tsFiles(join(root, 'src', 'report')).filter((f) => imports(f).some((i) => /\/(registry|sources)\//.test(i)));
    expect(offenders.map((f) => relative(root, f))).toEqual([]);
  });

  it('library code never prints or exits', () => {
    const offenders = tsFiles(join(root, 'src'))
      .filter((f) => !f.includes(`${join('src', 'cli')}`))
      .filter((f) => /\bprocess\.exit\(|console\.(log|error|warn)\(/.test(readFileSync(f, 'utf8')));
    expect(offenders.map((f) => relative(root, f))).toEqual([]);
  });

  it('library code throws typed errors: no plain Error is made in src/', () => {
    const offenders = tsFiles(join(root, 'src')).filter((f) => /\bnew Error\(|\bthrow Error\(|\breject\(Error\(/.test(readFileSync(f, 'utf8')));
    expect(offenders.map((f) => relative(root, f))).toEqual([]);
  });

  it('commands are thin: they import library code, not each other', () => {
    const offenders = tsFiles(join(root, 'commands')).filter((f) => imports(f).some((i) => i.startsWith('./') && !i.startsWith('./_') && !i.startsWith('../')));
    expect(offenders.map((f) => relative(root, f))).toEqual([]);
  });
});

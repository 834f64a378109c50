import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const src = join(import.meta.dirname, '..', '..', '..', 'src');
const dir = join(src, 'report');

function tsFiles(d: string): string[] {
  return readdirSync(d).flatMap((name) => {
    const path = join(d, name);
    return statSync(path).isDirectory() ? tsFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

function imports(file: string): string[] {
  return [...readFileSync(file, 'utf8').matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)].map((m) => m[1]);
}

/** Files under ROOT that import a module matching RE. */
function importing(root: string, re: RegExp): string[] {
  return tsFiles(root)
    .filter((f) => imports(f).some((i) => re.test(i)))
    .map((f) => relative(src, f));
}

describe('src/report writers', () => {
  it('are pure: chart, ticks, html, markdown and csv import nothing but each other and the chart library (no fs)', () => {
    const writers = ['chart.ts', 'ticks.ts', 'html.ts', 'markdown.ts', 'csv.ts'];
    const allowed = [...writers.map((w) => `./${w.replace(/\.ts$/, '.js')}`), '../errors.js', 'vega', 'vega-lite'];
    for (const f of writers) {
      expect(readdirSync(dir)).toContain(f);
      const text = readFileSync(join(dir, f), 'utf8');
      const sources = [...text.matchAll(/^\s*(?:import|export)\b[^;]*?from\s+['"]([^'"]+)['"]/gm)].map((m) => m[1]);
      for (const s of sources) expect(allowed, `${f} imports ${s}`).toContain(s);
      expect(text).not.toMatch(/^\s*import\s+['"]/m);
    }
  });

  it('the hand-written SVG writer is gone: no file under src/ draws SVG by hand', () => {
    expect(readdirSync(dir)).not.toContain('svg.ts');
    expect(tsFiles(src).filter((f) => /<polyline|<svg xmlns/.test(readFileSync(f, 'utf8'))).map((f) => relative(src, f))).toEqual([]);
  });
});

describe('the report room', () => {
  it('writes files in one place: only src/report/write.ts touches the file system', () => {
    expect(importing(dir, /^(node:)?fs(\/promises)?$/)).toEqual(['report/write.ts']);
  });

  it('has one sub-folder per report, each with an index', () => {
    const reports = readdirSync(dir).filter((n) => statSync(join(dir, n)).isDirectory());
    expect(reports.sort()).toEqual(['image-diff', 'redundancy', 'trace-simulation', 'trace-workload']);
    for (const r of reports) expect(readdirSync(join(dir, r))).toContain('index.ts');
  });

  it('is reached from the commands: src/trace returns data and never imports src/report', () => {
    expect(importing(join(src, 'trace'), /\/report\//)).toEqual([]);
  });

  it('never imports the terminal code of src/cli, nor does src/trace', () => {
    expect([...importing(dir, /\/cli\//), ...importing(join(src, 'trace'), /\/cli\//)]).toEqual([]);
  });
});

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const dir = join(import.meta.dirname, '..', '..', '..', 'src', 'report');

describe('src/report writers', () => {
  it('are pure: svg, axis, markdown and csv import nothing but each other (no fs, no other modules)', () => {
    const writers = ['svg.ts', 'axis.ts', 'markdown.ts', 'csv.ts'];
    for (const f of writers) {
      expect(readdirSync(dir)).toContain(f);
      const text = readFileSync(join(dir, f), 'utf8');
      const sources = [...text.matchAll(/^\s*(?:import|export)\b[^;]*?from\s+['"]([^'"]+)['"]/gm)].map((m) => m[1]);
      for (const s of sources) expect(writers.map((w) => `./${w.replace(/\.ts$/, '.js')}`), `${f} imports ${s}`).toContain(s);
      expect(text).not.toMatch(/^\s*import\s+['"]/m);
    }
  });
});

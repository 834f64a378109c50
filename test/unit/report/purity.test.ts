import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const dir = join(import.meta.dirname, '..', '..', '..', 'src', 'report');

describe('src/report writers', () => {
  it('are pure: svg, markdown and csv import nothing (no fs, no other modules)', () => {
    for (const f of ['svg.ts', 'markdown.ts', 'csv.ts']) {
      expect(readdirSync(dir)).toContain(f);
      expect(readFileSync(join(dir, f), 'utf8')).not.toMatch(/^\s*import\s/m);
    }
  });
});

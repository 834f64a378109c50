import { describe, expect, it } from 'vitest';
import { formatNumber, mdEscape, mdHeading, mdTable, mdTableObjects } from '../../../src/report/markdown.js';

/** Splits a GFM table row into cells, honouring backslash escapes (as a renderer does). */
function cells(line: string): string[] {
  expect(line.startsWith('| ') && line.endsWith(' |')).toBe(true);
  const inner = line.slice(2, -2);
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < inner.length; i++) {
    if (inner[i] === '\\' && i + 1 < inner.length) {
      cur += inner[i + 1];
      i++;
    } else if (inner.startsWith(' | ', i)) {
      out.push(cur);
      cur = '';
      i += 2;
    } else cur += inner[i];
  }
  out.push(cur);
  return out;
}

describe('markdown tables', () => {
  it('escapes pipes, backslashes and line breaks so cells stay cells', () => {
    const table = mdTable(['name', 'value'], [['a|b', 'c\\|d'], ['two\nlines', 'x\r\ny']]);
    const lines = table.trimEnd().split('\n');
    expect(lines).toHaveLength(4);
    expect(cells(lines[0])).toEqual(['name', 'value']);
    expect(cells(lines[2])).toEqual(['a|b', 'c\\|d']);
    expect(cells(lines[3])).toEqual(['two lines', 'x y']);
    expect(mdEscape('|')).toBe('\\|');
  });

  it('has one rule cell per column; numeric columns align right', () => {
    const table = mdTable(['policy', 'hits', { header: 'ratio', align: 'center' }], [['lru', 3, '1'], ['arc', 4, '2']]);
    const rule = table.split('\n')[1];
    expect(rule).toBe('| --- | ---: | :---: |');
    for (const line of table.trimEnd().split('\n')) expect(cells(line)).toHaveLength(3);
  });

  it('renders null as empty and numbers compactly', () => {
    expect(mdTable(['a', 'b'], [[null, 0.123456]])).toContain('|  | 0.1235 |');
    expect(formatNumber(12)).toBe('12');
    expect(formatNumber(2.5)).toBe('2.5');
    expect(formatNumber(0.000123456)).toBe('0.0001235');
    expect(formatNumber(Number.POSITIVE_INFINITY)).toBe('');
  });

  it('builds tables from objects and headings on one line', () => {
    expect(mdTableObjects([{ a: 1, b: 'x' }], ['b', 'a'])).toBe('| b | a |\n| --- | ---: |\n| x | 1 |\n');
    expect(mdHeading(2, 'Hit\nratio')).toBe('## Hit ratio\n');
  });

  it('refuses a row of the wrong width', () => {
    expect(() => mdTable(['a'], [[1, 2]])).toThrow(/2 cells for 1 columns/);
  });
});

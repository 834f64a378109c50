import { describe, expect, it } from 'vitest';
import { csvField, toCsv, toCsvObjects } from '../../../src/report/csv.js';

/** A plain RFC 4180 reader written separately from the writer, to read back what it wrote. */
function parseRfc4180(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let i = 0;
  let quoted = false;
  while (i < text.length) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 2;
      } else if (c === '"') {
        quoted = false;
        i++;
      } else {
        field += c;
        i++;
      }
    } else if (c === '"') {
      quoted = true;
      i++;
    } else if (c === ',') {
      row.push(field);
      field = '';
      i++;
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i += 2;
    } else {
      field += c;
      i++;
    }
  }
  if (field !== '' || row.length) rows.push([...row, field]);
  return rows;
}

describe('csv writer', () => {
  it('quotes only fields that need it and doubles quotes', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('cr\r')).toBe('"cr\r"');
    expect(csvField(null)).toBe('');
    expect(csvField(undefined)).toBe('');
    expect(csvField(Number.NaN)).toBe('');
    expect(csvField(0.25)).toBe('0.25');
    expect(csvField(12345678901234567890n)).toBe('12345678901234567890');
    expect(csvField(new Date(Date.UTC(2017, 5, 20, 2, 41, 18, 399)))).toBe('2017-06-20T02:41:18.399Z');
  });

  it('ends every record with CRLF, header first', () => {
    expect(toCsv(['a', 'b'], [[1, 'x'], [2, null]])).toBe('a,b\r\n1,x\r\n2,\r\n');
  });

  it('round-trips awkward values through an independent reader', () => {
    const alphabet = ['a', ',', '"', '\n', '\r\n', ' ', 'é', '|', "'"];
    let seed = 7;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const rows: string[][] = [];
    for (let r = 0; r < 200; r++) {
      rows.push(
        Array.from({ length: 4 }, () =>
          Array.from({ length: Math.floor(rand() * 6) }, () => alphabet[Math.floor(rand() * alphabet.length)]).join(''),
        ),
      );
    }
    // A record whose only field is empty is indistinguishable from a blank line; keep one non-empty field.
    for (const r of rows) r[0] = `k${r[0]}`;
    const text = toCsv(['c1', 'c,2', 'c"3', 'c4'], rows);
    expect(parseRfc4180(text)).toEqual([['c1', 'c,2', 'c"3', 'c4'], ...rows]);
  });

  it('builds columns from object keys', () => {
    expect(toCsvObjects([{ repository: 'a/b', requests: 3 }, { repository: 'c,d', requests: 1 }])).toBe('repository,requests\r\na/b,3\r\n"c,d",1\r\n');
    expect(toCsvObjects([])).toBe('\r\n');
  });

  it('refuses a row of the wrong width', () => {
    expect(() => toCsv(['a', 'b'], [[1]])).toThrow(/1 cells for 2 columns/);
  });
});

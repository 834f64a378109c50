import { describe, expect, it } from 'vitest';
import { ImgscanError } from '../../../src/errors.js';
import { readCsv } from '../../../src/trace/csv-parse.js';
import { chunked } from './gen.js';

async function readAll(chunks: AsyncIterable<string>) {
  const out = [];
  for await (const r of readCsv(chunks, 'test.csv')) out.push(r);
  return out;
}

describe('streaming CSV reader', () => {
  // pandas to_csv output: unnamed index column, quoted fields where needed, embedded line break.
  const text = [
    ',Unnamed: 0,host,http.request.uri,http.request.useragent,http.response.written',
    '0,0,a,v2/x/blobs/1,"docker/1.10 (linux, amd64)",72626.0',
    '1,1,b,v2/x/blobs/2,"say ""hi""",',
    '2,2,c,v2/x/blobs/3,"two',
    'lines",5',
    '',
  ].join('\r\n');
  const expected = [
    ['', 'Unnamed: 0', 'host', 'http.request.uri', 'http.request.useragent', 'http.response.written'],
    ['0', '0', 'a', 'v2/x/blobs/1', 'docker/1.10 (linux, amd64)', '72626.0'],
    ['1', '1', 'b', 'v2/x/blobs/2', 'say "hi"', ''],
    ['2', '2', 'c', 'v2/x/blobs/3', 'two\r\nlines', '5'],
  ];

  it('parses quoted fields, doubled quotes, embedded line breaks and CRLF at every chunk boundary', async () => {
    for (let cut = 1; cut < text.length; cut++) {
      const chunks = (async function* () {
        yield text.slice(0, cut);
        yield text.slice(cut);
      })();
      expect((await readAll(chunks)).map((r) => r.fields)).toEqual(expected);
    }
  });

  it('reports the line each record starts on', async () => {
    expect((await readAll(chunked(text, [1]))).map((r) => r.line)).toEqual([1, 2, 3, 4]);
  });

  it('accepts LF line ends, a last line without a newline and skips blank lines', async () => {
    const got = await readAll(chunked('a,b\n\n1,2\n3,"4"', [3]));
    expect(got.map((r) => r.fields)).toEqual([['a', 'b'], ['1', '2'], ['3', '4']]);
    expect(got.map((r) => r.line)).toEqual([1, 3, 4]);
  });

  it('keeps a trailing empty field', async () => {
    expect((await readAll(chunked('a,b\n1,\n', [64]))).map((r) => r.fields)).toEqual([['a', 'b'], ['1', '']]);
  });

  it.each([
    ['a,b\n1,"open\n', /line 2: quoted field 2 is not closed/],
    ['a,b\n1,"x"y\n', /line 2: unexpected "y" after the closing quote of field 2/],
  ])('rejects %j', async (input, message) => {
    const err = await readAll(chunked(input, [2])).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImgscanError);
    expect((err as ImgscanError).message).toMatch(message);
  });
});

import { describe, expect, it } from 'vitest';
import { ImgscanError } from '../../../src/errors.js';
import { readJsonArray } from '../../../src/trace/json-array.js';
import { chunked, rng } from './gen.js';

async function readAll(chunks: AsyncIterable<string>) {
  const out = [];
  for await (const r of readJsonArray(chunks, 'test.json')) out.push(r);
  return out;
}

/** Records with every awkward string: escaped quotes and backslashes, braces in strings, unicode, nesting. */
const tricky = [
  { a: 'plain', n: 1 },
  { s: 'quote " inside', t: 'backslash \\ inside', u: 'both \\" and \\\\' },
  { braces: '}{][ ,:', nested: { x: [1, { y: '}' }], z: [] }, e: '' },
  { unicode: 'é ü 日本 \u0001 \u001f', emoji: '🐳 registry', ctrl: 'tab\tnewline\nreturn\r' },
  { 'http.request.uri': 'v2/64431afe/eec8974d/blobs/793c8a2b', 'http.response.written': '72626.0', ok: true, nil: null, f: -1.5e3 },
];

describe('streaming JSON array reader', () => {
  const text = `[\n${tricky.map((r) => `  ${JSON.stringify(r)}`).join(',\n')}\n]\n`;

  it('reads records split at every possible chunk boundary', async () => {
    for (let cut = 1; cut < text.length; cut++) {
      const chunks = (async function* () {
        yield text.slice(0, cut);
        yield text.slice(cut);
      })();
      const got = await readAll(chunks);
      expect(got.map((r) => r.value)).toEqual(tricky);
    }
  });

  it('reads one character at a time and reports index and starting line', async () => {
    const got = await readAll(chunked(text, [1]));
    expect(got.map((r) => r.value)).toEqual(tricky);
    expect(got.map((r) => r.index)).toEqual(tricky.map((_, i) => i));
    // Record i is on line i + 2 (line 1 holds the opening bracket).
    expect(got.map((r) => r.line)).toEqual(tricky.map((_, i) => i + 2));
  });

  it('matches JSON.parse on random records in random chunk sizes', async () => {
    const rand = rng(42);
    const alphabet = ['a', '"', '\\', '{', '}', '[', ']', ',', ':', ' ', '\n', 'é', '🐳', '\u0000'];
    const records = Array.from({ length: 300 }, (_, i) => ({
      i,
      s: Array.from({ length: Math.floor(rand() * 12) }, () => alphabet[Math.floor(rand() * alphabet.length)]).join(''),
      deep: { list: [rand() < 0.5 ? 'x' : { k: ']' }], n: rand() },
    }));
    const compact = JSON.stringify(records);
    const pretty = JSON.stringify(records, null, 2);
    for (const t of [compact, pretty]) {
      const sizes = Array.from({ length: 50 }, () => 1 + Math.floor(rand() * 40));
      expect((await readAll(chunked(t, sizes))).map((r) => r.value)).toEqual(JSON.parse(t));
    }
  });

  it('reads a large chunk in linear time (each string is scanned once)', async () => {
    // 60k records in one 7 MB chunk: rescanning the chunk per string would take minutes.
    const record = { 'http.request.uri': 'v2/4715bf52/437c49db/blobs/93054319', 'http.request.useragent': 'docker/17.03.1-ce go/go1.7.5', id: 'ed29d65dbd' };
    const big = `[${Array.from({ length: 60_000 }, () => JSON.stringify(record)).join(',')}]`;
    const started = Date.now();
    let n = 0;
    for await (const r of readJsonArray(chunked(big, [big.length]))) if (r.value.id === 'ed29d65dbd') n++;
    expect(n).toBe(60_000);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('accepts an empty array, whitespace and a byte order mark', async () => {
    expect(await readAll(chunked(' \n[ ] \n', [2]))).toEqual([]);
    expect((await readAll(chunked('\ufeff[{"a":1}]', [3]))).map((r) => r.value)).toEqual([{ a: 1 }]);
  });

  it('yields the first record before the rest of the input is consumed', async () => {
    let produced = 0;
    const record = JSON.stringify({ k: 'v'.repeat(100) });
    const source = (async function* () {
      yield '[';
      for (let i = 0; i < 10_000; i++) {
        const s = `${i ? ',' : ''}${record}`;
        produced += s.length;
        yield s;
      }
      yield ']';
    })();
    const it = readJsonArray(source)[Symbol.asyncIterator]();
    const first = await it.next();
    expect(first.value?.value).toEqual({ k: 'v'.repeat(100) });
    expect(produced).toBeLessThanOrEqual(2 * (record.length + 1));
    await it.return?.(undefined);
  });

  it.each([
    ['', /empty input/],
    ['{"a":1}', /expected a JSON array/],
    ['[{"a":1},', /not closed/],
    ['[{"a":1}', /not closed/],
    ['[{"a":"x}', /record 1 .* not closed/],
    ['[{"a":1} {"b":2}]', /after record 1 .*expected ',' or '\]'/],
    ['[{"a":1},]', /record 2 .*expected an object/],
    ['[1, 2]', /record 1 .*expected an object/],
    ['[{"a":1}] x', /unexpected .*after the end/],
    ['[{"a":1},\n{"a":tru}]', /record 2 \(line 2\): invalid JSON/],
  ])('rejects %j with a located error', async (input, message) => {
    const err = await readAll(chunked(input, [4])).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImgscanError);
    expect((err as ImgscanError).code).toBe('TRACE_INVALID');
    expect((err as ImgscanError).message).toMatch(message);
    expect((err as ImgscanError).context.path).toBe('test.json');
  });
});

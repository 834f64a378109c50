import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Db } from '../../../src/store/duckdb.js';
import { recordMacros } from '../../../src/trace/record.js';
import { uriMacros } from '../../../src/trace/uri.js';
import { rng } from './gen.js';

/**
 * The macros that take a cheaper road than a regular expression with groups (or than trim) give what the
 * plain forms give, on strings generated from the pieces where the two could part: line breaks, characters
 * of more than one byte, marker words, slashes, spaces of every kind, digits in and out of place.
 */
let db: Db;
beforeAll(async () => {
  db = await Db.open(':memory:');
  await db.run(uriMacros);
  await db.run(recordMacros);
});
afterAll(() => db.close());

function strings(seed: number, n: number, pieces: string[], maxPieces: number, prefixes: string[] = ['']): string[] {
  const rand = rng(seed);
  const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)];
  return Array.from({ length: n }, () => pick(prefixes) + Array.from({ length: Math.floor(rand() * (maxPieces + 1)) }, () => pick(pieces)).join(''));
}

/** Loads the strings into table `t(i, s)`, through a JSON list so that every character arrives as it is. */
async function load(values: string[]): Promise<void> {
  await db.run(`CREATE OR REPLACE TABLE t AS SELECT i, s FROM (SELECT unnest(range(len(l))) AS i, unnest(l) AS s FROM (SELECT ${sqlJsonList(values)} AS l))`);
}

const sqlJsonList = (values: string[]) => `from_json('${JSON.stringify(values).replaceAll("'", "''")}', '["VARCHAR"]')`;

/** Rows where the two expressions over `s` differ (NULLs alike count as equal), and how many there are in all. */
async function differing(fast: string, plain: string): Promise<{ differ: number; total: number }> {
  const [r] = await db.all<{ differ: number; total: number }>(`SELECT count(*) FILTER (WHERE (${fast}) IS DISTINCT FROM (${plain}))::INTEGER AS differ, count(*)::INTEGER AS total FROM t`);
  return r;
}

const spaces = [' ', '\t', '\n', '\u000b', '\f', '\r', '\u00a0', '\ufeff'];

describe('cheaper macros equal to the plain forms', () => {
  it('trace_trim is trim with JavaScript white space', async () => {
    await load(strings(1, 5000, [...spaces, 'a', 'é', '€', '/', 'v2'], 6));
    const chars = spaces.map((c) => `chr(${c.codePointAt(0)})`).join(' || ');
    expect(await differing('trace_trim(s)', `trim(s, ${chars})`)).toEqual({ differ: 0, total: 5000 });
  });

  it('trace_uri_split cuts a path as ^v2/(.+)/([^/]+)/([^/]*)$ does, and trace_uri_unhosted drops a scheme and host as before', async () => {
    const pieces = ['/', '/', '/', 'a', 'blobs', 'manifests', 'uploads', '\n', 'é', ' ', '_catalog', 'v2', '?x=1', '#f', '://', 'h:1'];
    const values = strings(2, 20_000, pieces, 8, ['v2/', 'v2/', 'v2', '', 'http://h', 'x://']);
    await load([...values, 'v2/a\n/b/c', 'v2/a/b\n/c\n', 'v2/é/é/é', 'v2///b/c', 'v2//b/c', 'v2/a//c', 'v2/a/b/']);
    const regex = `regexp_extract(s, '^v2/(.+)/([^/]+)/([^/]*)$', ['r', 'mid', 'tail'])`;
    const split = await differing('trace_uri_split(s)', regex);
    expect(split).toEqual({ differ: 0, total: values.length + 7 });
    // Both outcomes are met many times over: paths that split, and paths that do not.
    const [n] = await db.all<{ split: number; not: number }>(`SELECT count(*) FILTER (WHERE ${regex}.r <> '')::INTEGER AS split, count(*) FILTER (WHERE ${regex}.r = '')::INTEGER AS not FROM t`);
    expect(Math.min(n.split, n.not)).toBeGreaterThan(500);
    const unhosted = await differing('trace_uri_unhosted(s)', `split_part(regexp_replace(s, '^[a-zA-Z][a-zA-Z0-9+.-]*://[^/]*', ''), '#', 1)`);
    expect(unhosted.differ).toBe(0);
  });

  it('trace_ts_split cuts the common timestamp forms as the regular expression with groups does', async () => {
    const digits = ['0', '1', '2', '5', '9', '٣'];
    const pieces = [...digits, ...digits, ...digits, '-', ':', 'T', 't', ' ', '.', ',', 'Z', 'z', '+', '\n', 'é'];
    const rand = rng(3);
    const d = (n: number) => Array.from({ length: n }, () => digits[Math.floor(rand() * 5)]).join('');
    const near = Array.from({ length: 5000 }, () => {
      const s = `${d(4)}-${d(2)}-${d(2)}${rand() < 0.5 ? 'T' : ' '}${d(2)}:${d(2)}:${d(2)}.${d(3)}${rand() < 0.5 ? 'Z' : ''}`;
      // Now and then one character changed: a near miss of the fast form.
      if (rand() < 0.5) return s;
      const at = Math.floor(rand() * s.length);
      return s.slice(0, at) + pieces[Math.floor(rand() * pieces.length)] + s.slice(at + 1);
    });
    await load([...near, ...strings(4, 3000, pieces, 26)]);
    const regex = `regexp_extract(s, '(?i)^(\\d{4})-(\\d{2})-(\\d{2})[T ](\\d{2}):(\\d{2}):(\\d{2})(?:[.,](\\d{1,9}))?\\s*(Z|[+-]\\d{2}(?::?\\d{2})?)?$', ['y', 'mo', 'd', 'h', 'mi', 's', 'frac', 'zone'])`;
    expect(await differing('trace_ts_split(s)', regex)).toEqual({ differ: 0, total: 8000 });
    const [n] = await db.all<{ parsed: number }>(`SELECT count(*) FILTER (WHERE ${regex}.y <> '')::INTEGER AS parsed FROM t`);
    expect(n.parsed).toBeGreaterThan(2500);
  });
});

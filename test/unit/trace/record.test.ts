import { beforeAll, describe, expect, it } from 'vitest';
import type { InvalidRecord } from '../../../src/trace/read.js';
import type { TraceRow } from '../../../src/trace/record.js';
import { ingestText } from './ingested.js';

/** The record checks run in DuckDB as ingest runs them: each case is a record of a JSON lines file. */
const lines = (records: Record<string, unknown>[]) => records.map((r) => JSON.stringify(r)).join('\n') + '\n';

const base: Record<string, unknown> = {
  host: 'dc118836',
  'http.request.duration': 1.005,
  'http.request.method': 'get',
  'http.request.remoteaddr': '0ee76ffa',
  'http.request.uri': 'v2/4715bf52/437c49db/blobs/93054319',
  'http.request.useragent': 'docker/17.03.1-ce',
  'http.response.status': 200,
  'http.response.written': 9576,
  id: 'ed29d65dbd',
  timestamp: '2017-06-20T02:41:18.399Z',
};

describe('timestamps', () => {
  const good: [string, number][] = [
    ['2017-06-20T02:41:18.399Z', Date.UTC(2017, 5, 20, 2, 41, 18, 399) * 1000],
    ['2017-06-20 00:00:03.589', Date.UTC(2017, 5, 20, 0, 0, 3, 589) * 1000],
    ['2017-06-20 00:00:03', Date.UTC(2017, 5, 20, 0, 0, 3) * 1000],
    ['2017-06-20T00:00:03.123456Z', Date.UTC(2017, 5, 20, 0, 0, 3, 123) * 1000 + 456],
    ['2017-06-20T00:00:03.1234567Z', Date.UTC(2017, 5, 20, 0, 0, 3, 123) * 1000 + 456],
    ['2017-06-20T02:00:00+02:00', Date.UTC(2017, 5, 20, 0, 0, 0) * 1000],
    ['2017-06-20T00:00:00-0130', Date.UTC(2017, 5, 20, 1, 30, 0) * 1000],
    ['2016-02-29 12:00:00', Date.UTC(2016, 1, 29, 12) * 1000],
  ];
  const bad = ['2017-06-20', '20/06/2017 00:00:00', '2017-02-30 00:00:00', '2017-06-20 25:00:00', 'yesterday', '2017-13-01 00:00:00', '2017-02-29 00:00:00'];
  let rows: TraceRow[];
  let problems: InvalidRecord[];

  beforeAll(async () => {
    rows = (await ingestText(lines(good.map(([t]) => ({ ...base, timestamp: t }))))).rows;
    problems = (await ingestText(lines(bad.map((t) => ({ ...base, timestamp: t }))), { skipInvalid: true })).summary.problems;
  });

  it.each(good.map(([t, micros], i) => [t, micros, i] as const))('%s is read as UTC microseconds', (_text, micros, i) => {
    expect(rows[i].timestamp).toBe(micros);
  });

  it.each(bad.map((t, i) => [t, i] as const))('rejects %s', (text, i) => {
    expect(problems[i].message).toMatch(new RegExp(`^timestamp ${JSON.stringify(text).replaceAll('/', '\\/')} is not`));
    expect(problems[i].location).toBe(`record ${i + 1} (line ${i + 1})`);
  });
});

describe('records to rows', () => {
  it('maps every field and parses the URI', async () => {
    const { rows } = await ingestText(lines([base]), { name: 'f.jsonl' });
    expect(rows).toEqual([
      {
        source: 'f',
        file: 'f.jsonl',
        record_index: 0,
        timestamp: Date.UTC(2017, 5, 20, 2, 41, 18, 399) * 1000,
        method: 'GET',
        uri: 'v2/4715bf52/437c49db/blobs/93054319',
        endpoint: 'blob',
        kind: 'blob',
        repository: '4715bf52/437c49db',
        reference: '93054319',
        object_key: 'blob:93054319',
        status: 200,
        response_size: 9576,
        duration: 1.005,
        host: 'dc118836',
        client: '0ee76ffa',
        user_agent: 'docker/17.03.1-ce',
        request_id: 'ed29d65dbd',
      },
    ]);
  });

  it('accepts numbers written as strings, including float strings for sizes, and treats empty and NaN optional fields as missing', async () => {
    const { rows } = await ingestText(
      lines([
        { ...base, 'http.response.written': '72626.0', 'http.response.status': '404', 'http.request.duration': '0.8571088309999999' },
        { ...base, 'http.response.written': '', host: '', 'http.request.duration': 'NaN', id: undefined },
      ]),
    );
    expect(rows[0].response_size).toBe(72626);
    expect(rows[0].status).toBe(404);
    expect(rows[0].duration).toBeCloseTo(0.8571088309999999, 15);
    expect([rows[1].response_size, rows[1].host, rows[1].duration, rows[1].request_id]).toEqual([null, null, null, null]);
  });

  it('keeps a text field that is a string opening like an object, and refuses one that is an object', async () => {
    const { rows } = await ingestText(lines([{ ...base, host: '{not an object', id: '[1]' }, base]));
    expect(rows.map((r) => [r.host, r.request_id])).toEqual([['{not an object', '[1]'], ['dc118836', 'ed29d65dbd']]);
    const err = await ingestText(lines([base, { ...base, id: [1] }])).catch((e: unknown) => e);
    expect((err as Error).message).toBe('record 2 (line 2): id should be a string, found [1]');
  });

  const rejected: [Record<string, unknown>, RegExp][] = [
    [{ timestamp: undefined }, /^missing timestamp$/],
    [{ 'http.request.uri': '' }, /^missing http.request.uri$/],
    [{ 'http.request.method': null }, /^missing http.request.method$/],
    [{ 'http.response.written': '12.5' }, /^http.response.written should be a whole number, found "12.5"$/],
    [{ 'http.response.written': -1 }, /^http.response.written should not be negative, found -1$/],
    [{ 'http.response.status': 'OK' }, /^http.response.status should be a number, found "OK"$/],
    [{ timestamp: 1497926478 }, /^timestamp should be a string, found 1497926478$/],
    [{ host: { a: 1 } }, /^host should be a string, found \{"a":1\}$/],
  ];
  let problems: InvalidRecord[];
  let records: number;

  beforeAll(async () => {
    const { summary } = await ingestText(lines([base, ...rejected.map(([over]) => ({ ...base, ...over }))]), { skipInvalid: true });
    problems = summary.problems;
    records = summary.records;
  });

  it.each(rejected.map(([over, message], i) => [over, message, i] as const))('rejects %j', (_over, message, i) => {
    expect(records).toBe(1);
    expect(problems[i].message).toMatch(message);
  });
});

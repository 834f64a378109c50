import { describe, expect, it } from 'vitest';
import { FieldError, parseTimestamp, toTraceRow } from '../../../src/trace/record.js';

describe('timestamps', () => {
  it.each([
    ['2017-06-20T02:41:18.399Z', Date.UTC(2017, 5, 20, 2, 41, 18, 399) * 1000],
    ['2017-06-20 00:00:03.589', Date.UTC(2017, 5, 20, 0, 0, 3, 589) * 1000],
    ['2017-06-20 00:00:03', Date.UTC(2017, 5, 20, 0, 0, 3) * 1000],
    ['2017-06-20T00:00:03.123456Z', Date.UTC(2017, 5, 20, 0, 0, 3, 123) * 1000 + 456],
    ['2017-06-20T00:00:03.1234567Z', Date.UTC(2017, 5, 20, 0, 0, 3, 123) * 1000 + 456],
    ['2017-06-20T02:00:00+02:00', Date.UTC(2017, 5, 20, 0, 0, 0) * 1000],
    ['2017-06-20T00:00:00-0130', Date.UTC(2017, 5, 20, 1, 30, 0) * 1000],
  ])('%s is read as UTC microseconds', (text, micros) => {
    expect(parseTimestamp(text)).toBe(micros);
  });

  it.each(['2017-06-20', '20/06/2017 00:00:00', '2017-02-30 00:00:00', '2017-06-20 25:00:00', 'yesterday'])('rejects %s', (text) => {
    expect(() => parseTimestamp(text)).toThrow(FieldError);
  });
});

describe('records to rows', () => {
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
  const row = (over: Record<string, unknown>) => {
    const r = { ...base, ...over };
    return toTraceRow((f) => r[f], 'f.json', 7);
  };

  it('maps every field and parses the URI', () => {
    expect(row({})).toEqual({
      source: 'f.json',
      record_index: 7,
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
    });
  });

  it('accepts numbers written as strings, including float strings for sizes', () => {
    const r = row({ 'http.response.written': '72626.0', 'http.response.status': '404', 'http.request.duration': '0.8571088309999999' });
    expect(r.response_size).toBe(72626);
    expect(r.status).toBe(404);
    expect(r.duration).toBeCloseTo(0.8571088309999999, 15);
  });

  it('treats empty and NaN optional fields as missing', () => {
    const r = row({ 'http.response.written': '', host: '', 'http.request.duration': 'NaN', id: undefined });
    expect([r.response_size, r.host, r.duration, r.request_id]).toEqual([null, null, null, null]);
  });

  it.each([
    [{ timestamp: undefined }, /missing timestamp/],
    [{ 'http.request.uri': '' }, /missing http.request.uri/],
    [{ 'http.request.method': null }, /missing http.request.method/],
    [{ 'http.response.written': '12.5' }, /whole number/],
    [{ 'http.response.written': -1 }, /negative/],
    [{ 'http.response.status': 'OK' }, /should be a number/],
    [{ timestamp: 1497926478 }, /timestamp should be a string/],
    [{ host: { a: 1 } }, /host should be a string/],
  ])('rejects %j', (over, message) => {
    expect(() => row(over)).toThrow(message);
  });
});

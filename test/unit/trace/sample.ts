import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The real 999-request sample of the IBM traces, kept in test/data. */
export const samplePath = join(import.meta.dirname, '..', '..', 'data', 'ibm-dal09-blobs-sample.csv');

export interface SampleRow {
  method: string;
  uri: string;
  repository: string;
  digest: string;
  status: number;
  size: number;
  client: string;
  /** ms since the epoch */
  time: number;
}

/**
 * Reads the sample with a deliberately simple parser, separate from the one under test: the sample has no
 * quoted fields (checked), so a record is a line and a field is what lies between commas.
 */
export function readSample(): SampleRow[] {
  const lines = readFileSync(samplePath, 'utf8').split('\n').filter((l) => l.length > 0);
  const header = lines[0].split(',');
  const col = (name: string) => {
    const i = header.indexOf(name);
    if (i < 0) throw new Error(`sample lacks ${name}`);
    return i;
  };
  return lines.slice(1).map((line) => {
    if (line.includes('"')) throw new Error('the simple sample reader does not handle quotes');
    const f = line.split(',');
    if (f.length !== header.length) throw new Error(`unexpected field count in ${line}`);
    const uri = f[col('http.request.uri')];
    const parts = uri.split('/');
    return {
      method: f[col('http.request.method')],
      uri,
      repository: parts.slice(1, -2).join('/'),
      digest: parts[parts.length - 1],
      status: Number(f[col('http.response.status')]),
      size: Number(f[col('http.response.written')]),
      client: f[col('http.request.remoteaddr')],
      time: Date.parse(`${f[col('timestamp')].replace(' ', 'T')}Z`),
    };
  });
}

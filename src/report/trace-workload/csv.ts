import type { TraceAnalysis } from '../../trace/analysis/analyze.js';
import { toCsv, toCsvObjects } from '../csv.js';

/** One CSV per table of analyze.md, with exact numbers (quantiles at p = k/200). */
export function workloadCsv(a: TraceAnalysis): Record<string, string> {
  const re = a.reaccess;
  return {
    'request-mix.csv': toCsvObjects(a.mix),
    'endpoints.csv': toCsv(
      ['method', 'endpoint', 'requests', 'bytes', 'share'],
      a.endpoints.map((m) => [m.method, m.kind, m.requests, m.bytes, m.share]),
    ),
    'status-codes.csv': toCsvObjects(a.statuses),
    'response-sizes.csv': toCsv(
      ['kind', 'p', 'response_size'],
      a.sizes.flatMap((s) => s.quantiles.map((v, k) => [s.kind, k / 200, v])),
    ),
    'request-rate.csv': toCsv(
      ['time', 'requests', 'blob_gets', 'manifest_gets', 'bytes', 'requests_per_s'],
      a.rate.points.map((p) => [new Date(p.time), p.requests, p.blob_gets, p.manifest_gets, p.bytes, p.requests / a.rate.bucket_s]),
    ),
    'popularity.csv': toCsv(['rank', 'requests'], a.popularity.rank_frequency),
    'reaccess.csv': toCsv(
      ['p', 'seconds', 'requests_between'],
      re.seconds.map((s, k) => [k / 200, s, re.requests_between[k]]),
    ),
    'clients.csv': toCsv(['client', 'requests', 'bytes', 'objects', 'repositories'], a.clients.top.map((r) => [r.name, r.requests, r.bytes, r.objects, r.peers])),
    'repositories.csv': toCsv(['repository', 'requests', 'bytes', 'objects', 'clients'], a.repositories.top.map((r) => [r.name, r.requests, r.bytes, r.objects, r.peers])),
  };
}

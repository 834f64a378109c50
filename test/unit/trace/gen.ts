import { createWriteStream } from 'node:fs';
import { once } from 'node:events';

/** Deterministic generators of registry trace records, in the published field form. */
export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    // xorshift32
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 32;
  };
}

export type TraceRecord = Record<string, string | number>;

const hex = (n: number) => (n >>> 0).toString(16).padStart(8, '0');

/**
 * `n` records over a few repositories and a skewed pool of layers: blob and manifest GETs (mostly 200),
 * manifest PUTs, HEADs, tags/list, some 404s. Timestamps rise by 0-2 s, ISO form with Z.
 */
export function makeRecords(n: number, seed = 1, start = Date.UTC(2017, 5, 20, 0, 0, 0)): TraceRecord[] {
  const rand = rng(seed);
  const repos = Array.from({ length: 12 }, (_, i) => (i % 3 === 0 ? `${hex(i * 7919)}` : `${hex(i * 104729)}/${hex(i * 31)}`));
  const layers = Array.from({ length: 300 }, (_, i) => ({ digest: hex(0x9e3779b1 * (i + 1)), size: Math.floor(100 + rand() * 5e6 * (i % 7 === 0 ? 40 : 1)) }));
  const clients = Array.from({ length: 25 }, (_, i) => hex(i * 2654435761));
  const out: TraceRecord[] = [];
  let t = start;
  for (let i = 0; i < n; i++) {
    t += Math.floor(rand() * 2000);
    const repo = repos[Math.floor(rand() ** 2 * repos.length)];
    const client = clients[Math.floor(rand() ** 1.5 * clients.length)];
    const x = rand();
    let method = 'GET';
    let uri: string;
    let status = 200;
    let size = 0;
    if (x < 0.6) {
      const layer = layers[Math.floor(rand() ** 3 * layers.length)];
      uri = `v2/${repo}/blobs/${layer.digest}`;
      size = layer.size;
    } else if (x < 0.85) {
      uri = `v2/${repo}/manifests/${rand() < 0.7 ? 'latest' : `v${Math.floor(rand() * 3)}`}`;
      size = 1000 + Math.floor(rand() * 6000);
    } else if (x < 0.9) {
      method = 'PUT';
      uri = `v2/${repo}/manifests/latest`;
      status = 201;
    } else if (x < 0.94) {
      method = 'HEAD';
      uri = `v2/${repo}/blobs/${layers[Math.floor(rand() * layers.length)].digest}`;
    } else if (x < 0.97) {
      uri = `v2/${repo}/tags/list`;
      size = 120;
    } else {
      uri = `v2/${repo}/blobs/${hex(Math.floor(rand() * 2 ** 32))}`;
      status = 404;
      size = 157;
    }
    out.push({
      host: hex(Math.floor(rand() * 4)),
      'http.request.duration': Math.round(rand() * 5e6) / 1e6,
      'http.request.method': method,
      'http.request.remoteaddr': client,
      'http.request.uri': uri,
      'http.request.useragent': 'docker/17.03.1-ce go/go1.7.5 git-commit/c6d412e kernel/4.4.0-78-generic os/linux arch/amd64 UpstreamClient(Docker-Client/17.03.1-ce \\(linux\\))',
      'http.response.status': status,
      'http.response.written': i % 5 === 0 ? `${size}.0` : size,
      id: hex(i * 2246822519) + 'ab',
      timestamp: new Date(t).toISOString(),
    });
  }
  return out;
}

/** Writes records as one JSON array, a record per line, without holding the text in memory. */
export async function writeJsonArray(path: string, count: number, record: (i: number) => TraceRecord): Promise<number> {
  const out = createWriteStream(path);
  let bytes = 0;
  const write = async (s: string) => {
    bytes += Buffer.byteLength(s);
    if (!out.write(s)) await once(out, 'drain');
  };
  await write('[\n');
  for (let i = 0; i < count; i++) await write(`${i ? ',\n' : ''}${JSON.stringify(record(i))}`);
  await write('\n]\n');
  out.end();
  await once(out, 'finish');
  return bytes;
}

/** Chunks of a string cut at the given sizes (cycled). */
export async function* chunked(text: string, sizes: number[]): AsyncGenerator<string> {
  let i = 0;
  let k = 0;
  while (i < text.length) {
    const n = Math.max(1, sizes[k++ % sizes.length]);
    yield text.slice(i, i + n);
    i += n;
  }
}

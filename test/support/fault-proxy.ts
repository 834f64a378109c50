/**
 * A loopback HTTP proxy in front of a real registry that injects faults (dropped connections mid-body, 5xx,
 * 429 with Retry-After), counts blob GETs, can paginate tag lists (distribution 2.8 ignores `n` for tags),
 * can redirect blob GETs to a "storage" origin, and can ask the registry for schema 1 manifests.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export interface Fault {
  /** Requests this fault applies to. */
  method?: string;
  path: RegExp;
  /** Answer with this status instead of forwarding. */
  status?: number;
  retryAfter?: string;
  /** Forward, but close the connection after this many body bytes. */
  dropAfterBytes?: number;
  /** With dropAfterBytes: keep the connection open and silent instead of closing it. */
  stall?: boolean;
  /** Forward the body `bytes` at a time, one piece every `everyMs` (a registry that trickles). */
  trickle?: { bytes: number; everyMs: number };
  /**
   * Announce a Content-Length this many bytes longer than the body, send the whole body, then close the
   * connection (or with `stall`, keep it open and silent).
   */
  extraContentLength?: number;
  /** How many matching requests get the fault (then it is used up). */
  times: number;
}

export interface FaultProxy {
  host: string;
  url: string;
  faults: Fault[];
  /** Blob GETs seen, by digest (every attempt, resumed ones included). */
  blobGets: Map<string, number>;
  /** Range headers seen on blob GETs. */
  ranges: string[];
  /** Every request line seen, "METHOD path". */
  requests: string[];
  /** Authorization headers that reached the storage origin (must stay empty). */
  storageAuthorizations: string[];
  /** Page size for tag lists (tags sorted, `Link` added); 0 passes them through. */
  tagPageSize: number;
  /** Redirect blob GETs to a second origin ("localhost" instead of "127.0.0.1"). */
  redirectBlobs: boolean;
  /** Ask the registry for schema 1 manifests only. */
  schema1: boolean;
  /** Remove Docker-Content-Digest from manifest answers. */
  stripContentDigest: boolean;
  /** Append a byte to manifest bodies (their digest no longer matches). */
  tamperManifests: boolean;
  /** Total blob GETs. */
  blobGetCount(): number;
  /** Forgets the faults and what was seen, and stops redirecting blobs: a clean proxy for the next test. */
  reset(): void;
  stop(): Promise<void>;
}

const blobPath = /^\/v2\/(.+)\/blobs\/(sha256:[0-9a-f]{64})$/;

export async function startFaultProxy(upstream: string): Promise<FaultProxy> {
  const up = new URL(upstream);
  let server: Server;
  const proxy: FaultProxy = {
    host: '',
    url: '',
    faults: [],
    blobGets: new Map(),
    ranges: [],
    requests: [],
    storageAuthorizations: [],
    tagPageSize: 0,
    redirectBlobs: false,
    schema1: false,
    stripContentDigest: false,
    tamperManifests: false,
    blobGetCount: () => [...proxy.blobGets.values()].reduce((a, b) => a + b, 0),
    reset: () => {
      proxy.faults.length = 0;
      proxy.ranges.length = 0;
      proxy.blobGets.clear();
      proxy.redirectBlobs = false;
    },
    stop: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };

  const takeFault = (req: IncomingMessage, path: string): Fault | undefined => {
    const f = proxy.faults.find((x) => x.times > 0 && (!x.method || x.method === req.method) && x.path.test(path));
    if (f) f.times--;
    return f;
  };

  const forward = (req: IncomingMessage, res: ServerResponse, path: string, opts: { dropAfterBytes?: number; stall?: boolean; fault?: Fault; headers?: Record<string, string>; transform?: (status: number, headers: Record<string, string | string[] | undefined>, body: Buffer) => { status: number; headers: Record<string, string | string[] | undefined>; body: Buffer } }) => {
    const headers = { ...req.headers, host: up.host, ...opts.headers };
    const upReq = httpRequest({ host: up.hostname, port: up.port, method: req.method, path, headers }, (upRes) => {
      if (opts.transform) {
        const chunks: Buffer[] = [];
        upRes.on('data', (c: Buffer) => chunks.push(c));
        upRes.on('end', () => {
          const out = opts.transform!(upRes.statusCode ?? 502, { ...upRes.headers }, Buffer.concat(chunks));
          delete out.headers['transfer-encoding'];
          out.headers['content-length'] = String(out.body.length);
          res.writeHead(out.status, out.headers).end(out.body);
        });
        return;
      }
      if (opts.fault?.trickle || opts.fault?.extraContentLength) {
        misbehave(upRes, res, opts.fault);
        return;
      }
      res.writeHead(upRes.statusCode ?? 502, upRes.headers);
      if (opts.dropAfterBytes === undefined) {
        upRes.pipe(res);
        return;
      }
      let sent = 0;
      const limit = opts.dropAfterBytes;
      upRes.on('data', (chunk: Buffer) => {
        if (sent >= limit) return;
        const part = chunk.subarray(0, limit - sent);
        sent += part.length;
        res.write(part, () => {
          if (sent >= limit) {
            upRes.destroy();
            if (!opts.stall) res.socket?.destroy();
          }
        });
      });
      upRes.on('end', () => res.end());
    });
    upReq.on('error', () => res.socket?.destroy());
    req.pipe(upReq);
  };

  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const path = url.pathname;
    proxy.requests.push(`${req.method} ${req.url}`);
    const storage = /^\/_storage(\/v2\/.+)$/.exec(path);
    if (storage) {
      if (req.headers.authorization) proxy.storageAuthorizations.push(req.headers.authorization);
      const { authorization: _drop, ...rest } = req.headers;
      void _drop;
      req.headers = rest;
      forward(req, res, storage[1], {});
      return;
    }
    const blob = blobPath.exec(path);
    if (blob && req.method === 'GET') {
      proxy.blobGets.set(blob[2], (proxy.blobGets.get(blob[2]) ?? 0) + 1);
      if (req.headers.range) proxy.ranges.push(String(req.headers.range));
    }
    const fault = takeFault(req, path);
    if (fault?.status) {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (fault.retryAfter !== undefined) headers['retry-after'] = fault.retryAfter;
      res.writeHead(fault.status, headers).end(JSON.stringify({ errors: [{ code: 'INJECTED', message: `injected ${fault.status}` }] }));
      return;
    }
    if (blob && req.method === 'GET' && proxy.redirectBlobs) {
      const port = (server.address() as { port: number }).port;
      res.writeHead(307, { location: `http://localhost:${port}/_storage${path}` }).end();
      return;
    }
    const tags = /^\/v2\/(.+)\/tags\/list$/.exec(path);
    if (tags && proxy.tagPageSize > 0 && req.method === 'GET') {
      const n = Number(url.searchParams.get('n') ?? proxy.tagPageSize) || proxy.tagPageSize;
      const last = url.searchParams.get('last');
      forward(req, res, `/v2/${tags[1]}/tags/list`, {
        transform: (status, headers, body) => {
          if (status !== 200) return { status, headers, body };
          const doc = JSON.parse(body.toString()) as { name: string; tags: string[] };
          const all = [...doc.tags].sort();
          const start = last ? all.findIndex((t) => t > last) : 0;
          const page = start < 0 ? [] : all.slice(start, start + n);
          if (start >= 0 && start + n < all.length) headers.link = `</v2/${tags[1]}/tags/list?n=${n}&last=${encodeURIComponent(page[page.length - 1])}>; rel="next"`;
          return { status, headers, body: Buffer.from(JSON.stringify({ name: doc.name, tags: page })) };
        },
      });
      return;
    }
    const manifest = /^\/v2\/(.+)\/manifests\/([^/]+)$/.test(path);
    if (manifest && (proxy.schema1 || proxy.stripContentDigest || proxy.tamperManifests)) {
      forward(req, res, req.url ?? path, {
        headers: proxy.schema1 ? { accept: 'application/vnd.docker.distribution.manifest.v1+prettyjws' } : {},
        transform: (status, headers, body) => {
          if (proxy.stripContentDigest) {
            delete headers['docker-content-digest'];
            delete headers.etag;
          }
          if (proxy.tamperManifests && status === 200) body = Buffer.concat([body, Buffer.from(' ')]);
          return { status, headers, body };
        },
      });
      return;
    }
    forward(req, res, req.url ?? path, { dropAfterBytes: fault?.dropAfterBytes, stall: fault?.stall, fault });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  proxy.host = `127.0.0.1:${port}`;
  proxy.url = `http://${proxy.host}`;
  return proxy;
}

/** Sends an upstream answer slowly (`trickle`) or under a Content-Length longer than its body (`extraContentLength`). */
function misbehave(upRes: IncomingMessage, res: ServerResponse, fault: Fault): void {
  const chunks: Buffer[] = [];
  upRes.on('data', (c: Buffer) => chunks.push(c));
  upRes.on('end', () => {
    const body = Buffer.concat(chunks);
    const headers = { ...upRes.headers };
    delete headers['transfer-encoding'];
    headers['content-length'] = String(body.length + (fault.extraContentLength ?? 0));
    res.writeHead(upRes.statusCode ?? 502, headers);
    const finish = () => {
      if (!fault.extraContentLength) res.end();
      else if (!fault.stall) res.socket?.destroy();
    };
    if (!fault.trickle) {
      res.write(body, finish);
      return;
    }
    const { bytes, everyMs } = fault.trickle;
    let sent = 0;
    const timer = setInterval(() => {
      if (sent >= body.length) {
        clearInterval(timer);
        finish();
        return;
      }
      res.write(body.subarray(sent, sent + bytes));
      sent += bytes;
    }, everyMs);
    res.on('close', () => clearInterval(timer));
  });
}

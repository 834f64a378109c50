/**
 * A loopback HTTP server in front of a real registry that answers some paths itself, the way a broken or hostile
 * registry would: endless or looping listings, manifests of thousands of missing layers, huge bodies. Every
 * other request is forwarded to the registry. Huge bodies are written as the client reads them, so the test sees
 * how much was sent before the client closed the connection.
 */
import { createHash } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

/** Answers one request; `url` is the request URL resolved against the server. */
export type Route = (req: IncomingMessage, res: ServerResponse, url: URL) => void;

export interface HostileRegistry {
  host: string;
  /** Handlers by exact path (without the query). */
  routes: Map<string, Route>;
  /** Every request seen, "METHOD path?query". */
  requests: string[];
  stop(): Promise<void>;
}

export const sha256 = (b: Uint8Array): string => 'sha256:' + createHash('sha256').update(b).digest('hex');

export async function startHostileRegistry(upstream: string): Promise<HostileRegistry> {
  const up = new URL(upstream);
  const hostile: HostileRegistry = { host: '', routes: new Map(), requests: [], stop: async () => undefined };
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', `http://${hostile.host}`);
    hostile.requests.push(`${req.method} ${url.pathname}${url.search}`);
    const route = hostile.routes.get(url.pathname);
    if (route) return route(req, res, url);
    const upReq = httpRequest({ host: up.hostname, port: up.port, method: req.method, path: req.url, headers: { ...req.headers, host: up.host } }, (upRes) => {
      res.writeHead(upRes.statusCode ?? 502, upRes.headers);
      upRes.pipe(res);
    });
    upReq.on('error', () => res.socket?.destroy());
    req.pipe(upReq);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  hostile.host = `127.0.0.1:${(server.address() as { port: number }).port}`;
  hostile.stop = () =>
    new Promise((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  return hostile;
}

/** A JSON answer with Content-Type and Content-Length (and more headers, e.g. Link). */
export function sendJson(res: ServerResponse, body: Buffer | object, headers: Record<string, string> = {}, status = 200): void {
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body));
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(bytes.length), ...headers });
  res.end(bytes);
}

/** What a huge body route sent: bytes written before the client closed the connection, and whether all of them. */
export interface HugeBody {
  sent: number;
  finished: boolean;
  closed: Promise<void>;
}

/**
 * A route that sends `total` bytes of `fill` (with Content-Length, or chunked without it), written only as fast
 * as the client reads. `fill` is repeated: a JSON-looking prefix followed by spaces is still being parsed at its end.
 */
export function hugeBody(total: number, options: { contentLength: boolean; contentType: string }): { route: Route; result: HugeBody } {
  let done: () => void = () => undefined;
  const result: HugeBody = { sent: 0, finished: false, closed: new Promise<void>((r) => (done = r)) };
  const chunk = Buffer.alloc(64 * 1024, 0x20);
  chunk.write('{"schemaVersion":2,"padding":"');
  const route: Route = (_req, res) => {
    res.writeHead(200, { 'content-type': options.contentType, ...(options.contentLength ? { 'content-length': String(total) } : {}) });
    res.on('close', () => done());
    const more = () => {
      while (result.sent < total && !res.destroyed) {
        const piece = chunk.subarray(0, Math.min(chunk.length, total - result.sent));
        result.sent += piece.length;
        if (!res.write(piece)) return void res.once('drain', more);
      }
      if (result.sent >= total && !res.destroyed) {
        result.finished = true;
        res.end();
      }
    };
    more();
  };
  return { route, result };
}

/** A registry's 404 for a blob, as the distribution registry answers it. */
export function blobUnknown(res: ServerResponse): void {
  sendJson(res, { errors: [{ code: 'BLOB_UNKNOWN', message: 'blob unknown to registry' }] }, {}, 404);
}

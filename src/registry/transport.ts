import PQueue from 'p-queue';
import { ImgscanError, type ErrorContext } from '../errors.js';
import type { Authenticator } from './auth.js';
import { backoffDelay, parseRetryAfter, sleep } from './backoff.js';
import { readBody, type BodyLimit } from './bounded-body.js';
import { isCertificateError, networkError, responseError } from './http-error.js';
import { redact, redactUrl } from './redact.js';

export interface TransportOptions {
  /** Registry host for messages, e.g. "localhost:5000". */
  registry: string;
  /** Scheme and authority requests go to, e.g. "https://registry-1.docker.io". */
  baseUrl: string;
  auth?: Authenticator;
  /** Retries after the first attempt for 5xx, 429, resets and timeouts (default 5); a refused connection gets one. */
  retries?: number;
  /** First backoff delay in ms (default 250), doubling up to `maxBackoffMs` (default 10 000). */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** Longest Retry-After honoured; a longer one fails at once with RATE_LIMITED (default 120 000 ms). */
  maxRetryAfterMs?: number;
  /** Time allowed until response headers (and for small bodies, the whole body), in ms (default 30 000). */
  timeoutMs?: number;
  /**
   * Time allowed for one request, its retries included, and for one blob read, its resumed reads included; past
   * it the request fails with TIMEOUT (default 0: none; each attempt still has `timeoutMs`).
   */
  timeLimitMs?: number;
  /** Requests in flight to this registry at once, blob streams included (default 8). */
  concurrency?: number;
  /** Redirects followed per request (default 5). */
  maxRedirects?: number;
  userAgent?: string;
  /**
   * Skip TLS certificate verification (for the registry, its token service and storage redirects alike); and when
   * an https base URL does not answer over TLS but its registry API answers over plain HTTP, use HTTP. What docker
   * does for an insecure registry and skopeo with --tls-verify=false.
   */
  insecure?: boolean;
  /**
   * For an http base URL named without a scheme on a loopback address: ask `/v2/` over HTTPS first and use HTTPS
   * when the server speaks TLS there (a refused certificate is then reported, not bypassed), else plain HTTP.
   * What docker does for localhost.
   */
  tlsFirst?: boolean;
  /** Receives one line per retry (and per resumed blob read, and the switch to plain HTTP), already redacted. */
  log?: (message: string) => void;
  /** Replaceable for tests. */
  fetch?: typeof fetch;
}

export interface RegistryRequest {
  method?: string;
  /** Path below the base URL ("/v2/...") or an absolute URL (a `Link` or a redirect target). */
  url: string;
  headers?: Record<string, string>;
  /** Token scope, e.g. "repository:library/alpine:pull" or "registry:catalog:*". */
  scope?: string;
  context?: ErrorContext;
  /** Statuses to return instead of throwing, besides 2xx. */
  accept?: number[];
  signal?: AbortSignal;
  /** The body is streamed by the caller: the timeout covers only the wait for headers. */
  streaming?: boolean;
  /** For `fetchBytes`: a larger body fails (not retried) without being read whole. */
  limit?: BodyLimit;
}

const retryableStatus = new Set([408, 429, 500, 502, 503, 504]);

/**
 * The one way requests reach a registry: authentication, redirects (storage backends), retries with backoff and
 * jitter, Retry-After, timeouts and a per-registry concurrency limit. Errors are typed and carry the URL with
 * secrets removed.
 */
export class Transport {
  readonly registry: string;
  private base: string;
  private readonly queue: PQueue;
  private readonly o: Required<Omit<TransportOptions, 'auth' | 'log' | 'fetch' | 'userAgent'>> & Pick<TransportOptions, 'auth' | 'log' | 'userAgent'>;
  private readonly fetchFn: typeof fetch;
  private prepared: Promise<void> | undefined;
  /** With `insecure`: an undici Agent that does not verify certificates. */
  private dispatcher: unknown;

  constructor(options: TransportOptions) {
    this.registry = options.registry;
    this.base = options.baseUrl.replace(/\/+$/, '');
    this.o = {
      retries: 5,
      backoffMs: 250,
      maxBackoffMs: 10_000,
      maxRetryAfterMs: 120_000,
      timeoutMs: 30_000,
      timeLimitMs: 0,
      concurrency: 8,
      maxRedirects: 5,
      insecure: false,
      tlsFirst: false,
      ...options,
    };
    this.fetchFn = options.fetch ?? fetch;
    this.queue = new PQueue({ concurrency: this.o.concurrency });
  }

  get retries(): number {
    return this.o.retries;
  }

  /** See `TransportOptions.timeLimitMs` (0: none). */
  get timeLimitMs(): number {
    return this.o.timeLimitMs;
  }

  /** Scheme and authority requests go to; with `insecure` it may turn to http on the first request. */
  get baseUrl(): string {
    return this.base;
  }

  /** Waits for a free slot of this registry's limit; call the returned function once to give it back. */
  acquire(): Promise<() => void> {
    return new Promise((resolve) => {
      void this.queue.add(
        () =>
          new Promise<void>((release) => {
            let released = false;
            resolve(() => {
              if (!released) {
                released = true;
                release();
              }
            });
          }),
      );
    });
  }

  /** Sends within a slot and reads the whole body; retries cover failures while reading too. */
  async fetchBytes(req: RegistryRequest): Promise<{ response: Response; body: Buffer }> {
    const release = await this.acquire();
    try {
      return await this.withRetries(req, async (attemptReq) => {
        const response = await this.sendOnce(attemptReq);
        if (!response.ok) return { response, body: Buffer.alloc(0) };
        return { response, body: await readBody(response, attemptReq.limit, attemptReq.context) };
      });
    } finally {
      release();
    }
  }

  /**
   * Sends one logical request (auth, redirects, retries) and returns the response with its body unread. Does not
   * take a slot: the caller holds one (see `acquire`) for as long as it reads the body.
   */
  async send(req: RegistryRequest): Promise<Response> {
    return this.withRetries(req, (attemptReq) => this.sendOnce(attemptReq));
  }

  /** A GET for the token service or another host: retries and timeouts, no registry auth, no slot. */
  sendPlain(url: string, init: RequestInit): Promise<Response> {
    // 4xx answers go back to the caller, which knows what they mean (e.g. refused credentials).
    const accept = Array.from({ length: 100 }, (_, i) => 400 + i).filter((s) => !retryableStatus.has(s));
    const req: RegistryRequest = { url, method: init.method, headers: init.headers as Record<string, string>, accept };
    return this.withRetries(req, async () => {
      const signal = AbortSignal.timeout(this.o.timeoutMs);
      try {
        const response = await this.fetchFn(url, this.init({ ...init, signal, redirect: 'follow', headers: { ...(init.headers as Record<string, string>), ...this.uaHeader() } }));
        // Read the (small) body now so that the timeout covers it and retries can repeat it.
        const body = await response.arrayBuffer();
        return new Response(response.status === 204 ? null : body, { status: response.status, statusText: response.statusText, headers: response.headers });
      } catch (err) {
        throw networkError(req.method ?? 'GET', err, { url: redactUrl(url) });
      }
    });
  }

  /** Passes a line to the `log` hook with secrets removed. */
  log(message: string): void {
    this.o.log?.(redact(message));
  }

  /** Resolves a path or absolute URL against the base URL. */
  resolve(url: string): URL {
    return new URL(url, this.base + '/');
  }

  private uaHeader(): Record<string, string> {
    return this.o.userAgent ? { 'user-agent': this.o.userAgent } : {};
  }

  /** Fetch options, with the dispatcher that skips certificate verification when insecure. */
  private init(init: RequestInit): RequestInit {
    return this.dispatcher ? ({ ...init, dispatcher: this.dispatcher } as RequestInit) : init;
  }

  /** Runs once before the first request: nothing to do unless insecure. */
  private ready(): Promise<void> {
    return (this.prepared ??= this.prepare());
  }

  /**
   * For an insecure registry: the dispatcher that skips verification, then the scheme. `/v2/` is asked over HTTPS;
   * a registry that does not answer there but answers the registry API (200 or 401) over plain HTTP is used over
   * HTTP from then on. When neither answers, requests go on over HTTPS and report what failed there.
   */
  private async prepare(): Promise<void> {
    if (!this.o.insecure) {
      if (this.o.tlsFirst && this.base.startsWith('http:')) await this.preferTls();
      return;
    }
    const { Agent } = await import('undici');
    this.dispatcher = new Agent({ connect: { rejectUnauthorized: false } });
    if (!this.base.startsWith('https:')) return;
    const overTls = await this.probe(this.base);
    if (overTls === undefined) return;
    const plain = `http:${this.base.slice('https:'.length)}`;
    if ((await this.probe(plain, [200, 401])) !== undefined) return;
    this.base = plain;
    this.log(`${this.registry} does not answer HTTPS (${overTls}): using plain HTTP`);
  }

  /** Switches an http base URL to https when the server answers TLS on that port (see `tlsFirst`). */
  private async preferTls(): Promise<void> {
    const tls = `https:${this.base.slice('http:'.length)}`;
    try {
      const response = await this.fetchFn(`${tls}/v2/`, { headers: this.uaHeader(), redirect: 'manual', signal: AbortSignal.timeout(Math.min(this.o.timeoutMs, 5000)) });
      await response.body?.cancel().catch(() => undefined);
      this.base = tls;
    } catch (err) {
      // A refused certificate means the server speaks TLS: requests go there and report it. Anything else
      // (plain HTTP on the port, nothing listening, no answer) leaves the registry on plain HTTP.
      if (isCertificateError(err)) this.base = tls;
    }
  }

  /** One GET of `/v2/`: undefined when it answered (with one of `statuses`, when given), else what went wrong. */
  private async probe(base: string, statuses?: number[]): Promise<string | undefined> {
    const url = `${base}/v2/`;
    try {
      const response = await this.fetchFn(url, this.init({ headers: this.uaHeader(), redirect: 'manual', signal: AbortSignal.timeout(this.o.timeoutMs) }));
      await response.body?.cancel().catch(() => undefined);
      return statuses === undefined || statuses.includes(response.status) ? undefined : `status ${response.status}`;
    } catch (err) {
      return networkError('GET', err, { url: redactUrl(url) }).message.replace(/^GET failed: /, '');
    }
  }

  /**
   * Runs `attempt` until it yields a final answer. A response whose status is retryable is retried (honouring
   * Retry-After); a NETWORK error is retried; anything else is returned or thrown as is. Non-success statuses
   * not listed in `accept` become typed errors.
   */
  private async withRetries<T extends Response | { response: Response }>(req: RegistryRequest, attempt: (req: RegistryRequest) => Promise<T>): Promise<T> {
    await this.ready();
    const method = req.method ?? 'GET';
    const url = this.resolve(req.url);
    const context = { ...req.context, url: redactUrl(url) };
    const deadline = this.o.timeLimitMs > 0 ? Date.now() + this.o.timeLimitMs : undefined;
    /** Throws TIMEOUT when a retry after `delay` would start past the time limit. */
    const inTime = (delay: number, why: string) => {
      if (deadline !== undefined && Date.now() + delay >= deadline) {
        throw new ImgscanError('TIMEOUT', `${method} not answered within the time limit of ${this.o.timeLimitMs / 1000} s (last: ${why})`, context);
      }
    };
    for (let n = 0; ; n++) {
      let result: T;
      try {
        result = await attempt(req);
      } catch (err) {
        const e = err instanceof ImgscanError ? err : networkError(method, err, context);
        // The error says whether retrying can help (a refused connection: one short retry, a blocked port none).
        const refused = e.retry === 'once';
        const allowed = refused ? Math.min(1, this.o.retries) : e.retry === 'yes' ? this.o.retries : 0;
        if (n >= allowed || req.signal?.aborted) throw withUrl(e, context);
        const delay = backoffDelay(n, { baseMs: this.o.backoffMs, maxMs: this.o.maxBackoffMs });
        inTime(delay, e.message);
        this.log(`retry ${n + 1}/${allowed} of ${method} ${context.url} in ${delay} ms: ${refused ? 'connection refused' : e.message}`);
        await sleep(delay, req.signal);
        continue;
      }
      const response = result instanceof Response ? result : result.response;
      if (response.ok || req.accept?.includes(response.status)) return result;
      if (retryableStatus.has(response.status) && n < this.o.retries) {
        const asked = parseRetryAfter(response.headers.get('retry-after'));
        if (asked !== undefined && asked > this.o.maxRetryAfterMs) {
          throw await responseError(method, response, context, `server asks to retry after ${Math.round(asked / 1000)} s`);
        }
        const delay = asked ?? backoffDelay(n, { baseMs: this.o.backoffMs, maxMs: this.o.maxBackoffMs });
        await response.body?.cancel().catch(() => undefined);
        inTime(delay, `status ${response.status}`);
        this.log(`retry ${n + 1}/${this.o.retries} of ${method} ${context.url} in ${delay} ms: status ${response.status}`);
        await sleep(delay, req.signal);
        continue;
      }
      const hint = response.status === 401 && this.o.auth ? this.o.auth.unauthorizedHint() : undefined;
      throw await responseError(method, response, context, hint);
    }
  }

  /**
   * One attempt: auth header, redirects followed by hand. Credentials (the registry's token or password, and an
   * Authorization or Cookie header of the request) go to the registry's own origin only: not to a storage
   * backend a blob is redirected to, nor to another host a `Link` or a redirect points at.
   */
  private async sendOnce(req: RegistryRequest): Promise<Response> {
    const method = req.method ?? 'GET';
    let url = this.resolve(req.url);
    const origin = this.resolve('/').origin;
    let authorization = await this.o.auth?.header(req.scope);
    let authRound = 0;
    for (let redirects = 0; ; ) {
      const own = url.origin === origin;
      const headers: Record<string, string> = { ...this.uaHeader(), ...(own ? req.headers : withoutCredentials(req.headers)) };
      if (authorization && own) headers.authorization = authorization;
      const timer = new AbortController();
      const timeout = setTimeout(() => timer.abort(new DOMException('timed out', 'TimeoutError')), this.o.timeoutMs);
      timeout.unref();
      const signal = req.signal ? AbortSignal.any([req.signal, timer.signal]) : timer.signal;
      let response: Response;
      try {
        response = await this.fetchFn(url, this.init({ method, headers, redirect: 'manual', signal }));
      } catch (err) {
        clearTimeout(timeout);
        throw networkError(method, err, { ...req.context, url: redactUrl(url) });
      }
      if (req.streaming) clearTimeout(timeout);
      if (response.status >= 300 && response.status < 400 && response.headers.get('location')) {
        await response.body?.cancel().catch(() => undefined);
        if (++redirects > this.o.maxRedirects) {
          throw new ImgscanError('REGISTRY_ERROR', `more than ${this.o.maxRedirects} redirects`, { ...req.context, url: redactUrl(url) });
        }
        url = new URL(response.headers.get('location')!, url);
        continue;
      }
      if (response.status === 401 && this.o.auth && url.origin === origin && authRound === 0) {
        authRound++;
        const retry = await this.o.auth.onUnauthorized(response.headers.get('www-authenticate'), req.scope, authorization);
        if (retry) {
          await response.body?.cancel().catch(() => undefined);
          authorization = await this.o.auth.header(req.scope);
          continue;
        }
      }
      return response;
    }
  }
}

function withoutCredentials(headers: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(headers ?? {}).filter(([k]) => !/^(?:authorization|cookie|proxy-authorization)$/i.test(k)));
}

function withUrl(err: ImgscanError, context: ErrorContext): ImgscanError {
  if (!err.context.url && context.url) err.context.url = context.url;
  if (err.message !== redact(err.message)) return new ImgscanError(err.code, redact(err.message), err.context, { cause: err.cause, retry: err.retry });
  return err;
}

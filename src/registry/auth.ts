import { ImgscanError } from '../errors.js';
import type { Credential } from './credentials.js';
import { responseError } from './http-error.js';
import { redactUrl, registerSecret } from './redact.js';

/** One challenge of a WWW-Authenticate header, e.g. Bearer realm="...",service="...",scope="...". */
export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** Parses a WWW-Authenticate header into its challenges (scheme lowercased, quoted values unescaped). */
export function parseChallenges(header: string | null | undefined): Challenge[] {
  const out: Challenge[] = [];
  if (!header) return out;
  let i = 0;
  let current: Challenge | undefined;
  const skip = (chars: RegExp) => {
    while (i < header.length && chars.test(header[i])) i++;
  };
  while (i < header.length) {
    skip(/[\s,]/);
    const start = i;
    skip(/[A-Za-z0-9!#$%&'*+.^_`|~-]/);
    if (i === start) {
      i++;
      continue;
    }
    const name = header.slice(start, i);
    skip(/\s/);
    if (header[i] !== '=') {
      current = { scheme: name.toLowerCase(), params: {} };
      out.push(current);
      continue;
    }
    i++;
    skip(/\s/);
    let value = '';
    if (header[i] === '"') {
      i++;
      while (i < header.length && header[i] !== '"') {
        if (header[i] === '\\') i++;
        value += header[i] ?? '';
        i++;
      }
      i++;
    } else {
      const vs = i;
      skip(/[^,\s]/);
      value = header.slice(vs, i);
    }
    if (current) current.params[name.toLowerCase()] = value;
  }
  return out;
}

/** Sends a request without registry auth (used for the token service), with the transport's retries. */
export type TokenSender = (url: string, init: RequestInit) => Promise<Response>;

interface CachedToken {
  header: string;
  expiresAt: number;
}

export interface AuthenticatorOptions {
  registry: string;
  credential?: Credential;
  send: TokenSender;
  now?: () => number;
}

/**
 * Answers "which Authorization header for this scope". Learns the scheme from the first 401 challenge; after
 * that, bearer tokens for new scopes are fetched without a round trip. Tokens are cached per scope until shortly
 * before `expires_in` runs out (60 s when the service does not say).
 */
export class Authenticator {
  private scheme: 'basic' | 'bearer' | undefined;
  private realm: string | undefined;
  private service: string | undefined;
  private readonly tokens = new Map<string, CachedToken>();
  private readonly pending = new Map<string, Promise<string>>();
  private readonly challengeScopes = new Map<string, string>();
  private readonly now: () => number;

  constructor(private readonly opts: AuthenticatorOptions) {
    this.now = opts.now ?? Date.now;
    const c = opts.credential;
    registerSecret(c?.password);
    registerSecret(c?.identityToken);
    registerSecret(c?.registryToken);
    if (c?.username && c.password) registerSecret(`${c.username}:${c.password}`);
  }

  get hasCredential(): boolean {
    const c = this.opts.credential;
    return Boolean((c?.username && c.password) || c?.identityToken || c?.registryToken);
  }

  /** The Authorization header to send for a request needing `scope`, or undefined when none is known yet. */
  async header(scope: string | undefined): Promise<string | undefined> {
    if (this.opts.credential?.registryToken) return `Bearer ${this.opts.credential.registryToken}`;
    if (this.scheme === 'basic') return this.basicHeader();
    if (this.scheme === 'bearer') return this.token(scope ?? '');
    return undefined;
  }

  /**
   * Handles a 401 answer: learns the scheme, drops the header that was refused and prepares a new one.
   * Returns false when a retry cannot help (no usable challenge, basic credentials refused or missing).
   */
  async onUnauthorized(wwwAuthenticate: string | null, scope: string | undefined, refused: string | undefined): Promise<boolean> {
    if (this.opts.credential?.registryToken) return false;
    const challenges = parseChallenges(wwwAuthenticate);
    const bearer = challenges.find((c) => c.scheme === 'bearer' && c.params.realm);
    if (bearer) {
      this.scheme = 'bearer';
      this.realm = bearer.params.realm;
      this.service = bearer.params.service;
      const key = scope ?? bearer.params.scope ?? '';
      const cached = this.tokens.get(key);
      if (cached && cached.header === refused) this.tokens.delete(key);
      // The challenge may name a wider scope than the caller asked for (e.g. several repositories).
      if (bearer.params.scope && bearer.params.scope !== key) this.challengeScopes.set(key, bearer.params.scope);
      await this.token(key);
      return true;
    }
    if (challenges.some((c) => c.scheme === 'basic')) {
      this.scheme = 'basic';
      return this.basicHeader() !== undefined && refused !== this.basicHeader();
    }
    return false;
  }

  /** Why a 401 could not be resolved, for the error message. */
  unauthorizedHint(): string {
    return this.hasCredential ? `credentials for ${this.opts.registry} were not accepted` : `authentication required: no credentials for ${this.opts.registry}`;
  }

  private basicHeader(): string | undefined {
    const c = this.opts.credential;
    if (!c?.username || c.password === undefined) return undefined;
    return `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
  }

  private async token(scope: string): Promise<string> {
    const cached = this.tokens.get(scope);
    if (cached && cached.expiresAt > this.now()) return cached.header;
    let pending = this.pending.get(scope);
    if (!pending) {
      pending = this.fetchToken(scope).finally(() => this.pending.delete(scope));
      this.pending.set(scope, pending);
    }
    return pending;
  }

  private async fetchToken(scope: string): Promise<string> {
    const realm = new URL(this.realm!);
    const scopes = (this.challengeScopes.get(scope) ?? scope).split(' ').filter(Boolean);
    const c = this.opts.credential;
    let response: Response;
    const context = { url: redactUrl(realm) };
    if (c?.identityToken) {
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: c.identityToken, client_id: 'imgscan' });
      if (this.service) form.set('service', this.service);
      if (scopes.length) form.set('scope', scopes.join(' '));
      response = await this.opts.send(realm.toString(), { method: 'POST', body: form, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    } else {
      if (this.service) realm.searchParams.set('service', this.service);
      for (const s of scopes) realm.searchParams.append('scope', s);
      const headers: Record<string, string> = {};
      const basic = this.basicHeader();
      if (basic) headers.authorization = basic;
      response = await this.opts.send(realm.toString(), { method: 'GET', headers });
    }
    if (!response.ok) {
      const hint = response.status === 401 ? `token service refused the credentials for ${this.opts.registry}` : 'token request failed';
      throw await responseError('token GET', response, context, hint);
    }
    let body: { token?: string; access_token?: string; expires_in?: number };
    try {
      body = (await response.json()) as typeof body;
    } catch {
      throw new ImgscanError('REGISTRY_ERROR', 'token service answered with a body that is not JSON', context);
    }
    const token = body.token ?? body.access_token;
    if (!token) throw new ImgscanError('REGISTRY_ERROR', 'token service answered without a token', context);
    registerSecret(token);
    const lifetime = (typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : 60) * 1000;
    // Refresh a little early so that a token does not expire in flight.
    const header = `Bearer ${token}`;
    this.tokens.set(scope, { header, expiresAt: this.now() + lifetime - Math.min(30_000, lifetime / 10) });
    return header;
  }
}

import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ImgscanError } from '../errors.js';
import { redact, registerSecret } from './redact.js';

/** What a registry login can be made of. Every field is a secret except `username`. */
export interface Credential {
  username?: string;
  password?: string;
  /** OAuth2 refresh token (docker config `identitytoken`, or a helper answering Username "<token>"). */
  identityToken?: string;
  /** A bearer token sent as is (docker config `registrytoken`). */
  registryToken?: string;
}

/** Where credentials come from, highest priority first: flags, environment, docker config (helpers, then auths). */
export interface CredentialSources {
  /** From command-line flags; apply to the target registry. */
  username?: string;
  password?: string;
  /** Environment to read IMGSCAN_REGISTRY_USERNAME / IMGSCAN_REGISTRY_PASSWORD from (default: process.env). */
  env?: NodeJS.ProcessEnv;
  /** Path of the docker config file (default: $DOCKER_CONFIG/config.json, else ~/.docker/config.json). */
  dockerConfig?: string | false;
  /** Runs `docker-credential-NAME get`; replaceable for tests. */
  runHelper?: (helper: string, serverUrl: string) => Promise<string>;
}

export const envUsername = 'IMGSCAN_REGISTRY_USERNAME';
export const envPassword = 'IMGSCAN_REGISTRY_PASSWORD';

interface DockerConfig {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string; registrytoken?: string }>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
}

/** The name docker uses for Docker Hub in config files and helper calls. */
const dockerHubKey = 'https://index.docker.io/v1/';

/** Normalizes a config key or server URL to a host[:port] ("docker.io" for Docker Hub). */
export function normalizeServer(key: string): string {
  let host = key.trim().replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').replace(/\/.*$/, '').toLowerCase();
  if (host === 'index.docker.io' || host === 'registry-1.docker.io' || host === 'registry.hub.docker.com') host = 'docker.io';
  return host;
}

/** Finds credentials for a registry host; undefined means anonymous. */
export async function resolveCredential(registry: string, sources: CredentialSources = {}): Promise<Credential | undefined> {
  if (sources.username !== undefined || sources.password !== undefined) {
    return checked({ username: sources.username, password: sources.password }, 'flags');
  }
  const env = sources.env ?? process.env;
  if (env[envUsername] !== undefined || env[envPassword] !== undefined) {
    return checked({ username: env[envUsername], password: env[envPassword] }, `${envUsername}/${envPassword}`);
  }
  if (sources.dockerConfig === false) return undefined;
  const path = sources.dockerConfig ?? join(env.DOCKER_CONFIG ?? join(homedir(), '.docker'), 'config.json');
  const config = await readDockerConfig(path);
  if (!config) return undefined;
  return fromDockerConfig(registry, config, sources.runHelper ?? runCredentialHelper, path);
}

function checked(c: Credential, where: string): Credential {
  if (!c.username || c.password === undefined) {
    throw new ImgscanError('USAGE', `credentials from ${where} need both a username and a password`);
  }
  registerSecret(c.password);
  return c;
}

async function readDockerConfig(path: string): Promise<DockerConfig | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
  try {
    return JSON.parse(text) as DockerConfig;
  } catch {
    // Never echo the file: it holds secrets.
    throw new ImgscanError('USAGE', 'docker config file is not valid JSON', { path });
  }
}

async function fromDockerConfig(registry: string, config: DockerConfig, runHelper: NonNullable<CredentialSources['runHelper']>, path: string): Promise<Credential | undefined> {
  const host = normalizeServer(registry);
  const serverUrl = host === 'docker.io' ? dockerHubKey : host;
  const helperKey = Object.keys(config.credHelpers ?? {}).find((k) => normalizeServer(k) === host);
  if (helperKey) return fromHelper(config.credHelpers![helperKey], helperKey, runHelper);
  const authKey = Object.keys(config.auths ?? {}).find((k) => normalizeServer(k) === host);
  const entry = authKey ? config.auths![authKey] : undefined;
  if (entry && (entry.auth || entry.username || entry.identitytoken || entry.registrytoken)) {
    const c: Credential = {};
    if (entry.auth) {
      const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 0) throw new ImgscanError('USAGE', `docker config entry for ${host} has a malformed "auth" value`, { path });
      c.username = decoded.slice(0, colon);
      c.password = decoded.slice(colon + 1);
    } else if (entry.username) {
      c.username = entry.username;
      c.password = entry.password;
    }
    if (entry.identitytoken) c.identityToken = entry.identitytoken;
    if (entry.registrytoken) c.registryToken = entry.registrytoken;
    registerSecret(c.password);
    registerSecret(c.identityToken);
    registerSecret(c.registryToken);
    return c;
  }
  if (config.credsStore) return fromHelper(config.credsStore, serverUrl, runHelper);
  return undefined;
}

async function fromHelper(helper: string, serverUrl: string, runHelper: NonNullable<CredentialSources['runHelper']>): Promise<Credential | undefined> {
  let out: string;
  try {
    out = await runHelper(helper, serverUrl);
  } catch (err) {
    const text = redact(String((err as Error).message ?? err));
    // Helpers report a missing entry as "credentials not found in native keychain": anonymous then.
    if (/credentials not found/i.test(text)) return undefined;
    throw new ImgscanError('USAGE', `credential helper docker-credential-${helper} failed: ${text}`);
  }
  let doc: { Username?: string; Secret?: string };
  try {
    doc = JSON.parse(out) as typeof doc;
  } catch {
    throw new ImgscanError('USAGE', `credential helper docker-credential-${helper} answered with something that is not JSON`);
  }
  if (!doc.Secret) return undefined;
  registerSecret(doc.Secret);
  if (doc.Username === '<token>') return { identityToken: doc.Secret };
  return { username: doc.Username, password: doc.Secret };
}

/** Runs `docker-credential-NAME get` with the server URL on stdin and returns its stdout. */
export function runCredentialHelper(helper: string, serverUrl: string): Promise<string> {
  if (!/^[A-Za-z0-9._-]+$/.test(helper)) return Promise.reject(new ImgscanError('USAGE', `bad helper name "${helper}"`));
  return new Promise((resolve, reject) => {
    const child = execFile(`docker-credential-${helper}`, ['get'], { timeout: 30_000, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new ImgscanError('USAGE', (stdout || stderr || err.message).trim(), {}, { cause: err }));
      else resolve(stdout);
    });
    child.stdin?.end(serverUrl + '\n');
  });
}

import { ImgscanError } from '../errors.js';
import { readStdin } from './stdin.js';

export interface CredentialFlags {
  username?: string;
  passwordStdin: boolean;
  /** Environment read for IMGSCAN_USERNAME / IMGSCAN_PASSWORD (default: process.env). */
  env?: NodeJS.ProcessEnv;
  /** Where --password-stdin reads the password (default: standard input). */
  readPassword?: () => Promise<string>;
}

/**
 * Credentials from --username and --password-stdin, then IMGSCAN_USERNAME / IMGSCAN_PASSWORD; {} leaves the
 * client's own search (registry environment, docker config). A username without password, or the reverse, is a
 * USAGE error naming what was given.
 */
export async function credentialsFrom(flags: CredentialFlags): Promise<{ username?: string; password?: string }> {
  const { username, passwordStdin } = flags;
  const env = flags.env ?? process.env;
  const password = passwordStdin ? await (flags.readPassword ?? readStdin)() : env.IMGSCAN_PASSWORD;
  const user = username ?? env.IMGSCAN_USERNAME;
  if (passwordStdin && user === undefined) throw new ImgscanError('USAGE', '--password-stdin needs --username (or IMGSCAN_USERNAME)');
  if (user === undefined && password === undefined) return {};
  if (user === undefined || password === undefined) {
    const has = [username !== undefined ? '--username' : user !== undefined ? 'IMGSCAN_USERNAME' : undefined, passwordStdin ? '--password-stdin' : password !== undefined ? 'IMGSCAN_PASSWORD' : undefined].filter(Boolean);
    throw new ImgscanError('USAGE', `${has.join(' and ')} given without ${user === undefined ? 'a username (--username or IMGSCAN_USERNAME)' : 'a password (--password-stdin or IMGSCAN_PASSWORD)'}`);
  }
  return { username: user, password };
}

import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ImgscanError } from '../../../src/errors.js';
import { credentialsFrom } from '../../../src/cli/credentials.js';
import { readStdin } from '../../../src/cli/stdin.js';

const noPassword = () => Promise.reject(new ImgscanError('INTERNAL', 'stdin read without --password-stdin'));

async function usage(p: Promise<unknown>): Promise<string> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(ImgscanError);
  expect((err as ImgscanError).code).toBe('USAGE');
  return (err as ImgscanError).message;
}

describe('credentialsFrom', () => {
  it('takes the username from the flag and the password from stdin', async () => {
    const creds = await credentialsFrom({ username: 'me', passwordStdin: true, env: {}, readPassword: async () => 's3cret' });
    expect(creds).toEqual({ username: 'me', password: 's3cret' });
  });

  it('falls back to IMGSCAN_USERNAME and IMGSCAN_PASSWORD', async () => {
    const env = { IMGSCAN_USERNAME: 'ci', IMGSCAN_PASSWORD: 'token' };
    expect(await credentialsFrom({ passwordStdin: false, env, readPassword: noPassword })).toEqual({ username: 'ci', password: 'token' });
  });

  it('gives nothing when neither flags nor environment name a user, leaving the client its own search', async () => {
    expect(await credentialsFrom({ passwordStdin: false, env: {}, readPassword: noPassword })).toEqual({});
  });

  it('refuses --password-stdin without a username', async () => {
    expect(await usage(credentialsFrom({ passwordStdin: true, env: {}, readPassword: async () => 'x' }))).toBe('--password-stdin needs --username (or IMGSCAN_USERNAME)');
  });

  it('names what was given when the password is missing', async () => {
    expect(await usage(credentialsFrom({ username: 'me', passwordStdin: false, env: {}, readPassword: noPassword }))).toBe('--username given without a password (--password-stdin or IMGSCAN_PASSWORD)');
  });

  it('names the environment variable when only the password is set', async () => {
    expect(await usage(credentialsFrom({ passwordStdin: false, env: { IMGSCAN_PASSWORD: 'x' }, readPassword: noPassword }))).toBe('IMGSCAN_PASSWORD given without a username (--username or IMGSCAN_USERNAME)');
  });
});

describe('readStdin', () => {
  it('joins the chunks and drops one trailing newline', async () => {
    expect(await readStdin(Readable.from([Buffer.from('pa'), Buffer.from('ss\r\n')]))).toBe('pass');
    expect(await readStdin(Readable.from([Buffer.from('two\n\n')]))).toBe('two\n');
  });
});

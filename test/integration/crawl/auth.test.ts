/** Crawls of registries behind basic auth (htpasswd, bcrypt) and token auth; the password shows up nowhere. */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../support/dataset.js';
import { run } from '../../support/exec.js';
import { buildFixtures, type Fixtures } from '../../support/fixtures.js';
import { startRegistry, type TestRegistry } from '../../support/registry.js';
import { startTokenServer, type TokenServer } from '../../support/token-server.js';
import { crawledRows, expectedCrawl, missingTools, populate, type Expected, type Pushed } from './setup.js';

const missing = await missingTools(['htpasswd', 'openssl']);
const creds = { username: 'crawler', password: 'Pa55-w0rd-crawl-7731' };
const secrets = [creds.password, Buffer.from(`${creds.username}:${creds.password}`).toString('base64'), Buffer.from(creds.password).toString('base64')];

let tmp: string;
let fx: Fixtures;
let dockerConfig: string;

/** Runs the CLI with stdin and environment of the test's choosing; never rejects on exit status. */
async function crawlCli(args: string[], options: { input?: string; env?: Record<string, string> } = {}) {
  const r = await run(process.execPath, [join(repoRoot, 'bin', 'run.js'), 'crawl', ...args], {
    input: options.input,
    env: { DOCKER_CONFIG: dockerConfig, ...options.env },
    okCodes: [0, 1, 2, 3],
  });
  return { code: r.code, stdout: r.stdout.toString('utf8'), stderr: r.stderr };
}

/** Every file under a directory, as bytes. */
async function filesUnder(dir: string): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) if (e.isFile()) out.push(await readFile(join(e.parentPath, e.name)));
  return out;
}

function expectNoSecret(text: string | Buffer, where: string) {
  for (const s of secrets) expect(Buffer.from(text).includes(s), `${where} shows the password`).toBe(false);
}

beforeAll(async () => {
  if (missing.length) return;
  tmp = await mkdtemp(join(tmpdir(), 'imgscan-crawl-auth-'));
  dockerConfig = join(tmp, 'docker-config');
  fx = await buildFixtures(join(tmp, 'fixtures'));
});
afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

for (const mode of ['basic', 'token'] as const) {
  describe.skipIf(missing.length > 0)(`imgscan crawl with ${mode} auth`, () => {
    let registry: TestRegistry;
    let token: TokenServer | undefined;
    let pushed: Pushed[];
    let expected: Expected;

    beforeAll(async () => {
      token = mode === 'token' ? await startTokenServer({ [creds.username]: creds.password }) : undefined;
      registry = await startRegistry(mode === 'basic' ? { htpasswd: creds } : { token });
      pushed = await populate(registry, fx, creds);
      expected = await expectedCrawl(registry, pushed, { creds });
    });
    afterAll(async () => {
      await registry?.stop();
      await token?.stop();
    });

    it('crawls with the right credentials from --password-stdin, the password nowhere in the output or the dataset', async () => {
      const viaStdin = join(tmp, `${mode}-stdin`);
      const a = await crawlCli([registry.host, '--platform', 'all', '--username', creds.username, '--password-stdin', '--data', viaStdin], { input: `${creds.password}\n` });
      expect(a.code, a.stderr).toBe(0);
      expect(a.stderr).toMatch(/images/); // progress and the summary went out, with no secret in them
      const rows = await crawledRows(viaStdin);
      expect(rows.images).toEqual(expected.images);
      expect(rows.files).toEqual(expected.files);
      expectNoSecret(a.stdout, 'stdout');
      expectNoSecret(a.stderr, 'stderr');
      for (const f of await filesUnder(viaStdin)) expectNoSecret(f, `a file under ${viaStdin}`);
    });

    it('crawls with the right credentials from the environment, the password nowhere in the output or the dataset', async () => {
      const viaEnv = join(tmp, `${mode}-env`);
      const b = await crawlCli([registry.host, '--platform', 'all', '--data', viaEnv, '--json'], { env: { IMGSCAN_USERNAME: creds.username, IMGSCAN_PASSWORD: creds.password } });
      expect(b.code, b.stderr).toBe(0);
      expect(JSON.parse(b.stdout)).toMatchObject({ failures: 0, images_stored: expected.images.size });
      expectNoSecret(b.stdout, 'stdout');
      expectNoSecret(b.stderr, 'stderr');
      for (const f of await filesUnder(viaEnv)) expectNoSecret(f, `a file under ${viaEnv}`);
    });

    /** The failed run shows neither the password nor the wrong one it was given. */
    function expectNoPassword(r: { stdout: string; stderr: string }) {
      expectNoSecret(r.stdout, 'stdout');
      expectNoSecret(r.stderr, 'stderr');
      expect(r.stderr).not.toContain(`${creds.password}-wrong`);
    }

    it('without credentials, fails a registry crawl with "unauthorized" and exit status 1', async () => {
      const none = await crawlCli([registry.host, '--data', join(tmp, `${mode}-none`)]);
      expect(none.code).toBe(1);
      expect(none.stderr).toMatch(/unauthorized/i);
      expectNoPassword(none);
    });

    it('without credentials, fails an image crawl with "unauthorized" and exit status 1', async () => {
      const image = await crawlCli([`${registry.host}/apps/app1:latest`, '--data', join(tmp, `${mode}-none-image`)]);
      expect(image.code).toBe(1);
      expect(image.stderr).toMatch(/unauthorized/i);
      expectNoPassword(image);
    });

    it('with a wrong password, fails with "unauthorized" and exit status 1, the password in no file written', async () => {
      const wrongDir = join(tmp, `${mode}-wrong`);
      const wrong = await crawlCli([registry.host, '--username', creds.username, '--password-stdin', '--data', wrongDir], { input: `${creds.password}-wrong\n` });
      expect(wrong.code).toBe(1);
      expect(wrong.stderr).toMatch(/unauthorized/i);
      expectNoPassword(wrong);
      for (const f of await filesUnder(wrongDir)) {
        expectNoSecret(f, 'a file of the failed crawl');
        expect(f.includes(`${creds.password}-wrong`)).toBe(false);
      }
    });

    it('with a wrong password and --json, the error code is UNAUTHORIZED', async () => {
      const json = await crawlCli([registry.host, '--username', creds.username, '--password-stdin', '--json', '--data', join(tmp, `${mode}-json`)], { input: `${creds.password}-wrong\n` });
      expect(json.code).toBe(1);
      expect(JSON.parse(json.stdout).error.code).toBe('UNAUTHORIZED');
      expectNoPassword(json);
    });
  });
}

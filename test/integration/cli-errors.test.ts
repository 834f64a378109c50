import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeOciLayout } from '../../src/demo/layout-writer.js';
import { cli } from '../support/dataset.js';

// Errors a user meets before any work starts: each is one clear message (one JSON error object with --json),
// exit 2, no credentials, nothing written.
let work: string;
let layout: string;
let data: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'imgscan-cli-errors-'));
  layout = join(work, 'layout');
  await writeOciLayout(layout, [{ tag: 'a', layers: [[{ type: 'file', path: 'a', content: Buffer.from('a\n') }]] }]);
  data = join(work, 'data');
  const r = await cli(['scan', `oci:${layout}`, '--data', data, '--json']);
  expect(r.code, r.stderr).toBe(0);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const jsonError = (stdout: string) => (JSON.parse(stdout) as { error: { code: string; message: string } }).error;

describe('usage errors', () => {
  it('a flag oclif refuses is a USAGE error object with --json, exit 2, not a dump of the CLI config', async () => {
    for (const args of [['scan', '--bogus', 'x', '--json'], ['scan', '--workers', 'abc', `oci:${layout}`, '--json']]) {
      const r = await cli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(jsonError(r.stdout).code).toBe('USAGE');
      expect(r.stdout.length).toBeLessThan(1000);
    }
    const plain = await cli(['scan', '--bogus', 'x']);
    expect(plain.code).toBe(2);
    expect(plain.stderr).toMatch(/^Error: Nonexistent flag: --bogus/);
  });

  it('a password in a refused reference is masked', async () => {
    const r = await cli(['crawl', 'docker://bob:SeCrEt-pw-123@127.0.0.1:1/team/app', '--json'], { IMGSCAN_USERNAME: 'bob', IMGSCAN_PASSWORD: 'SeCrEt-pw-123' });
    expect(r.code).toBe(2);
    expect(jsonError(r.stdout).code).toBe('REF_INVALID');
    expect(r.stdout + r.stderr).not.toContain('SeCrEt-pw-123');
  });

  it('bad chunk sizes are one usage error before any layer is read', async () => {
    const fresh = join(work, 'data-chunks');
    const r = await cli(['scan', `oci:${layout}`, '--data', fresh, '--chunking', '--chunk-avg', '1000', '--chunk-min', '5000', '--keep-going']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/chunk sizes need 64 <= min <= avg <= max.*\[USAGE\]/);
    expect(r.stderr).not.toContain('images 0');
    expect(existsSync(fresh)).toBe(false);
  });

  it('analyze names every --data that holds no dataset', async () => {
    const empty = join(work, 'empty');
    mkdirSync(empty);
    const r = await cli(['analyze', '--data', data, '--data', empty, '--data', join(work, 'typo'), '--json']);
    expect(r.code).toBe(2);
    expect(jsonError(r.stdout).message).toContain(`no dataset at ${empty}, ${join(work, 'typo')}`);
  });

  it('a password without a username says what is wrong, without the password', async () => {
    const r = await cli(['crawl', '127.0.0.1:1/team/app'], { IMGSCAN_PASSWORD: 'pw-only-1234' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('IMGSCAN_PASSWORD given without a username');
    expect(r.stderr).not.toContain('pw-only-1234');
  });

  it('a file as --data says what is wrong', async () => {
    const file = join(layout, 'index.json');
    const f = await cli(['scan', `oci:${layout}`, '--data', file]);
    expect(f.code).toBe(2);
    expect(f.stderr).toContain(`--data ${file} is a file, not a dataset directory`);
  });
});

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

  it('a bad --chunking spec is one usage error naming the bad part, before any layer is read', async () => {
    const fresh = join(work, 'data-chunks');
    const cases: [string[], RegExp][] = [
      [['--chunking', 'fastcdc:16k,fixed:3000'], /--chunking: "fixed:3000" is out of range: a fixed chunk size must be a power of two from 4096 to 16777216 bytes.*\[USAGE\]/],
      [['--chunking', 'fastcdc:1000:5000:8000'], /"fastcdc:1000:5000:8000" is out of range: chunk sizes need 64 <= min <= avg <= max.*\[USAGE\]/],
      [['--chunking', 'rollsum:64k,cdc:8k'], /"cdc:8k" names no chunker.*\[USAGE\]/],
      // The sizes of the old flags now go in the spec.
      [['--chunking', 'fastcdc', '--chunk-avg', '1000'], /--chunk-avg is gone: give the sizes in --chunking.*\[USAGE\]/],
    ];
    for (const [flags, message] of cases) {
      const r = await cli(['scan', `oci:${layout}`, '--data', fresh, ...flags, '--keep-going']);
      expect(r.code, flags.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toContain('images 0');
      expect(existsSync(fresh)).toBe(false);
    }
    const bare = await cli(['scan', `oci:${layout}`, '--data', fresh, '--chunking']);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toMatch(/--chunking/);
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

/**
 * The crawl against registries that cannot be reached or misbehave at the transport level: what the CLI prints,
 * its exit status, and that the rows of an earlier crawl in the same dataset stay as they were.
 */
import { readdir, readFile } from 'node:fs/promises';
import { createServer as createHttpServer, request as httpRequest, type Server } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient } from '../../../src/registry/client.js';
import { cli, type CliRun, datasetRows, queryDataset, rowKey, type DatasetRows } from '../../support/dataset.js';
import type { FailureRow } from '../../../src/model/rows.js';
import { tableNames } from '../../../src/model/schema.js';
import { startFaultProxy, type FaultProxy } from '../../support/fault-proxy.js';
import { missingTools, startWorld, type World } from './setup.js';

const missing = await missingTools();

/** A loopback port nothing listens on: bound by the system, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

function occurrences(text: string, needle: string): number {
  return text.split(needle).length - 1;
}

/** Every table but failures as it was, and the failures table grown by rows of the given code only. */
async function expectRowsKept(dir: string, before: DatasetRows, code: string): Promise<Omit<FailureRow, 'failed_at'>[]> {
  const after = await datasetRows(dir);
  for (const table of tableNames) if (table !== 'failures') expect(after[table], table).toEqual(before[table]);
  const kept = new Set(before.failures.map(rowKey));
  const added = after.failures.filter((r) => !kept.has(rowKey(r)));
  expect(added.length).toBeGreaterThan(0);
  for (const row of added) expect(row.code).toBe(code);
  return added;
}

describe.skipIf(missing.length > 0)('imgscan crawl at the transport level', () => {
  let world: World;
  let base: string;

  beforeAll(async () => {
    world = await startWorld();
    base = `${world.registry.host}/lib/base:latest`;
  });
  afterAll(async () => {
    await proxy?.stop();
    await world?.stop();
  });

  let proxy: FaultProxy;
  beforeAll(async () => {
    proxy = await startFaultProxy(world.registry.url);
  });

  /** A dataset holding one crawled image, and its rows. */
  async function seeded(name: string): Promise<{ dir: string; before: DatasetRows }> {
    const dir = join(world.tmp, name);
    const seed = await cli(['crawl', base, '--data', dir, '--workers', '0', '--json']);
    expect(seed.code, seed.stderr).toBe(0);
    const before = await datasetRows(dir);
    expect(before.layers.length).toBeGreaterThan(0);
    return { dir, before };
  }

  describe('a closed port', () => {
    let dir: string;
    let before: DatasetRows;
    let port: number;
    const message = () => `registry not reachable at 127.0.0.1:${port}: connection refused`;

    beforeAll(async () => {
      ({ dir, before } = await seeded('refused'));
      port = await closedPort();
    });

    it('is one UNREACHABLE error naming the host, printed once, retried once at most, exit 1, earlier rows intact', async () => {
      const started = Date.now();
      const run = await cli(['crawl', `127.0.0.1:${port}/x:y`, '--data', dir]);
      expect(run.code).toBe(1);
      expect(occurrences(run.stderr, message()), run.stderr).toBe(1);
      expect(run.stderr).toContain('[UNREACHABLE]');
      // At most one short retry, and no progress line for a crawl that read nothing.
      expect(run.stderr.split('\n').filter((l) => l.includes('retry')).length).toBeLessThanOrEqual(1);
      expect(run.stderr).not.toMatch(/^images \d+/m);
      expect(Date.now() - started).toBeLessThan(15_000);
      const [row] = await expectRowsKept(dir, before, 'UNREACHABLE');
      expect(row).toMatchObject({ scope: 'image', target: `127.0.0.1:${port}/x:y`, message: message() });
    });

    it('with --json, is the UNREACHABLE error as JSON, the message at most once on each stream', async () => {
      const json = await cli(['crawl', `127.0.0.1:${port}/x:y`, '--data', dir, '--json']);
      expect(json.code).toBe(1);
      expect(JSON.parse(json.stdout)).toMatchObject({ error: { code: 'UNREACHABLE', message: message() } });
      expect(occurrences(json.stderr + json.stdout, message())).toBeLessThanOrEqual(2);
    });
  });

  it('port 1, which fetch refuses, is named once with another port suggested, not retried, exit 1', async () => {
    const { dir, before } = await seeded('blocked');
    const run = await cli(['crawl', '127.0.0.1:1/x:y', '--data', dir]);
    expect(run.code).toBe(1);
    const message = 'fetch refuses to connect to port 1 (127.0.0.1:1): it is one of the ports browsers block; run the registry on another port, e.g. 5000';
    expect(occurrences(run.stderr, message), run.stderr).toBe(1);
    expect(run.stderr).not.toContain('retry');
    expect(run.stderr).not.toContain('bad port');
    await expectRowsKept(dir, before, 'UNREACHABLE');
  });

  /** The largest layer of apps/app1 that lib/base does not have (so a seeded dataset does not hold it). */
  async function ownLayer(): Promise<{ digest: string; size: number }> {
    const client = new RegistryClient(world.registry.host);
    const layers = async (repo: string) => {
      const m = await client.manifest(repo, 'latest');
      if (m.document.kind !== 'manifest') throw new Error(`${repo} is not an image manifest`);
      return m.document.manifest.layers;
    };
    const base = new Set((await layers('lib/base')).map((l) => l.digest));
    return (await layers('apps/app1')).filter((l) => !base.has(l.digest)).sort((a, b) => b.size - a.size)[0];
  }

  it('--timeout gives up a layer that trickles: TIMEOUT naming the layer, exit 3, earlier rows intact', async () => {
    const { dir, before } = await seeded('timeout');
    const layer = await ownLayer();
    expect(layer.size).toBeGreaterThan(30_000);
    // 1 000 bytes every 100 ms: far above the default progress rule, but the layer takes longer than 2 s.
    proxy.faults.push({ method: 'GET', path: new RegExp(`/blobs/${layer.digest}$`), trickle: { bytes: 1000, everyMs: 100 }, times: 99 });
    const started = Date.now();
    const run = await cli(['crawl', `${proxy.host}/apps/app1:latest`, '--data', dir, '--timeout', '2s', '--workers', '0']);
    proxy.faults.length = 0;
    expect(run.code, run.stderr).toBe(3);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(run.stderr).toContain('blob not read within the time limit of 2 s');
    const failures = await queryDataset<{ scope: string; layer_digest: string; code: string; message: string }>(dir, "SELECT scope, layer_digest, code, message FROM failures WHERE code = 'TIMEOUT'");
    expect(failures).toEqual([expect.objectContaining({ layer_digest: layer.digest, code: 'TIMEOUT' })]);
    const after = await datasetRows(dir);
    for (const row of before.layers) expect(after.layers).toContainEqual(row);
    for (const row of before.files) expect(after.files).toContainEqual(row);
    expect(after.layers.map((r) => r.layer_digest)).not.toContain(layer.digest);
  });

  it('a --timeout that is not a duration is a usage error naming it', async () => {
    const bad = await cli(['crawl', `${proxy.host}/apps/app1:latest`, '--data', join(world.tmp, 'timeout-usage'), '--timeout', 'soon']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('bad --timeout "soon"');
  });

  it('a Content-Length longer than each blob (layers and config): the crawl stores what a clean crawl stores, no Range asked', async () => {
    const clean = join(world.tmp, 'cl-clean');
    expect((await cli(['crawl', `${world.registry.host}/apps/app1:latest`, '--data', clean, '--json'])).code).toBe(0);
    const m = await new RegistryClient(world.registry.host).manifest('apps/app1', 'latest');
    if (m.document.kind !== 'manifest') throw new Error('apps/app1 is not an image manifest');
    // Every blob lies: the layers and the image config.
    const layers = m.document.manifest.layers.map((l) => l.digest);
    expect(layers.length).toBeGreaterThan(1);
    const blobs = [...layers, m.document.manifest.config.digest];
    proxy.faults.push({ method: 'GET', path: new RegExp(`/blobs/(${blobs.join('|')})$`), extraContentLength: 7, times: 99 });
    proxy.ranges.length = 0;
    const dir = join(world.tmp, 'cl-lying');
    const run = await cli(['crawl', `${proxy.host}/apps/app1:latest`, '--data', dir, '--json']);
    proxy.faults.length = 0;
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ failures: 0 });
    expect(proxy.ranges).toEqual([]);
    const [a, b] = [await datasetRows(clean), await datasetRows(dir)];
    for (const table of ['layers', 'files', 'images', 'image_layers'] as const) expect(b[table], table).toEqual(a[table]);
  });
});

describe.skipIf(missing.length > 0)('imgscan crawl against a registry that echoes the password', () => {
  let world: World;
  let echo: { host: string; server: Server };
  const user = 'crawler';
  const password = 'Pa55 w0rd+&<x>"é/=?';
  // The forms the server writes, built here the way servers build them, not by the code under test.
  const forms = [
    password,
    Buffer.from(password).toString('base64'),
    Buffer.from(`${user}:${password}`).toString('base64'),
    encodeURIComponent(password),
    encodeURIComponent(password).replace(/%20/g, '+'),
    new URLSearchParams({ p: password }).toString().slice(2),
    JSON.stringify(password).slice(1, -1),
  ];

  beforeAll(async () => {
    world = await startWorld();
    const up = new URL(world.registry.url);
    // Basic auth in front of the real registry; images under echo/ answer 403 with every form of the password.
    const server = createHttpServer((req, res) => {
      const auth = req.headers.authorization ?? '';
      if (!auth.startsWith('Basic ')) {
        res.writeHead(401, { 'www-authenticate': 'Basic realm="echo"', 'content-type': 'application/json' }).end('{"errors":[{"code":"UNAUTHORIZED"}]}');
        return;
      }
      const [, pass] = /^[^:]*:(.*)$/s.exec(Buffer.from(auth.slice(6), 'base64').toString('utf8')) ?? [];
      if ((req.url ?? '').startsWith('/v2/echo/')) {
        const said = [pass, auth.slice(6), encodeURIComponent(pass), encodeURIComponent(pass).replace(/%20/g, '+'), new URLSearchParams({ p: pass }).toString().slice(2), JSON.stringify(pass).slice(1, -1)];
        const body = JSON.stringify({ errors: [{ code: 'DENIED', message: `denied for ${said.join(' | ')}` }] });
        res.writeHead(403, { 'content-type': 'application/json' }).end(body);
        return;
      }
      const upReq = httpRequest({ host: up.hostname, port: up.port, method: req.method, path: req.url, headers: { ...req.headers, host: up.host } }, (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.pipe(res);
      });
      upReq.on('error', () => res.socket?.destroy());
      req.pipe(upReq);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    echo = { host: `127.0.0.1:${(server.address() as { port: number }).port}`, server };
  });
  afterAll(async () => {
    echo?.server.closeAllConnections();
    await new Promise((r) => echo?.server.close(r));
    await world?.stop();
  });

  function expectNoForm(text: string | Buffer, where: string) {
    for (const f of forms) expect(Buffer.from(text).includes(f), `${where} holds ${f}`).toBe(false);
  }

  describe('an image denied with every form of the password in the message', () => {
    let dir: string;
    let plain: CliRun;
    let json: CliRun;

    beforeAll(async () => {
      dir = join(world.tmp, 'echo');
      const args = ['crawl', `${echo.host}/lib/base:latest`, `${echo.host}/echo/app:latest`, '--data', dir];
      const env = { IMGSCAN_USERNAME: user, IMGSCAN_PASSWORD: password };
      plain = await cli(args, env);
      json = await cli([...args, '--json'], env);
    });

    it('is a failure, exit 3, printed with the password redacted and no form of it on stderr or stdout', () => {
      expect(plain.code, plain.stderr).toBe(3);
      expect(plain.stderr).toContain('denied for [REDACTED]');
      expectNoForm(plain.stderr, 'stderr');
      expectNoForm(plain.stdout, 'stdout');
    });

    it('with --json, exit 3 and no form of the password on stderr or in the JSON', () => {
      expect(json.code).toBe(3);
      expectNoForm(json.stderr, 'stderr');
      expectNoForm(json.stdout, 'stdout');
    });

    it('is a DENIED row of the failures table with no form of the password', async () => {
      const failures = await queryDataset<{ message: string; code: string }>(dir, 'SELECT message, code FROM failures');
      expect(failures.length).toBeGreaterThan(0);
      for (const f of failures) {
        expect(f.code).toBe('DENIED');
        expectNoForm(f.message, 'the failures table');
      }
    });

    it('leaves no form of the password in the output or the files of analyze', async () => {
      const report = join(world.tmp, 'echo-report');
      const analyzed = await cli(['analyze', '--data', dir, '--out', report]);
      expect(analyzed.code, analyzed.stderr).toBe(0);
      expectNoForm(analyzed.stderr + analyzed.stdout, 'analyze output');
      for (const e of await readdir(report, { recursive: true, withFileTypes: true })) if (e.isFile()) expectNoForm(await readFile(join(e.parentPath, e.name)), `report file ${e.name}`);
    });
  });
});

/**
 * Docker schema 1 conversion. Documents are built here the way distribution writes them (3-space indented JSON,
 * newest layer first; signed ones with a libtrust JWS whose protected header gives formatLength/formatTail), and
 * every expected value is derived from the document with plain loops and node:crypto.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ImgscanError } from '../../../src/errors.js';
import { parseRef, type RegistryRef } from '../../../src/ref/ref.js';
import { RegistryClient } from '../../../src/registry/client.js';
import { convertSchema1, schema1Payload } from '../../../src/registry/schema1.js';
import { RegistrySource } from '../../../src/sources/registry.js';
import type { Image } from '../../../src/sources/types.js';

const sha256 = (data: string | Uint8Array) => 'sha256:' + createHash('sha256').update(data).digest('hex');
const b64url = (data: string) => Buffer.from(data).toString('base64url');
/** A layer digest named by a label, so that no test spells out hex. */
const blob = (label: string) => sha256(`layer ${label}`);

const dockerLayer = 'application/vnd.docker.image.rootfs.diff.tar.gzip';
const dockerManifest = 'application/vnd.docker.distribution.manifest.v2+json';
const dockerConfig = 'application/vnd.docker.container.image.v1+json';

interface Step {
  blobSum: string;
  v1: Record<string, unknown>;
}

/** Newest first, as schema 1 lists them: CMD (throwaway), ADD, ENV (throwaway), the base layer. */
const steps: Step[] = [
  {
    blobSum: blob('empty'),
    v1: {
      id: 'd4',
      parent: 'c3',
      created: '2016-03-01T00:00:04Z',
      architecture: 'arm',
      variant: 'v7',
      os: 'linux',
      config: { Cmd: ['/bin/sh'], Env: ['PATH=/usr/bin:/bin', 'MODE=test'] },
      container_config: { Cmd: ['/bin/sh', '-c', '#(nop) ', 'CMD ["/bin/sh"]'] },
      throwaway: true,
    },
  },
  { blobSum: blob('app'), v1: { id: 'c3', parent: 'b2', created: '2016-03-01T00:00:03Z', container_config: { Cmd: ['/bin/sh', '-c', '#(nop) ADD file:app in /app'] } } },
  { blobSum: blob('empty'), v1: { id: 'b2', parent: 'a1', created: '2016-03-01T00:00:02Z', container_config: { Cmd: ['/bin/sh', '-c', '#(nop) ENV MODE=test'] }, throwaway: true } },
  { blobSum: blob('base'), v1: { id: 'a1', created: '2016-03-01T00:00:01Z', comment: 'Imported from -' } },
];

const sizes = new Map<string, number>([
  [blob('empty'), 32],
  [blob('app'), 1234],
  [blob('base'), 2_500_000],
]);

/** An unsigned schema 1 document as distribution writes it. */
function document(list: Step[], extra: Record<string, unknown> = {}): string {
  const doc = {
    schemaVersion: 1,
    name: 'team/app',
    tag: '1.0',
    architecture: 'amd64',
    fsLayers: list.map((s) => ({ blobSum: s.blobSum })),
    history: list.map((s) => ({ v1Compatibility: JSON.stringify(s.v1) })),
    ...extra,
  };
  return JSON.stringify(doc, null, 3);
}

/**
 * Signs the way libtrust does: the signatures go in before the closing brace, and the protected header records
 * how many leading bytes of the payload were kept (formatLength) and what followed them (formatTail).
 */
function sign(payload: string, header: Record<string, unknown> = {}): string {
  const formatLength = payload.lastIndexOf('\n}');
  const tail = payload.slice(formatLength);
  const protectedHeader = b64url(JSON.stringify({ formatLength, formatTail: b64url(tail), time: '2016-03-01T00:00:05Z', ...header }));
  const signature = { header: { jwk: { crv: 'P-256', kty: 'EC', kid: 'TEST:KEY', x: 'eA', y: 'eQ' }, alg: 'ES256' }, signature: b64url('not verified'), protected: protectedHeader };
  const signatures = JSON.stringify([signature], null, 3).replace(/\n/g, '\n   ');
  return `${payload.slice(0, formatLength)},\n   "signatures": ${signatures}${tail}`;
}

/** The layers a conversion must give: fsLayers from the last (oldest) to the first, throwaway ones left out. */
function expectedLayers(list: Step[]): { mediaType: string; digest: string; size: number }[] {
  const out: { mediaType: string; digest: string; size: number }[] = [];
  for (let i = list.length - 1; i >= 0; i--) {
    if (list[i].v1.throwaway) continue;
    out.push({ mediaType: dockerLayer, digest: list[i].blobSum, size: sizes.get(list[i].blobSum)! });
  }
  return out;
}

/** The config history a conversion must give: one entry per fsLayer, oldest first. */
function expectedHistory(list: Step[]): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (let i = list.length - 1; i >= 0; i--) {
    const v1 = list[i].v1 as { created?: string; comment?: string; throwaway?: boolean; container_config?: { Cmd?: string[] } };
    const entry: Record<string, unknown> = {};
    if (v1.created) entry.created = v1.created;
    if (v1.container_config?.Cmd) entry.created_by = v1.container_config.Cmd.join(' ');
    if (v1.comment) entry.comment = v1.comment;
    if (v1.throwaway) entry.empty_layer = true;
    out.push(entry);
  }
  return out;
}

const sizeOf = (digest: string) => {
  const size = sizes.get(digest);
  if (size === undefined) throw new Error(`size of ${digest} asked for, but it is not a layer of the test image`);
  return size;
};

describe('schema 1 conversion', () => {
  const unsigned = document(steps);
  const signed = sign(unsigned);

  it('builds a signed document that is valid JSON and carries one signature', () => {
    expect((JSON.parse(signed) as { signatures: unknown[] }).signatures).toHaveLength(1);
    expect(signed.length).toBeGreaterThan(unsigned.length);
  });

  it('an unsigned document is its own payload', () => {
    const { payload, signed: isSigned } = schema1Payload(Buffer.from(unsigned));
    expect(isSigned).toBe(false);
    expect(payload.toString('utf8')).toBe(unsigned);
  });

  it('the payload of a signed document is the document without its signatures', () => {
    const { payload, signed: isSigned } = schema1Payload(Buffer.from(signed));
    expect(isSigned).toBe(true);
    expect(payload.toString('utf8')).toBe(unsigned);
    expect(sha256(payload)).toBe(sha256(unsigned));
    expect(sha256(payload)).not.toBe(sha256(signed));
  });

  it.each([
    ['unsigned', unsigned, false],
    ['signed', signed, true],
  ])('converts a %s document to the schema 2 shape', (_name, text, isSigned) => {
    const asked: string[] = [];
    const c = convertSchema1(Buffer.from(text), (d) => (asked.push(d), sizeOf(d)));
    expect(c.signed).toBe(isSigned);
    expect(c.payload.toString('utf8')).toBe(unsigned);

    expect(c.manifest.schemaVersion).toBe(2);
    expect(c.manifest.mediaType).toBe(dockerManifest);
    expect(c.manifest.layers).toEqual(expectedLayers(steps));
    expect(c.manifest.layers.map((l) => l.digest)).toEqual([blob('base'), blob('app')]);
    expect(asked.sort()).toEqual(expectedLayers(steps).map((l) => l.digest).sort());

    // The config: platform, created and config from the newest v1Compatibility, history from all of them.
    const top = steps[0].v1;
    expect(c.config).toEqual({ architecture: top.architecture, os: top.os, variant: top.variant, created: top.created, config: top.config, history: expectedHistory(steps) });
    expect(c.config.rootfs).toBeUndefined();
    expect(JSON.parse(c.configBytes.toString('utf8'))).toEqual(c.config);
    expect(c.manifest.config).toEqual({ mediaType: dockerConfig, digest: sha256(c.configBytes), size: c.configBytes.length });
  });

  it('converts signed and unsigned forms of one document alike', () => {
    const a = convertSchema1(Buffer.from(unsigned), sizeOf);
    const b = convertSchema1(Buffer.from(signed), sizeOf);
    expect(b.manifest).toEqual(a.manifest);
    expect(b.configBytes.equals(a.configBytes)).toBe(true);
  });

  it('takes the architecture from the document and linux as the os when the newest entry has neither', () => {
    const bare: Step[] = [{ blobSum: blob('base'), v1: { id: 'a1' } }];
    const c = convertSchema1(Buffer.from(document(bare)), sizeOf);
    expect(c.config).toEqual({ architecture: 'amd64', os: 'linux', history: [{}] });
    expect(c.manifest.layers).toEqual(expectedLayers(bare));
  });

  it('keeps a layer that appears twice at both positions', () => {
    const twice: Step[] = [
      { blobSum: blob('base'), v1: { id: 'c3', parent: 'b2' } },
      { blobSum: blob('app'), v1: { id: 'b2', parent: 'a1' } },
      { blobSum: blob('base'), v1: { id: 'a1' } },
    ];
    const c = convertSchema1(Buffer.from(sign(document(twice))), sizeOf);
    expect(c.manifest.layers).toEqual(expectedLayers(twice));
    expect(c.manifest.layers).toHaveLength(3);
  });
});

describe('schema 1 errors', () => {
  const good = document(steps);
  const v1 = (list: unknown[]) => list.map((h) => ({ v1Compatibility: typeof h === 'string' ? h : JSON.stringify(h) }));
  const layers = (list: unknown[]) => list.map((b) => ({ blobSum: b }));
  /** A signed document whose protected header is replaced. */
  const withProtected = (value: unknown) => {
    const doc = JSON.parse(sign(good)) as { signatures: { protected: unknown }[] };
    doc.signatures[0].protected = value;
    return JSON.stringify(doc, null, 3);
  };
  const cases: [string, string, RegExp][] = [
    ['truncated JSON', good.slice(0, 40), /^schema 1 manifest is not JSON: /],
    ['JSON null', 'null', /^schema 1 manifest is not a JSON object$/],
    ['a JSON array', '[]', /^schema 1 manifest is not a JSON object$/],
    ['schemaVersion 2', document(steps, { schemaVersion: 2 }), /^not a schema 1 manifest \(schemaVersion 2\)$/],
    ['no schemaVersion', document(steps, { schemaVersion: undefined }), /^not a schema 1 manifest \(schemaVersion undefined\)$/],
    ['no fsLayers', document(steps, { fsLayers: undefined }), /^schema 1 manifest has no fsLayers$/],
    ['empty fsLayers and history', document(steps, { fsLayers: [], history: [] }), /^schema 1 manifest has no fsLayers$/],
    ['fsLayers not a list', document(steps, { fsLayers: 'sha256:abc' }), /^schema 1 manifest: fsLayers is not a list$/],
    ['history not a list', document(steps, { history: {} }), /^schema 1 manifest: history is not a list$/],
    ['no history', document(steps, { history: undefined }), /^schema 1 manifest has 4 fsLayers but 0 history entries$/],
    ['a history entry missing', document(steps, { history: v1(steps.slice(1).map((s) => s.v1)) }), /^schema 1 manifest has 4 fsLayers but 3 history entries$/],
    ['a malformed blobSum', document(steps, { fsLayers: layers([blob('empty'), 'sha256:xyz', blob('empty'), blob('base')]) }), /^schema 1 fsLayers\[1\] has a bad blobSum "sha256:xyz"$/],
    ['an fsLayer without blobSum', document(steps, { fsLayers: [{}, ...layers(steps.slice(1).map((s) => s.blobSum))] }), /^schema 1 fsLayers\[0\] has a bad blobSum undefined$/],
    ['a null fsLayer', document(steps, { fsLayers: [...layers(steps.slice(0, 3).map((s) => s.blobSum)), null] }), /^schema 1 fsLayers\[3\] has a bad blobSum undefined$/],
    ['v1Compatibility not JSON', document(steps, { history: v1([steps[0].v1, '{"id":', steps[2].v1, steps[3].v1]) }), /^schema 1 history\[1\] has unreadable v1Compatibility$/],
    ['v1Compatibility missing', document(steps, { history: [{}, ...v1(steps.slice(1).map((s) => s.v1))] }), /^schema 1 history\[0\] has unreadable v1Compatibility$/],
    ['v1Compatibility null', document(steps, { history: v1([steps[0].v1, steps[1].v1, steps[2].v1, 'null']) }), /^schema 1 history\[3\] v1Compatibility is not a JSON object$/],
    ['a protected header that is not base64 JSON', withProtected(b64url('{"formatLength":')), /^schema 1 signature has an unreadable protected header$/],
    ['a protected header that is not a string', withProtected(42), /^schema 1 signature has an unreadable protected header$/],
    ['no formatTail', sign(good, { formatTail: undefined }), /^schema 1 signature lacks a usable formatLength\/formatTail/],
    ['formatLength past the end', sign(good, { formatLength: 1 << 20 }), /^schema 1 signature lacks a usable formatLength\/formatTail \(formatLength 1048576 of \d+ bytes\)$/],
    ['a negative formatLength', sign(good, { formatLength: -1 }), /formatLength -1 of/],
    ['a fractional formatLength', sign(good, { formatLength: 10.5 }), /formatLength 10.5 of/],
  ];

  it.each(cases)('%s', (_name, text, message) => {
    let caught: unknown;
    try {
      convertSchema1(Buffer.from(text), sizeOf, { image: 'reg.example/team/app:1.0' });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ImgscanError);
    const e = caught as ImgscanError;
    expect(e.code).toBe('MANIFEST_INVALID');
    expect(e.message).toMatch(message);
    expect(e.describe()).toBe(`image reg.example/team/app:1.0: ${e.message}`);
  });

  it('checks the signature header before the document (what the manifest digest needs)', () => {
    expect(() => schema1Payload(Buffer.from(withProtected('!!')))).toThrow(/unreadable protected header/);
    expect(() => schema1Payload(Buffer.from('nope'))).toThrow(/not JSON/);
  });
});

describe('schema 1 images from a registry', () => {
  /** A registry that knows one signed schema 1 manifest and the sizes of its blobs. */
  function fakeRegistry(body: string, payloadDigest: string): typeof fetch {
    return async (input, init) => {
      const url = new URL(String(input));
      const method = init?.method ?? 'GET';
      if (method === 'GET' && url.pathname === '/v2/team/app/manifests/1.0') {
        return new Response(body, { status: 200, headers: { 'content-type': 'application/vnd.docker.distribution.manifest.v1+prettyjws', 'docker-content-digest': payloadDigest } });
      }
      const m = /^\/v2\/team\/app\/blobs\/(sha256:[0-9a-f]{64})$/.exec(url.pathname);
      if (method === 'HEAD' && m && sizes.has(m[1])) return new Response(null, { status: 200, headers: { 'content-length': String(sizes.get(m[1])) } });
      return new Response('{"errors":[{"code":"NOT_FOUND"}]}', { status: 404 });
    };
  }

  it('are marked as converted and identified by the digest of their payload', async () => {
    const unsigned = document(steps);
    const signed = sign(unsigned);
    const client = new RegistryClient('reg.example', { fetch: fakeRegistry(signed, sha256(unsigned)), retries: 0 });
    const source = new RegistrySource(parseRef('reg.example/team/app:1.0') as RegistryRef, { client, platforms: 'all' });
    const images: Image[] = [];
    for await (const image of source.images()) images.push(image);
    expect(images).toHaveLength(1);
    const [image] = images;
    expect(image.convertedFromSchema1).toBe(true);
    expect(image.digest).toBe(sha256(unsigned));
    expect(image.mediaType).toBe('application/vnd.docker.distribution.manifest.v1+prettyjws');
    expect(image.platform).toEqual({ os: 'linux', architecture: 'arm', variant: 'v7' });
    expect(image.layers().map((l) => l.descriptor)).toEqual(expectedLayers(steps));
    expect(image.layers().map((l) => l.diffId)).toEqual(expectedLayers(steps).map(() => undefined));
    expect(image.refs).toEqual([{ registry: 'reg.example', repository: 'team/app', tag: '1.0', indexDigest: null }]);
  });

  it('report a malformed document as a failure of that image', async () => {
    const bad = document(steps, { fsLayers: 'sha256:abc' });
    const client = new RegistryClient('reg.example', { fetch: fakeRegistry(bad, sha256(bad)), retries: 0 });
    const failures: { scope: string; target: string; error: ImgscanError }[] = [];
    const source = new RegistrySource(parseRef('reg.example/team/app:1.0') as RegistryRef, { client, onFailure: (f) => failures.push(f) });
    for await (const image of source.images()) expect.unreachable(`yielded ${image.name}`);
    expect(failures.map((f) => [f.scope, f.target, f.error.code, f.error.describe()])).toEqual([
      ['image', 'reg.example/team/app:1.0', 'MANIFEST_INVALID', 'repository team/app, image reg.example/team/app:1.0: schema 1 manifest: fsLayers is not a list'],
    ]);
  });
});

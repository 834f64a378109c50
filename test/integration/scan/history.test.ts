/**
 * image_history: the build steps of images made with umoci (repack and config steps with their created_by, an
 * empty config step, a layer added without a history entry), against the config JSON of the layout read by
 * Python, with each step's layer found by counting the non-empty steps there.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, queryDataset } from '../../support/dataset.js';
import { run, runText } from '../../support/exec.js';
import { missingTools } from '../../support/tools.js';

const missing = await missingTools(['umoci', 'python3'], 'image_history against umoci-built configs');

/** Python: per tag, the image's manifest digest and its history rows as imgscan should store them. */
const expectedRows = `
import json, os, sys
layout = sys.argv[1]
blob = lambda d: json.load(open(os.path.join(layout, 'blobs', 'sha256', d.split(':')[1])))
out = {}
for m in json.load(open(os.path.join(layout, 'index.json')))['manifests']:
    manifest = blob(m['digest'])
    history = blob(manifest['config']['digest']).get('history', [])
    full = [h for h in history if not h.get('empty_layer')]
    rows, n = [], 0
    for step, h in enumerate(history):
        position = None
        if not h.get('empty_layer') and len(full) == len(manifest['layers']):
            position, n = n, n + 1
        rows.append({'step': step, 'created_by': h.get('created_by'), 'comment': h.get('comment'), 'empty_layer': bool(h.get('empty_layer')), 'position': position})
    out[m['annotations']['org.opencontainers.image.ref.name']] = {'digest': m['digest'], 'rows': rows, 'layers': len(manifest['layers'])}
print(json.dumps(out))
`;

interface Expected {
  digest: string;
  layers: number;
  rows: { step: number; created_by: string | null; comment: string | null; empty_layer: boolean; position: number | null }[];
}

describe.skipIf(missing.length > 0)('image_history', () => {
  let work: string;
  let expected: Record<string, Expected>;
  let stored: (Expected['rows'][number] & { manifest_digest: string })[];

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'imgscan-history-'));
    const layout = join(work, 'layout');
    const umoci = (args: string[]) => run('umoci', args, { cwd: work });
    await umoci(['init', '--layout', layout]);
    await umoci(['new', '--image', `${layout}:built`]);
    await umoci(['unpack', '--image', `${layout}:built`, 'bundle']);
    await mkdir(join(work, 'bundle', 'rootfs', 'app'));
    await writeFile(join(work, 'bundle', 'rootfs', 'app', 'main'), 'first\n');
    await umoci(['repack', '--image', `${layout}:built`, '--history.created_by', 'COPY main /app/main', '--history.comment', 'the program', 'bundle']);
    await umoci(['config', '--image', `${layout}:built`, '--config.env', 'MODE=prod', '--history.created_by', 'ENV MODE=prod']);
    // A repack builds on the image its bundle was unpacked from: unpack again for each new step.
    await umoci(['unpack', '--image', `${layout}:built`, 'bundle1']);
    await writeFile(join(work, 'bundle1', 'rootfs', 'app', 'data'), 'second\n');
    await umoci(['repack', '--image', `${layout}:built`, '--history.created_by', 'RUN make data', 'bundle1']);
    // A layer with no history entry: the history no longer lines up with the layers.
    await umoci(['unpack', '--image', `${layout}:built`, 'bundle2']);
    await writeFile(join(work, 'bundle2', 'rootfs', 'extra'), 'extra\n');
    await umoci(['repack', '--image', `${layout}:unlined`, '--no-history', 'bundle2']);
    expected = JSON.parse(await runText('python3', ['-c', expectedRows, layout]));
    const data = join(work, 'data');
    const r = await cli(['scan', `oci:${layout}`, '--data', data, '--json']);
    expect(r.code, r.stderr).toBe(0);
    stored = await queryDataset(data, 'SELECT manifest_digest, step, created_by, comment, empty_layer, position FROM image_history ORDER BY manifest_digest, step');
  }, 120_000);

  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  const rowsOf = (tag: string) => stored.filter((r) => r.manifest_digest === expected[tag].digest).map(({ manifest_digest: _, ...r }) => r);

  it('stores every history step of an image in order, with the layer each non-empty step made', () => {
    expect(expected.built.rows.map((r) => r.created_by)).toContain('ENV MODE=prod');
    expect(rowsOf('built')).toEqual(expected.built.rows);
  });

  it('gives the steps of a config change no layer (empty_layer)', () => {
    const env = rowsOf('built').find((r) => r.created_by === 'ENV MODE=prod');
    expect(env).toMatchObject({ empty_layer: true, position: null });
  });

  it('gives no step a layer when the history does not line up with the layers', () => {
    expect(expected.unlined.layers).toBeGreaterThan(expected.unlined.rows.filter((r) => !r.empty_layer).length);
    expect(rowsOf('unlined')).toEqual(expected.unlined.rows);
    expect(rowsOf('unlined').every((r) => r.position === null)).toBe(true);
  });
});

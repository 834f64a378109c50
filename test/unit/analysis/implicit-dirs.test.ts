/**
 * path_waste below directories that exist only implicitly: a lower layer holds `a/b/file` with no entry of its
 * own for `a/b` or `a` (hand-made and some tool-made layers), and a higher layer replaces or deletes `a/b`.
 * Each case is checked three ways: a number worked out by hand from the definition, the reference overlay
 * model, and the real thing: the layers written as tars (python3's tarfile, no directory entries) and applied
 * in order by GNU tar into one directory, as a runtime applies them (whiteouts by hand, before the layer).
 */
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkImage } from '../../../src/analysis/image-check.js';
import { run } from '../../support/exec.js';
import { missingTools } from '../../support/tools.js';
import { entry, file, image, layer, writeRows } from './build.js';
import { referencePathWaste, type RefLayer } from './reference.js';

interface Spec { path: string; type: 'file' | 'dir' | 'symlink' | 'whiteout'; size?: number }
interface Case { name: string; layers: Spec[][]; waste: number; hidden: string[] }

const f = (path: string, size: number): Spec => ({ path, type: 'file', size });
const d = (path: string): Spec => ({ path, type: 'dir' });
const s = (path: string): Spec => ({ path, type: 'symlink' });
const w = (path: string): Spec => ({ path, type: 'whiteout' });

// Not one lower layer writes a directory entry; `hidden` is every file copy the final filesystem loses.
const cases: Case[] = [
  { name: 'replaced by a file', layers: [[f('a/b/file', 1000), f('a/keep', 10)], [f('a/b', 30)]], waste: 1000, hidden: ['a/b/file'] },
  { name: 'replaced by a symlink', layers: [[f('a/b/file', 1000), f('a/keep', 10)], [s('a/b')]], waste: 1000, hidden: ['a/b/file'] },
  { name: 'deleted by a whiteout', layers: [[f('a/b/file', 1000), f('a/keep', 10)], [w('a/.wh.b')]], waste: 1000, hidden: ['a/b/file'] },
  { name: 'an ancestor deleted by a whiteout', layers: [[f('a/b/file', 1000), f('a/keep', 10), f('top', 5)], [w('.wh.a')]], waste: 1010, hidden: ['a/b/file', 'a/keep'] },
  { name: 'a deeper chain, the top replaced', layers: [[f('a/b/c/d', 700), f('x', 5)], [f('a', 20)]], waste: 700, hidden: ['a/b/c/d'] },
  { name: 'two layers below, both implicit', layers: [[f('a/b/one', 300)], [f('a/b/two', 400)], [s('a/b')]], waste: 700, hidden: ['a/b/one', 'a/b/two'] },
  { name: 'written again as a directory', layers: [[f('a/b/file', 1000)], [d('a/b'), f('a/b/new', 40)]], waste: 0, hidden: [] },
];

const slug = (c: Case) => c.name.replace(/\W+/g, '-');
const content = (c: Case, li: number, path: string, size: number) => Buffer.alloc(size, `${slug(c)}/${li}/${path};`);
const refLayers = (c: Case): RefLayer[] =>
  c.layers.map((specs, li) => layer(`implicit ${c.name} ${li}`, specs.map((e) => (e.type === 'file' ? file(e.path, `${slug(c)}/${li}/${e.path}`, e.size!) : entry(e.path, e.type)))));
const ref = (c: Case) => `registry.test/implicit/${slug(c)}:1`;

const root = mkdtempSync(join(tmpdir(), 'imgscan-implicit-dirs-'));
const data = join(root, 'data');
const missing = await missingTools(['python3', 'tar'], 'implicit directories against GNU tar');

beforeAll(async () => {
  const layers = cases.flatMap(refLayers);
  const images = cases.map((c) => image(c.name, refLayers(c), [{ registry: 'registry.test', repository: `implicit/${slug(c)}`, tag: '1' }]));
  await writeRows(data, { layers, images });
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

// Tars of the entries as listed (no directory entry but the ones a spec has), as python3's tarfile writes them.
const TAR_PY = `
import base64, io, json, sys, tarfile
for out in json.load(sys.stdin):
    with tarfile.open(out['tar'], 'w', format=tarfile.PAX_FORMAT) as t:
        for e in out['entries']:
            ti = tarfile.TarInfo(e['path'])
            if e['type'] == 'dir':
                ti.type, ti.mode = tarfile.DIRTYPE, 0o755
            elif e['type'] == 'symlink':
                ti.type, ti.linkname = tarfile.SYMTYPE, 'elsewhere'
            data = base64.b64decode(e.get('data', ''))
            ti.size = len(data)
            t.addfile(ti, io.BytesIO(data))
`;
const tarOf = (c: Case, li: number) => join(root, `${slug(c)}-${li}.tar`);

async function writeTars(): Promise<void> {
  const tars = cases.flatMap((c) => c.layers.map((specs, li) => ({
    tar: tarOf(c, li),
    entries: specs.map((e) => (e.type === 'file' ? { ...e, data: content(c, li, e.path, e.size!).toString('base64') } : e)),
  })));
  await run('python3', ['-c', TAR_PY], { input: JSON.stringify(tars) });
}

/** Applies one layer to `dir` as a runtime does: whiteouts first (on the layers below), then directories
 * (an existing directory is kept), then the other entries, which replace whatever subtree is in the way. */
async function applyLayer(dir: string, tar: string, specs: Spec[]): Promise<void> {
  for (const e of specs.filter((x) => x.type === 'whiteout')) rmSync(join(dir, e.path.replace(/(^|\/)\.wh\.([^/]*)$/, '$1$2')), { recursive: true, force: true });
  const dirs = specs.filter((x) => x.type === 'dir').map((x) => x.path);
  const others = specs.filter((x) => x.type === 'file' || x.type === 'symlink').map((x) => x.path);
  if (dirs.length) await run('tar', ['-x', '-f', tar, '-C', dir, '--no-recursion', ...dirs]);
  if (others.length) await run('tar', ['-x', '--recursive-unlink', '-f', tar, '-C', dir, '--no-recursion', ...others]);
}

/** The file copies (layer, path) that GNU tar's extraction of the layers in order no longer shows. */
async function lostByTar(c: Case): Promise<{ path: string; size: number }[]> {
  const dir = join(root, `fs-${slug(c)}`);
  mkdirSync(dir);
  for (const [li, specs] of c.layers.entries()) await applyLayer(dir, tarOf(c, li), specs);
  const visible = (li: number, e: Spec) => {
    try {
      return lstatSync(join(dir, e.path)).isFile() && readFileSync(join(dir, e.path)).equals(content(c, li, e.path, e.size!));
    } catch {
      return false;
    }
  };
  return c.layers.flatMap((specs, li) => specs.filter((e) => e.type === 'file' && !visible(li, e)).map((e) => ({ path: e.path, size: e.size! })));
}

describe('path_waste below implicit directories', () => {
  for (const c of cases) {
    it(`a directory without an entry of its own, ${c.name}`, async () => {
      const check = await checkImage({ dataDirs: [data], ref: ref(c), top: 100 });
      const got = check.images[0];
      expect(got.path_waste).toBe(c.waste);
      expect(referencePathWaste(refLayers(c))).toBe(c.waste);
      expect(got.wasted_paths.map((p) => p.path).sort()).toEqual(c.hidden);
      // Each hidden path is written once: it is wasted only by what a higher layer does to a directory above it.
      expect(new Set(got.wasted_paths.map((p) => p.reason))).toEqual(new Set(c.hidden.length ? ['below a hidden directory'] : []));
    });
  }

  it.skipIf(missing.length > 0)('each case loses the copies GNU tar loses when it applies the layers in order, and path_waste counts them', async () => {
    await writeTars();
    for (const c of cases) {
      const lost = await lostByTar(c);
      expect(lost.map((l) => l.path).sort(), c.name).toEqual(c.hidden);
      expect(lost.reduce((n, l) => n + l.size, 0), c.name).toBe(c.waste);
      const got = (await checkImage({ dataDirs: [data], ref: ref(c), top: 100 })).images[0];
      expect(got.wasted_paths.map((p) => [p.path, p.wasted]).sort(), c.name).toEqual(lost.map((l) => [l.path, l.size]).sort());
    }
  });
});

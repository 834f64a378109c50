import { lstatSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { packageRoot } from '../paths.js';
import { type LayerEntry, writeOciLayout } from './layout-writer.js';

/** Regular files under `dir`, in name order, until `budget` bytes. */
function filesUnder(dir: string, budget: number): string[] {
  const out: string[] = [];
  let used = 0;
  const walk = (d: string) => {
    let names: string[];
    try {
      names = readdirSync(d).sort();
    } catch {
      return;
    }
    for (const name of names) {
      if (used >= budget) return;
      const path = join(d, name);
      const st = lstatSync(path, { throwIfNoEntry: false });
      if (!st) continue;
      if (st.isDirectory()) walk(path);
      else if (st.isFile() && used + st.size <= budget) {
        out.push(path);
        used += st.size;
      }
    }
  };
  walk(dir);
  return out;
}

function copyInto(prefix: string, root: string, files: string[]): LayerEntry[] {
  return files.map((f) => ({ type: 'file', path: `${prefix}/${relative(root, f)}`, from: f }));
}

/**
 * Builds a small OCI layout from files of this machine and of imgscan's own dependencies: two application
 * images on one base layer, with duplicated files inside a layer, across layers and across images, a whiteout,
 * a symlink and a hardlink. Returns the tags it wrote.
 */
export async function buildDemoLayout(dir: string): Promise<string[]> {
  const etc = filesUnder('/etc', 2 << 20);
  const bin = filesUnder('/usr/bin', 24 << 20);
  const modules = join(packageRoot, 'node_modules');
  const lib = filesUnder(join(modules, 'typescript', 'lib'), 12 << 20);
  const queue = filesUnder(join(modules, 'p-queue'), 1 << 20);
  const base: LayerEntry[] = [...copyInto('etc', '/etc', etc), ...copyInto('usr/bin', '/usr/bin', bin)];
  const app1: LayerEntry[] = [
    ...copyInto('app/lib', join(modules, 'typescript', 'lib'), lib),
    ...copyInto('app/vendor/p-queue', join(modules, 'p-queue'), queue),
    ...copyInto('app/vendor-copy/p-queue', join(modules, 'p-queue'), queue),
    { type: 'symlink', path: 'app/current', target: 'lib' },
  ];
  const app2: LayerEntry[] = [
    ...copyInto('srv/tsc', join(modules, 'typescript', 'lib'), lib.slice(0, Math.ceil(lib.length / 2))),
    ...(etc[0] ? [{ type: 'file' as const, path: `etc/.wh.${relative('/etc', etc[0])}`, content: Buffer.alloc(0) }] : []),
    { type: 'file', path: 'srv/empty', content: Buffer.alloc(0) },
    { type: 'hardlink', path: 'srv/empty-link', target: 'srv/empty' },
  ];
  const patch: LayerEntry[] = copyInto('usr/bin', '/usr/bin', bin.slice(0, 5));
  const baseStep = 'ADD rootfs.tar /';
  await writeOciLayout(dir, [
    { tag: 'base', layers: [base], steps: [baseStep], created: '2024-01-01T00:00:00Z' },
    { tag: 'app1', layers: [base, app1], steps: [baseStep, 'COPY node_modules/typescript/lib node_modules/p-queue /app/'], created: '2024-02-01T00:00:00Z' },
    { tag: 'app2', layers: [base, app2, patch], steps: [baseStep, 'RUN cp -r /app/lib /srv/tsc && rm /etc/' + (etc[0] ? relative('/etc', etc[0]) : ''), 'COPY usr/bin /usr/bin'], created: '2024-03-01T00:00:00Z' },
  ]);
  return ['base', 'app1', 'app2'];
}

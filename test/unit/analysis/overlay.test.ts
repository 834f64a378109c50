import { describe, expect, it } from 'vitest';
import { finalFilesystem, type OverlayEntry } from '../../../src/analysis/overlay.js';
import type { EntryType } from '../../../src/model/rows.js';

const entry = (path: string, entry_type: EntryType = 'file', digest: string | null = entry_type === 'file' ? `d-${path}` : null): OverlayEntry => ({ path, entry_type, size: 1, digest, mode: 0o644, uid: 0, gid: 0, link_target: null });

/** The final filesystem as `path type` lines, implicit directories as `path (dir)`. */
const view = (layers: OverlayEntry[][]) => [...finalFilesystem(layers)].map(([p, e]) => (e ? `${p} ${e.entry_type}` : `${p} (dir)`)).sort();

describe('finalFilesystem', () => {
  it('makes the missing parents of a path directories no layer wrote', () => {
    expect(view([[entry('a/b/f')]])).toEqual(['a (dir)', 'a/b (dir)', 'a/b/f file']);
  });

  it('deletes a path and everything below it for a whiteout of a higher layer', () => {
    expect(view([[entry('a', 'dir'), entry('a/f'), entry('g')], [entry('.wh.a', 'whiteout')]])).toEqual(['g file']);
  });

  it('applies a whiteout to lower layers only, never to an entry of its own layer', () => {
    expect(view([[entry('f')], [entry('f'), entry('.wh.f', 'whiteout')]])).toEqual(['f file']);
  });

  it('hides what lower layers hold in an opaque directory and keeps what its own layer puts there', () => {
    expect(view([[entry('d', 'dir'), entry('d/old')], [entry('d/new'), entry('d/.wh..wh..opq', 'opaque')]])).toEqual(['d dir', 'd/new file']);
  });

  it('keeps the children of a directory written again', () => {
    expect(view([[entry('d', 'dir'), entry('d/f')], [entry('d', 'dir')]])).toEqual(['d dir', 'd/f file']);
  });

  it('drops the children of a directory a non-directory replaces', () => {
    expect(view([[entry('d', 'dir'), entry('d/f')], [entry('d', 'symlink')]])).toEqual(['d symlink']);
  });

  it('replaces a file that a later path needs as a directory', () => {
    expect(view([[entry('x')], [entry('x/y')]])).toEqual(['x (dir)', 'x/y file']);
  });

  it('takes the last of two entries at one path in a layer, and leaves out the root and entries that extract to nothing', () => {
    const fs = finalFilesystem([[entry('.', 'dir'), entry('f', 'file', 'one'), entry('f', 'file', 'two'), entry('label', 'other')]]);
    expect([...fs.keys()]).toEqual(['f']);
    expect(fs.get('f')?.digest).toBe('two');
  });
});

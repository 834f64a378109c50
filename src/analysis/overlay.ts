import type { EntryType } from '../model/rows.js';

/** One tar entry of a layer, as the files table holds it (paths normalized, whiteouts as stored). */
export interface OverlayEntry {
  path: string;
  entry_type: EntryType;
  size: number;
  digest: string | null;
  mode: number;
  uid: number;
  gid: number;
  link_target: string | null;
}

/** A path of the final filesystem: its entry, or null for a directory no layer wrote an entry for. */
export type FinalEntry = OverlayEntry | null;

interface Node {
  entry: FinalEntry;
  children: Map<string, Node>;
}

/**
 * The filesystem an image's layers make when applied bottom to top, as an overlay mount or an OCI unpacker
 * shows it (OCI image spec, "Applying changesets"): a whiteout `.wh.NAME` deletes NAME and everything below it
 * from the layers below; an opaque entry hides everything the layers below hold in its directory; whiteouts
 * apply to lower layers only, never to entries of their own layer. An entry replaces what a lower layer (or an
 * earlier entry of its layer) has at its path, and a non-directory replacing a directory takes its subtree
 * with it; a directory over a directory keeps the children. A path's missing parents are directories. Entries
 * of type `other` extract to nothing.
 */
export function finalFilesystem(layers: Iterable<readonly OverlayEntry[]>): Map<string, FinalEntry> {
  const root: Node = { entry: null, children: new Map() };
  for (const entries of layers) {
    for (const e of entries) if (e.entry_type === 'whiteout' || e.entry_type === 'opaque') hide(root, e);
    for (const e of entries) if (e.entry_type !== 'whiteout' && e.entry_type !== 'opaque' && e.entry_type !== 'other') place(root, e);
  }
  const out = new Map<string, FinalEntry>();
  const walk = (node: Node, prefix: string) => {
    for (const [name, child] of node.children) {
      const path = prefix ? `${prefix}/${name}` : name;
      out.set(path, child.entry);
      walk(child, path);
    }
  };
  walk(root, '');
  return out;
}

/** The directory of a path and its last component ('' and the path for a top-level name). */
function split(path: string): [string[], string] {
  const parts = path.split('/');
  return [parts.slice(0, -1), parts[parts.length - 1]];
}

function hide(root: Node, e: OverlayEntry): void {
  const [dirs, name] = split(e.path);
  const parent = find(root, dirs);
  if (!parent) return;
  if (e.entry_type === 'opaque') parent.children.clear();
  else parent.children.delete(name.slice('.wh.'.length));
}

function find(root: Node, parts: readonly string[]): Node | undefined {
  let node: Node | undefined = root;
  for (const p of parts) {
    node = node.children.get(p);
    if (!node || !isDir(node)) return undefined;
  }
  return node;
}

function isDir(node: Node): boolean {
  return node.entry === null || node.entry.entry_type === 'dir';
}

function place(root: Node, e: OverlayEntry): void {
  // The root itself (stored as '.'): its metadata is not a path of the filesystem.
  if (e.path === '' || e.path === '.') return;
  const [dirs, name] = split(e.path);
  let parent = root;
  for (const p of dirs) {
    let next = parent.children.get(p);
    if (!next || !isDir(next)) {
      next = { entry: null, children: new Map() };
      parent.children.set(p, next);
    }
    parent = next;
  }
  const lower = parent.children.get(name);
  if (e.entry_type === 'dir' && lower && isDir(lower)) lower.entry = e;
  else parent.children.set(name, { entry: e, children: new Map() });
}

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? tsFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)].map((m) => m[1]);
}


/** The rooms table of docs/architecture.md: a room (folder, ending in /) or a file, and what it may import. */
type Rooms = Map<string, string[]>;

function roomsTable(markdown: string): Rooms {
  const rows = markdown.split('\n').filter((l) => /^\| `src\//.test(l));
  return new Map(
    rows.map((line) => {
      const cells = line.split('|').map((c) => c.trim());
      const key = /`([^`]+)`/.exec(cells[1])![1];
      const allowed = [...cells[3].matchAll(/`([^`]+)`/g)].map((m) => m[1]);
      return [key, allowed];
    }),
  );
}

/** The top room of a file: `src/layers/tar.ts` -> `src/layers/`; a file directly in src/ has none. */
function topRoom(file: string): string | undefined {
  const m = /^src\/([^/]+)\//.exec(file);
  return m ? `src/${m[1]}/` : undefined;
}

/** The imports a file may not make under the table: `file -> target` for each. */
function wrongWay(graph: Map<string, string[]>, rooms: Rooms): string[] {
  const shared = new Set(['src/errors.ts', 'src/paths.ts']);
  const found: string[] = [];
  for (const [file, targets] of graph) {
    const room = topRoom(file);
    if (!room) continue;
    const allowed = rooms.get(file) ?? rooms.get(room);
    if (!allowed) {
      found.push(`${file}: its room ${room} is not in the table`);
      continue;
    }
    for (const t of targets) {
      if (shared.has(t) || t.startsWith(room) || !t.startsWith('src/')) continue;
      if (!allowed.some((a) => (a.endsWith('/') ? t.startsWith(a) : t === a))) found.push(`${file} -> ${t}`);
    }
  }
  return found;
}

/** Cycles in a directed graph, each as the path that closes it. */
function cycles(graph: Map<string, string[]>): string[] {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const found: string[] = [];
  const visit = (node: string) => {
    state.set(node, 'open');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 'open') found.push([...stack.slice(stack.indexOf(next)), next].join(' -> '));
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of graph.keys()) if (!state.has(node)) visit(node);
  return found;
}

/** Every file under src/ with the src/ files it imports (type-only imports included), relative to the root. */
function importGraph(): Map<string, string[]> {
  return new Map(
    tsFiles(join(root, 'src')).map((f) => [
      relative(root, f),
      imports(f)
        .filter((i) => i.startsWith('.'))
        .map((i) => relative(root, resolve(dirname(f), i.replace(/\.js$/, '.ts')))),
    ]),
  );
}

/** The rooms as a graph: each room to the rooms its row (and its files' rows) name. */
function roomGraph(rooms: Rooms): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const [key, allowed] of rooms) {
    const from = topRoom(key)!;
    const to = allowed.map((a) => topRoom(a)!).filter((r) => r !== from);
    graph.set(from, [...new Set([...(graph.get(from) ?? []), ...to])]);
  }
  return graph;
}


/** Functions (declarations, methods, arrows) longer than `max` lines in a file: `file:line name (N lines)`. */
function longFunctions(file: string, max: number): string[] {
  const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const first = sf.getLineAndCharacterOfPosition(node.getStart()).line;
      const lines = sf.getLineAndCharacterOfPosition(node.getEnd()).line - first + 1;
      const name = node.name && ts.isIdentifier(node.name) ? node.name.text : '(anonymous)';
      if (lines > max) found.push(`${relative(root, file)}:${first + 1} ${name} (${lines} lines)`);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

/** The streaming readers of trace files (kept to locate problems; DuckDB reads the records) and the sweep. */
const longFunctionsAllowed = ['src/trace/json-array.ts', 'src/trace/csv-parse.ts', 'src/trace/sweep.ts'];

const table = roomsTable(readFileSync(join(root, 'docs', 'architecture.md'), 'utf8'));

describe('architecture boundaries', () => {
  it('library code under src/ never imports @oclif/core', () => {
    const offenders = tsFiles(join(root, 'src')).filter((f) => imports(f).some((i) => i.startsWith('@oclif/')));
    expect(offenders.map((f) => relative(root, f))).toEqual([]);
  });

  it('src/report never imports the registry client or the sources', () => {
    const offenders = tsFiles(join(root, 'src', 'report')).filter((f) => imports(f).some((i) => /\/(registry|sources)\//.test(i)));
    expect(offenders.map((f) => relative(root, f))).toEqual([]);
  });

  it('library code never prints or exits', () => {
    const offenders = tsFiles(join(root, 'src'))
      .filter((f) => !f.includes(`${join('src', 'cli')}`))
      .filter((f) => /\bprocess\.exit\(|console\.(log|error|warn)\(/.test(readFileSync(f, 'utf8')));
    expect(offenders.map((f) => relative(root, f))).toEqual([]);
  });

  it('library code throws typed errors: no plain Error is made in src/', () => {
    const offenders = tsFiles(join(root, 'src')).filter((f) => /\bnew Error\(|\bthrow Error\(|\breject\(Error\(/.test(readFileSync(f, 'utf8')));
    expect(offenders.map((f) => relative(root, f))).toEqual([]);
  });

  it('commands are thin: they import library code, not each other', () => {
    const offenders = tsFiles(join(root, 'commands')).filter((f) => imports(f).some((i) => i.startsWith('./') && !i.startsWith('./_') && !i.startsWith('../')));
    expect(offenders.map((f) => relative(root, f))).toEqual([]);
  });
  it('every import between rooms is one the table of docs/architecture.md allows', () => {
    expect(wrongWay(importGraph(), table)).toEqual([]);
  });

  it('every room under src/ has a row in the table', () => {
    const folders = readdirSync(join(root, 'src')).filter((n) => statSync(join(root, 'src', n)).isDirectory());
    expect(folders.map((n) => `src/${n}/`).filter((r) => !table.has(r))).toEqual([]);
  });

  it('the rooms of the table form no cycle', () => {
    expect(table.size).toBeGreaterThan(10);
    expect(cycles(roomGraph(table))).toEqual([]);
  });

  it('no file under src/ imports itself back through others, type imports included', () => {
    expect(cycles(importGraph())).toEqual([]);
  });

  it('the checks report what they are for: a wrong-way import, a missing room, a cycle', () => {
    const rooms = roomsTable('| `src/layers/` | x | `src/model/` |\n| `src/store/` | x | `src/model/` |\n| `src/sources/registry.ts` | x | `src/registry/` |\n| `src/sources/` | x | |');
    const graph = new Map([
      ['src/layers/tar.ts', ['src/model/rows.ts', 'src/errors.ts', 'src/layers/pax.ts', 'src/store/writer.ts']],
      ['src/sources/registry.ts', ['src/registry/client.ts']],
      ['src/sources/oci-layout.ts', ['src/registry/select.ts']],
      ['src/trace/read.ts', []],
    ]);
    expect(wrongWay(graph, rooms)).toEqual(['src/layers/tar.ts -> src/store/writer.ts', 'src/sources/oci-layout.ts -> src/registry/select.ts', 'src/trace/read.ts: its room src/trace/ is not in the table']);
    expect(cycles(new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['a']]]))).toEqual(['a -> b -> c -> a']);
    expect(cycles(roomGraph(roomsTable('| `src/a/` | x | `src/b/` |\n| `src/b/` | x | `src/a/` |')))).toEqual(['src/a/ -> src/b/ -> src/a/']);
  });
  it('no function under src/ is over 60 lines, but for the trace readers named in the allowed list', () => {
    const files = tsFiles(join(root, 'src')).filter((f) => !longFunctionsAllowed.includes(relative(root, f)));
    expect(files.flatMap((f) => longFunctions(f, 60))).toEqual([]);
  });

  it('the length check finds a long function', () => {
    expect(longFunctions(join(root, 'src', 'trace', 'json-array.ts'), 60)).not.toEqual([]);
  });
});

import { scanColumns } from '../store/columns.js';
import { type Db, sqlString } from '../store/duckdb.js';
import { KeyTable } from './key-table.js';

/**
 * The read of the walks (src/analysis/walks.ts): every entry of a_items once, in the runs of one layer it arrives
 * in, each file's content given a dense id.
 */

/** Every distinct content: its key, size and class (both follow from the bytes: the first file's). */
export interface Contents {
  count: number;
  keys: { h: Uint32Array; h2: Uint32Array };
  size: Float64Array;
  fileClass: Uint8Array;
  /** file_class names; a class code c > 0 names classes[c - 1]. */
  classes: string[];
}

export interface Read {
  contents: Contents;
  /** Every entry but opaque ones (they write no path): the two words of hp, the entry index and the content id. */
  keys: LayerRuns;
  /** Files per layer. */
  files: Int32Array;
}

/** `EntryWalks.content` of an entry that is not a file: `notFile` for a directory, `notFile - 1` otherwise. */
export const notFile = -1;

/**
 * One pass over a_items: each file's content given a dense id (by its 128-bit key h, h2), each entry's path key
 * hp kept. `layers` (ids below it), `contentCount` (an estimate) and `entries` size the arrays (they grow if need
 * be). The rows stay where they arrived, in runs of one layer (`LayerRuns`).
 */
export async function readEntries(db: Db, layers: number, contentCount: number, entries: number): Promise<Read> {
  const classes = (await db.all<{ c: string }>('SELECT file_class AS c FROM a_file_class_names ORDER BY c')).map((r) => r.c);
  const code = classes.length > 0 ? `coalesce(list_position([${classes.map(sqlString).join(', ')}], file_class), 0)` : '0';
  const contents = new ContentTable(contentCount);
  const keys = new LayerRuns(4, entries);
  const perLayer = new Int32Array(layers);
  // Six columns where eight would do: each vector handed over costs about as much as reading it, so the layer
  // and entry index travel as the two words of one UBIGINT, the kind of entry and the file class as one INTEGER.
  const sql = `SELECT (layer_id::UBIGINT << 32) | entry_index::UBIGINT,
    ((CASE entry_type WHEN 'file' THEN 1 WHEN 'opaque' THEN 2 WHEN 'dir' THEN 3 ELSE 0 END) << 8 | ${code})::INTEGER,
    coalesce(hp, 0), coalesce(h, 0), coalesce(h2, 0), coalesce(size, 0)::DOUBLE FROM a_items`;
  await scanColumns(db, sql, ['u64', 'i32', 'u64', 'u64', 'u64', 'f64'], (c, n) => {
    const [place, kindClass, hp, h, h2, size] = c as [Uint32Array, Int32Array, Uint32Array, Uint32Array, Uint32Array, Float64Array];
    const [low, high, index, content] = keys.reserve(n);
    for (let i = 0; i < n; i++) {
      const type = kindClass[i] >> 8;
      if (type === 2) continue;
      const layer = place[2 * i + 1];
      const at = keys.row(layer);
      low[at] = hp[2 * i];
      high[at] = hp[2 * i + 1];
      index[at] = place[2 * i];
      if (type === 1) {
        content[at] = contents.id(h[2 * i], h[2 * i + 1], h2[2 * i], h2[2 * i + 1], size[i], kindClass[i] & 255);
        perLayer[layer]++;
      } else content[at] = type === 3 ? notFile : notFile - 1;
    }
  });
  return { contents: contents.done(classes), keys, files: perLayer };
}

/** The content ids: a key table over (h, h2) and each content's size and class. */
class ContentTable {
  private readonly table: KeyTable;
  private size: Float64Array;
  private fileClass: Uint8Array;

  /** `expected`: about how many contents there are (the table grows if there are more). */
  constructor(expected: number) {
    expected = Math.max(1 << 16, Math.ceil(expected * 1.05));
    this.table = new KeyTable(expected);
    this.size = new Float64Array(expected);
    this.fileClass = new Uint8Array(expected);
  }

  /** The id of the content whose key is h = (a, b), h2 = (c, d); its size and class are kept when first seen. */
  id(a: number, b: number, c: number, d: number, size: number, fileClass: number): number {
    const before = this.table.size;
    const cid = this.table.id(a, b, c, d);
    if (cid === before) {
      if (cid >= this.size.length) {
        this.size = grown(this.size, cid);
        this.fileClass = grown(this.fileClass, cid);
      }
      this.size[cid] = size;
      this.fileClass[cid] = fileClass;
    }
    return cid;
  }

  done(classes: string[]): Contents {
    const count = this.table.size;
    const { first: h, second: h2 } = this.table.seal();
    return { count, keys: { h, h2 }, size: this.size.subarray(0, count), fileClass: this.fileClass.subarray(0, count), classes };
  }
}

function grown<T extends Float64Array | Uint8Array | Int32Array>(array: T, index: number): T {
  const bigger = new (array.constructor as new (n: number) => T)(Math.max(array.length * 2, index + 1));
  bigger.set(array);
  return bigger;
}

/**
 * Rows of int32 columns that arrive in runs of one layer (a layer's entries are stored together, the runs in any
 * order): the walks follow each layer's runs (`byLayer`) instead of moving the rows into layer order.
 */
class LayerRuns {
  private data: Int32Array[];
  private capacity: number;
  private length = 0;
  private runLayer = new Int32Array(1 << 12);
  private runStart = new Int32Array(1 << 12);
  private runs = 0;
  private last = -1;

  constructor(width: number, expected: number) {
    this.capacity = Math.max(1024, expected);
    this.data = Array.from({ length: width }, () => new Int32Array(this.capacity));
  }

  /** Room for `n` more rows; the columns to write them into (replaced when they grow: take them again each time). */
  reserve(n: number): Int32Array[] {
    if (this.length + n > this.capacity) {
      this.capacity = Math.max(this.capacity * 2, this.length + n);
      this.data = this.data.map((d) => {
        const bigger = new Int32Array(this.capacity);
        bigger.set(d.subarray(0, this.length));
        return bigger;
      });
    }
    return this.data;
  }

  /** The index of a new row of `layer` (within the room `reserve` made). */
  row(layer: number): number {
    if (layer !== this.last) {
      if (this.runs === this.runLayer.length) {
        this.runLayer = grown(this.runLayer, this.runs);
        this.runStart = grown(this.runStart, this.runs);
      }
      this.runLayer[this.runs] = layer;
      this.runStart[this.runs++] = this.length;
      this.last = layer;
    }
    return this.length++;
  }

  /**
   * The rows by layer (ids below `layers`), where they lie: run r holds rows start[r] .. end[r] of layer[r]; the
   * runs of layer L are first[L], next[first[L]], ... (-1 ends), in the order they arrived; count[L] rows in all.
   * No row moves.
   */
  byLayer(layers: number): Runs {
    const first = new Int32Array(layers).fill(-1);
    const next = new Int32Array(this.runs);
    const end = new Int32Array(this.runs);
    const count = new Int32Array(layers);
    for (let r = this.runs - 1; r >= 0; r--) {
      const layer = this.runLayer[r];
      end[r] = r + 1 < this.runs ? this.runStart[r + 1] : this.length;
      count[layer] += end[r] - this.runStart[r];
      next[r] = first[layer];
      first[layer] = r;
    }
    return { layer: this.runLayer.subarray(0, this.runs), first, next, start: this.runStart.subarray(0, this.runs), end, count, columns: this.data };
  }
}

/** Rows by layer (`LayerRuns.byLayer`). */
export interface Runs {
  layer: Int32Array;
  first: Int32Array;
  next: Int32Array;
  start: Int32Array;
  end: Int32Array;
  count: Int32Array;
  columns: Int32Array[];
}

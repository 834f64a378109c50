import { readColumns, scanColumns, writeColumns } from '../store/columns.js';
import { type Db, sqlString } from '../store/duckdb.js';
import { KeyTable } from './key-table.js';

/**
 * The per-image walks of an analysis, over typed arrays instead of SQL sorts. An image's figures need its
 * layers' entries side by side (10 M file rows make 20 M or more rows once every image lists its layers); in
 * SQL that is a sort of every (image, entry) pair, here one pass over each image's layers with a stamp per
 * content or path. Entries are read once from a_items (entries.sql), each content (the 128-bit key h, h2 of
 * its digest) given a dense id, each path by its key hp, and kept by layer:
 * - a_digests: one row per distinct content, its id (content_id), size, class, copies and layers;
 * - a_content_copies: where the copies of chosen contents lie (the top files);
 * - a_content_waste_layers: content waste per layer ref (image_waste.sql);
 * - a_path_candidates: the entries whose path key the image holds at two layer positions or more (image_waste.sql);
 * - a_hiding: the entries whose path key is a directory's (image_dirs.sql, image_waste.sql);
 * - a_update_files: what an update moves under file dedup (traffic.sql).
 * Each table is the one the SQL it replaces made, row for row (test/unit/analysis/walks.test.ts).
 */
export class EntryWalks {
  private constructor(
    /**
     * The entries (but opaque ones, which write no path) by layer: the two words of the path key hp (keyLow,
     * keyHigh), the entry's index and, for a file, its content id (`content`; `notFile` for a directory,
     * `notFile - 1` for any other entry).
     */
    private readonly keys: Runs,
    private readonly keyLow: Int32Array,
    private readonly keyHigh: Int32Array,
    private readonly keyEntry: Int32Array,
    private readonly content: Int32Array,
    /** Files per layer. */
    private readonly files: Int32Array,
    private readonly contents: Contents,
  ) {}

  /** The layer refs of a_image_layers, read once for the walks that go image by image. */
  private refs?: Promise<ImageLayers>;

  private imageLayers(db: Db): Promise<ImageLayers> {
    this.refs ??= readImageLayers(db);
    return this.refs;
  }

  /** Reads the entries of a_items (entries.sql) in one pass and writes a_digests. */
  static async load(db: Db): Promise<EntryWalks> {
    const [sizes] = await db.all<{ layers: number; files: number; entries: number }>(
      'SELECT coalesce(max(layer_id), 0)::INTEGER AS layers, coalesce(sum(file_count), 0)::DOUBLE AS files, coalesce(sum(entry_count), 0)::DOUBLE AS entries FROM a_layers');
    const layers = Number(sizes.layers) + 1;
    const read = await readEntries(db, layers, Number(sizes.files), Number(sizes.entries));
    const keys = read.keys.byLayer(layers);
    const walks = new EntryWalks(keys, keys.columns[0], keys.columns[1], keys.columns[2], keys.columns[3], read.files, read.contents);
    await walks.writeDigests(db);
    return walks;
  }

  private async writeDigests(db: Db): Promise<void> {
    const c = this.contents;
    const copies = new Float64Array(c.count);
    const layerCount = new Float64Array(c.count);
    const last = new Int32Array(c.count);
    const { first, next, start, end } = this.keys;
    for (let layer = 1; layer < first.length; layer++) {
      for (let run = first[layer]; run >= 0; run = next[run]) {
        for (let i = start[run]; i < end[run]; i++) {
          const cid = this.content[i];
          if (cid < 0) continue;
          copies[cid]++;
          if (last[cid] !== layer) {
            last[cid] = layer;
            layerCount[cid]++;
          }
        }
      }
    }
    const ids = new Int32Array(c.count);
    for (let i = 0; i < c.count; i++) ids[i] = i;
    const names = ['content_id', 'h', 'h2', 'size', 'class', 'copies', 'layers'];
    await writeColumns(db, 'a_digests_raw', names, ['i32', 'u64', 'u64', 'f64', 'u8', 'f64', 'f64'], [ids, c.keys.h, c.keys.h2, c.size, c.fileClass, copies, layerCount], c.count);
    // A view over the table the walks wrote: the class named, the counts as integers, without a second copy.
    const classes = c.classes.length > 0 ? `[${c.classes.map(sqlString).join(', ')}]` : '[]::VARCHAR[]';
    await db.run(`CREATE OR REPLACE TEMP VIEW a_digests AS
      SELECT content_id, h, h2, size::BIGINT AS size, CASE WHEN class > 0 THEN (${classes})[class] END AS file_class, copies::BIGINT AS copies, layers::BIGINT AS layers
      FROM a_digests_raw`);
  }

  /**
   * Content waste per layer ref: walking an image's layers bottom up, a content seen before (lower, or earlier
   * in the same layer) is waste, every copy of it. Rows only for layer refs with files, as the SQL made them.
   */
  async writeContentWaste(db: Db): Promise<void> {
    const refs = await this.imageLayers(db);
    const stamp = new Int32Array(this.contents.count);
    const out = { image: new Int32Array(refs.rows), position: new Int32Array(refs.rows), bytes: new Float64Array(refs.rows), copies: new Float64Array(refs.rows) };
    const { first, next, start, end } = this.keys;
    let rows = 0;
    for (let r = 0; r < refs.rows; r++) {
      const [image, layer] = [refs.image[r], refs.layer[r]];
      if (this.files[layer] === 0) continue;
      let bytes = 0;
      let copies = 0;
      for (let run = first[layer]; run >= 0; run = next[run]) {
        for (let i = start[run]; i < end[run]; i++) {
          const cid = this.content[i];
          if (cid < 0) continue;
          if (stamp[cid] === image) {
            bytes += this.contents.size[cid];
            copies++;
          } else stamp[cid] = image;
        }
      }
      [out.image[rows], out.position[rows], out.bytes[rows], out.copies[rows]] = [image, refs.position[r], bytes, copies];
      rows++;
    }
    await writeColumns(db, 'a_cw_raw', ['image_id', 'position', 'bytes', 'copies'], ['i32', 'i32', 'f64', 'f64'], [out.image, out.position, out.bytes, out.copies], rows);
    await db.run(`CREATE OR REPLACE TEMP TABLE a_content_waste_layers AS
      SELECT image_id, position, bytes::BIGINT AS content_waste, copies::BIGINT AS content_waste_copies FROM a_cw_raw`);
    await db.run('DROP TABLE a_cw_raw');
  }

  /**
   * The entries whose path key the image holds at two layer positions or more (path waste needs a path written
   * by two layers: image_waste.sql): the keys of an image's layers in a table of that image's size (it stays in
   * the processor's cache), then the entries at keys found at two positions. An image of one layer has none.
   */
  async writePathCandidates(db: Db): Promise<void> {
    const refs = await this.imageLayers(db);
    const spread = new PathSpread();
    const out = new IntColumns(4);
    const { first, next, start, end, count } = this.keys;
    for (let from = 0; from < refs.rows; ) {
      const image = refs.image[from];
      let to = from;
      let keys = 0;
      for (; to < refs.rows && refs.image[to] === image; to++) keys += count[refs.layer[to]];
      if (to - from < 2) {
        from = to;
        continue;
      }
      spread.start(image, keys);
      for (let r = from; r < to; r++) {
        for (let run = first[refs.layer[r]]; run >= 0; run = next[run]) {
          for (let i = start[run]; i < end[run]; i++) spread.add(this.keyLow[i], this.keyHigh[i], refs.position[r]);
        }
      }
      for (let r = from; r < to; r++) {
        const layer = refs.layer[r];
        for (let run = first[layer]; run >= 0; run = next[run]) {
          for (let i = start[run]; i < end[run]; i++) {
            if (spread.spans(this.keyLow[i], this.keyHigh[i])) out.push4(image, refs.position[r], layer, this.keyEntry[i]);
          }
        }
      }
      from = to;
    }
    await writeColumns(db, 'a_path_candidates', ['image_id', 'position', 'layer_id', 'entry_index'], ['i32', 'i32', 'i32', 'i32'], out.columns(), out.length);
  }

  /** a_content_copies: where the files of the given contents (content_id of a_digests) lie, every copy. */
  async writeCopies(db: Db, contentIds: readonly number[]): Promise<void> {
    const wanted = new Uint8Array(this.contents.count);
    for (const id of contentIds) wanted[id] = 1;
    const out = new IntColumns(3);
    const { first, next, start, end } = this.keys;
    for (let layer = 1; layer < first.length; layer++) {
      for (let run = first[layer]; run >= 0; run = next[run]) {
        for (let i = start[run]; i < end[run]; i++) {
          const cid = this.content[i];
          if (cid >= 0 && wanted[cid] === 1) out.push3(layer, this.keyEntry[i], cid);
        }
      }
    }
    await writeColumns(db, 'a_content_copies', ['layer_id', 'entry_index', 'content_id'], ['i32', 'i32', 'i32'], out.columns(), out.length);
  }

  /**
   * a_hiding: the entries but directories (and opaque ones, which have no path key) whose path key is one of
   * a_dirs (image_dirs.sql), the directories of the dataset: each may hide a directory from the layers below.
   */
  async writeHiding(db: Db): Promise<void> {
    const dirs = await readColumns(db, 'SELECT hp FROM a_dirs', ['u64']);
    const [hp] = dirs.columns as [Uint32Array];
    const table = new KeyTable(dirs.rows);
    for (let i = 0; i < dirs.rows; i++) table.id(hp[2 * i], hp[2 * i + 1], 0, 0);
    const out = new IntColumns(2);
    const { first, next, start, end } = this.keys;
    for (let layer = 1; layer < first.length; layer++) {
      for (let run = first[layer]; run >= 0; run = next[run]) {
        for (let i = start[run]; i < end[run]; i++) {
          if (this.content[i] !== notFile && table.find(this.keyLow[i] >>> 0, this.keyHigh[i] >>> 0, 0, 0) >= 0) out.push2(layer, this.keyEntry[i]);
        }
      }
    }
    await writeColumns(db, 'a_hiding', ['layer_id', 'entry_index'], ['i32', 'i32'], out.columns(), out.length);
  }

  /**
   * Under file dedup an update moves the distinct contents of the new image's new layers (a_update_blobs) that
   * no layer of the previous version holds: the old side's contents are stamped first, then the new side's
   * unstamped ones counted once each. Rows only for updates that move something, as the SQL made them.
   */
  async writeUpdateFiles(db: Db): Promise<void> {
    const sides = await readColumns(db, `
      WITH fresh AS (SELECT DISTINCT prev_id, image_id FROM a_update_blobs WHERE layer_id IS NOT NULL)
      SELECT p.prev_id, p.image_id, b.layer_id, 1::UTINYINT AS held FROM fresh p JOIN a_image_blobs b ON b.image_id = p.prev_id WHERE b.layer_id IS NOT NULL
      UNION ALL
      SELECT prev_id, image_id, layer_id, 0::UTINYINT FROM a_update_blobs WHERE layer_id IS NOT NULL
      ORDER BY prev_id, image_id, held DESC`, ['i32', 'i32', 'i32', 'u8']);
    const [prev, image, layer, held] = sides.columns as [Int32Array, Int32Array, Int32Array, Uint8Array];
    const stamp = new Int32Array(this.contents.count);
    const out = { prev: new Int32Array(sides.rows), image: new Int32Array(sides.rows), units: new Float64Array(sides.rows), bytes: new Float64Array(sides.rows) };
    const { first, next, start, end } = this.keys;
    let rows = 0;
    let pair = 0;
    for (let from = 0; from < sides.rows; ) {
      pair++;
      let to = from;
      let units = 0;
      let bytes = 0;
      while (to < sides.rows && prev[to] === prev[from] && image[to] === image[from]) {
        for (let run = first[layer[to]]; run >= 0; run = next[run]) {
          for (let i = start[run]; i < end[run]; i++) {
            const cid = this.content[i];
            if (cid < 0 || stamp[cid] === pair) continue;
            stamp[cid] = pair;
            if (held[to] === 0) {
              units++;
              bytes += this.contents.size[cid];
            }
          }
        }
        to++;
      }
      if (units > 0) [out.prev[rows], out.image[rows], out.units[rows], out.bytes[rows], rows] = [prev[from], image[from], units, bytes, rows + 1];
      from = to;
    }
    await writeColumns(db, 'a_uf_raw', ['prev_id', 'image_id', 'units', 'bytes'], ['i32', 'i32', 'f64', 'f64'], [out.prev, out.image, out.units, out.bytes], rows);
    await db.run('CREATE OR REPLACE TEMP TABLE a_update_files AS SELECT prev_id, image_id, units::BIGINT AS units, bytes::BIGINT AS bytes FROM a_uf_raw');
    await db.run('DROP TABLE a_uf_raw');
  }
}

/** Every distinct content: its key, size and class (both follow from the bytes: the first file's). */
interface Contents {
  count: number;
  keys: { h: Uint32Array; h2: Uint32Array };
  size: Float64Array;
  fileClass: Uint8Array;
  /** file_class names; a class code c > 0 names classes[c - 1]. */
  classes: string[];
}

interface Read {
  contents: Contents;
  /** Every entry but opaque ones (they write no path): the two words of hp, the entry index and the content id. */
  keys: LayerRuns;
  /** Files per layer. */
  files: Int32Array;
}

/** `EntryWalks.content` of an entry that is not a file: `notFile` for a directory, `notFile - 1` otherwise. */
const notFile = -1;

/**
 * One pass over a_items: each file's content given a dense id (by its 128-bit key h, h2), each entry's path key
 * hp kept. `layers` (ids below it), `files` and `entries` size the arrays (they grow if need be). The rows stay
 * where they arrived, in runs of one layer (`LayerRuns`).
 */
async function readEntries(db: Db, layers: number, files: number, entries: number): Promise<Read> {
  const classes = (await db.all<{ c: string }>('SELECT file_class AS c FROM a_file_class_names ORDER BY c')).map((r) => r.c);
  const code = classes.length > 0 ? `coalesce(list_position([${classes.map(sqlString).join(', ')}], file_class), 0)` : '0';
  const contents = new ContentTable(files);
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

  constructor(files: number) {
    const expected = Math.max(1 << 16, files >> 3);
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

/** The (image, position, layer) of every layer ref in image then position order; layer 0 for a layer not read. */
interface ImageLayers {
  rows: number;
  image: Int32Array;
  position: Int32Array;
  layer: Int32Array;
}

async function readImageLayers(db: Db): Promise<ImageLayers> {
  const r = await readColumns(db, 'SELECT image_id, position, coalesce(layer_id, 0) FROM a_image_layers ORDER BY image_id, position', ['i32', 'i32', 'i32']);
  const [image, position, layer] = r.columns as Int32Array[];
  return { rows: r.rows, image, position, layer };
}

function grown<T extends Float64Array | Uint8Array | Int32Array>(array: T, index: number): T {
  const bigger = new (array.constructor as new (n: number) => T)(Math.max(array.length * 2, index + 1));
  bigger.set(array);
  return bigger;
}

/**
 * The positions of path keys within one image: an open-addressing table sized to the image (twice its keys, a
 * power of two), reused from image to image; a slot is taken when it holds the current image's stamp. Each key
 * keeps the first position it was found at and whether another position holds it too.
 */
class PathSpread {
  private stamp = new Int32Array(1 << 12);
  private low = new Int32Array(1 << 12);
  private high = new Int32Array(1 << 12);
  private first = new Int32Array(1 << 12);
  private spread = new Uint8Array(1 << 12);
  private image = 0;
  private mask = 0;

  /** Starts on the keys of an image (ids from 1) that has `keys` of them. */
  start(image: number, keys: number): void {
    let capacity = 1 << 4;
    while (capacity < keys * 2) capacity *= 2;
    if (capacity > this.stamp.length) {
      this.stamp = new Int32Array(capacity);
      this.low = new Int32Array(capacity);
      this.high = new Int32Array(capacity);
      this.first = new Int32Array(capacity);
      this.spread = new Uint8Array(capacity);
    }
    this.image = image;
    this.mask = capacity - 1;
  }

  private slot(low: number, high: number): number {
    let slot = (low ^ Math.imul(high, 0x9e3779b1)) & this.mask;
    while (this.stamp[slot] === this.image && (this.low[slot] !== low || this.high[slot] !== high)) slot = (slot + 1) & this.mask;
    return slot;
  }

  add(low: number, high: number, position: number): void {
    const slot = this.slot(low, high);
    if (this.stamp[slot] === this.image) {
      if (this.first[slot] !== position) this.spread[slot] = 1;
    } else {
      this.stamp[slot] = this.image;
      this.low[slot] = low;
      this.high[slot] = high;
      this.first[slot] = position;
      this.spread[slot] = 0;
    }
  }

  /** True when the key was added at two positions or more. */
  spans(low: number, high: number): boolean {
    const slot = this.slot(low, high);
    return this.stamp[slot] === this.image && this.spread[slot] === 1;
  }
}

/** Rows of `width` int32 columns, appended one row at a time, each column its own array. */
class IntColumns {
  private data: Int32Array[];
  private capacity: number;
  length = 0;

  constructor(width: number, expected = 1 << 16) {
    this.capacity = Math.max(1024, expected);
    this.data = Array.from({ length: width }, () => new Int32Array(this.capacity));
  }

  private room(): number {
    if (this.length === this.capacity) {
      this.capacity *= 2;
      this.data = this.data.map((d) => {
        const bigger = new Int32Array(this.capacity);
        bigger.set(d);
        return bigger;
      });
    }
    return this.length++;
  }

  push2(a: number, b: number): void {
    const at = this.room();
    this.data[0][at] = a;
    this.data[1][at] = b;
  }

  push3(a: number, b: number, c: number): void {
    const at = this.room();
    this.data[0][at] = a;
    this.data[1][at] = b;
    this.data[2][at] = c;
  }

  push4(a: number, b: number, c: number, d: number): void {
    const at = this.room();
    this.data[0][at] = a;
    this.data[1][at] = b;
    this.data[2][at] = c;
    this.data[3][at] = d;
  }

  columns(): Int32Array[] {
    return this.data.map((d) => d.subarray(0, this.length));
  }
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
   * The rows by layer (ids below `layers`), where they lie: the runs of layer L are first[L], next[first[L]], ...
   * (-1 ends), in the order they arrived, each over start[run] .. end[run]; count[L] rows in all. No row moves.
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
    return { first, next, start: this.runStart.subarray(0, this.runs), end, count, columns: this.data };
  }
}

/** Rows by layer (`LayerRuns.byLayer`). */
interface Runs {
  first: Int32Array;
  next: Int32Array;
  start: Int32Array;
  end: Int32Array;
  count: Int32Array;
  columns: Int32Array[];
}

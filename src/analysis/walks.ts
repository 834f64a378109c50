import { readColumns, writeColumns } from '../store/columns.js';
import { type Db, sqlString } from '../store/duckdb.js';
import { type Contents, notFile, readEntries, type Runs } from './entry-read.js';
import { KeyTable } from './key-table.js';
import { PathSpread } from './path-spread.js';
import { Turns } from './turns.js';

/**
 * The per-image walks of an analysis, over typed arrays instead of SQL sorts. An image's figures need its
 * layers' entries side by side (10 M file rows make 20 M or more rows once every image lists its layers); in
 * SQL that is a sort of every (image, entry) pair, here one pass over each image's layers with a stamp per
 * content or path. Entries are read once from a_items (entries.sql), each content (the 128-bit key h, h2 of
 * its digest) given a dense id, each path by its key hp, and kept by layer:
 * - a_digests: one row per distinct content, its id (content_id), size, class, copies and layers;
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

  /**
   * Reads the entries of a_items (entries.sql) in one pass and writes a_digests. `contents`: about how many
   * distinct contents there are (it sizes the content table; `approx_count_distinct` of the keys is close enough).
   */
  static async load(db: Db, contents: number): Promise<EntryWalks> {
    const [sizes] = await db.all<{ layers: number; entries: number }>(
      'SELECT coalesce(max(layer_id), 0)::INTEGER AS layers, coalesce(sum(entry_count), 0)::DOUBLE AS entries FROM a_layers');
    const layers = Number(sizes.layers) + 1;
    const read = await readEntries(db, layers, contents, Number(sizes.entries));
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
    await db.run(`CREATE OR REPLACE VIEW a_digests AS
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
    const turns = new Turns();
    for (let r = 0; r < refs.rows; r++) {
      if (turns.due()) await turns.give();
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
    await db.run(`CREATE OR REPLACE TABLE a_content_waste_layers AS
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
    const turns = new Turns();
    for (let from = 0; from < refs.rows; ) {
      if (turns.due()) await turns.give();
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
    const { layer, start, end } = this.keys;
    const turns = new Turns();
    for (let run = 0; run < layer.length; run++) {
      if (turns.due()) await turns.give();
      for (let i = start[run]; i < end[run]; i++) {
        if (this.content[i] !== notFile && table.find(this.keyLow[i] >>> 0, this.keyHigh[i] >>> 0, 0, 0) >= 0) out.push2(layer[run], this.keyEntry[i]);
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
    const turns = new Turns();
    for (let from = 0; from < sides.rows; ) {
      if (turns.due()) await turns.give();
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
    await db.run('CREATE OR REPLACE TABLE a_update_files AS SELECT prev_id, image_id, units::BIGINT AS units, bytes::BIGINT AS bytes FROM a_uf_raw');
    await db.run('DROP TABLE a_uf_raw');
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

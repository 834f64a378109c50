import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnalysisDb } from '../../../src/analysis/db.js';
import { ensureImageWaste } from '../../../src/analysis/image-waste.js';
import { trafficFigures } from '../../../src/analysis/traffic.js';
import { generateDataset } from '../../bench/analyze.js';

// The walks of src/analysis/walks.ts against the same tables written as SQL (sorts and groupings over every
// (image, entry) pair), on a synthetic dataset with shared base layers, whiteouts, opaque directories and
// version series: table for table, row for row.
/** Every entry with a path key (opaque ones have none), as the walks keep them. */
const keys = "SELECT layer_id, entry_index, entry_type, hp FROM a_items WHERE entry_type <> 'opaque'";
const reference: Record<string, string> = {
  a_digests: `
    SELECT h, h2, any_value(size) AS size, any_value(file_class) AS file_class, sum(n)::BIGINT AS copies, count(*)::BIGINT AS layers
    FROM (SELECT h, h2, layer_id, count(*) AS n, any_value(size) AS size, any_value(file_class) AS file_class FROM a_files GROUP BY h, h2, layer_id)
    GROUP BY h, h2`,
  a_content_waste_layers: `
    SELECT image_id, position, coalesce(sum(size) FILTER (WHERE again), 0)::BIGINT AS content_waste,
      count(*) FILTER (WHERE again)::BIGINT AS content_waste_copies
    FROM (
      SELECT il.image_id, il.position, f.size, f.h = lag(f.h) OVER w AND f.h2 = lag(f.h2) OVER w AS again
      FROM a_image_layers il JOIN a_files f USING (layer_id)
      WINDOW w AS (PARTITION BY il.image_id ORDER BY f.h, f.h2, il.position, f.entry_index)
    )
    GROUP BY image_id, position`,
  a_path_candidates: `
    SELECT image_id, position, layer_id, entry_index
    FROM (
      SELECT il.image_id, il.position, k.layer_id, k.entry_index, min(il.position) OVER w < max(il.position) OVER w AS spans
      FROM a_image_layers il JOIN (${keys}) k USING (layer_id)
      WINDOW w AS (PARTITION BY il.image_id, k.hp)
    )
    WHERE spans`,
  a_hiding: `SELECT layer_id, entry_index FROM (${keys}) k WHERE entry_type <> 'dir' AND hp IN (SELECT hp FROM a_dirs)`,
  a_update_files: `
    WITH fresh AS (SELECT DISTINCT prev_id, image_id FROM a_update_blobs WHERE layer_id IS NOT NULL),
    sides AS (
      SELECT u.prev_id, u.image_id, f.h, f.h2, f.size, false AS held FROM a_update_blobs u JOIN a_files f USING (layer_id)
      UNION ALL
      SELECT p.prev_id, p.image_id, f.h, f.h2, f.size, true
      FROM fresh p JOIN a_image_blobs b ON b.image_id = p.prev_id JOIN a_files f ON f.layer_id = b.layer_id
    )
    SELECT prev_id, image_id, count(*)::BIGINT AS units, coalesce(sum(size), 0)::BIGINT AS bytes
    FROM (SELECT prev_id, image_id, h, h2, any_value(size) AS size FROM sides GROUP BY prev_id, image_id, h, h2 HAVING NOT bool_or(held))
    GROUP BY prev_id, image_id`,
};

const dir = mkdtempSync(join(tmpdir(), 'imgscan-walks-'));
beforeAll(() => generateDataset(dir, { rows: 150_000, images: 4_000, versions: true, contents: 30_000 }), 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the per-image walks', () => {
  it('make the tables the SQL formulations make, row for row', async () => {
    const a = await AnalysisDb.open([dir]);
    try {
      await ensureImageWaste(a);
      await trafficFigures(a);
      // a_digests also numbers the contents (content_id: 0 .. n - 1, each once), which the SQL did not.
      const [ids] = await a.rows<{ n: number; distinct_ids: number; low: number; high: number }>(
        'SELECT count(*) AS n, count(DISTINCT content_id) AS distinct_ids, min(content_id) AS low, max(content_id) AS high FROM a_digests');
      expect(ids).toEqual({ n: ids.n, distinct_ids: ids.n, low: 0, high: ids.n - 1 });
      for (const [name, sql] of Object.entries(reference)) {
        const table = name === 'a_digests' ? '(SELECT h, h2, size, file_class, copies, layers FROM a_digests)' : name;
        await a.db.run(`CREATE TEMP TABLE ref_${name} AS ${sql}`);
        const [n] = await a.rows<{ ours: number; theirs: number; only_ours: number; only_theirs: number }>(`SELECT
          (SELECT count(*) FROM ${table}) AS ours, (SELECT count(*) FROM ref_${name}) AS theirs,
          (SELECT count(*) FROM (SELECT * FROM ${table} EXCEPT ALL SELECT * FROM ref_${name})) AS only_ours,
          (SELECT count(*) FROM (SELECT * FROM ref_${name} EXCEPT ALL SELECT * FROM ${table})) AS only_theirs`);
        expect({ name, ...n }).toEqual({ name, ours: n.theirs, theirs: n.theirs, only_ours: 0, only_theirs: 0 });
        expect(n.theirs, `${name} has rows to compare`).toBeGreaterThan(20);
      }
    } finally {
      await a.close();
    }
  }, 300_000);
});

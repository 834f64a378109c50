import { existsSync, readdirSync, statSync } from 'node:fs';
import { ImgscanError } from '../errors.js';
import { tableNames, workDirNames } from '../store/layout.js';
import { chunkFigures } from './chunks.js';
import { datasetFigures, layerFigures } from './dataset.js';
import { AnalysisDb } from './db.js';
import { fileFigures } from './files.js';
import { imageFigures, imageWaste } from './images.js';
import { dockerHubFigures } from './published.js';
import { storageFigures } from './storage.js';
import { compressedShares, compressionFigures } from './compression.js';
import { trafficFigures, updateTraffic } from './traffic.js';
import { buildStepFigures } from './build-steps.js';
import type { ImageWaste, Summary } from './types.js';

export interface AnalyzeOptions {
  /** Data dirs of one dataset (runs and shards); every committed Parquet part in them is read. */
  dataDirs: string[];
  /** Rows in the "most shared", "top duplicated" and "least efficient" tables. */
  top?: number;
  /** Bytes of memory the database may use before spilling to disk (default: defaultAnalysisMemory). */
  memory?: number;
}

export interface Analysis {
  summary: Summary;
  /** Every image with its waste, least efficient first (csv/images.csv). */
  images: ImageWaste[];
  /** Seconds spent in the queries, and per SQL file. */
  seconds: { queries: number; steps: Record<string, number> };
}

/** A directory a scan or crawl wrote into: its staging and claims directories, or a table's parts. */
function isDataset(dir: string): boolean {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return false;
  const names = new Set(readdirSync(dir));
  return [...workDirNames, ...tableNames].some((n) => names.has(n));
}

/** Throws USAGE unless every data dir given holds a dataset (a mistyped shard would be left out silently). */
export function checkDataDirs(dirs: readonly string[]): void {
  const missing = dirs.length === 0 ? ['(none given)'] : dirs.filter((d) => !isDataset(d));
  if (missing.length > 0) {
    throw new ImgscanError('USAGE', `no dataset at ${missing.join(', ')}: scan images into it first (imgscan scan ... --data DIR)`);
  }
}

/**
 * A dataset that holds no image but failures is what scans that failed left (without --keep-going a scan stops
 * at its first failure, which it records; the layers it finished stay for the next run). Its figures would all
 * be zeros: it is refused, with the last failure, rather than reported as an empty dataset.
 */
async function refuseFailedScans(a: AnalysisDb, dirs: readonly string[], failures: number): Promise<never> {
  const [last] = await a.rows<{ target: string; code: string; message: string }>('SELECT target, code, message FROM failures ORDER BY failed_at DESC LIMIT 1');
  throw new ImgscanError(
    'NOT_FOUND',
    `no image in ${dirs.join(', ')}: the scans into it failed (${failures} failure${failures === 1 ? '' : 's'} recorded, the last: ${last?.target}: ${last?.message} [${last?.code}]); fix the cause and scan again`,
  );
}

/** Both results once both promises are settled; the first failure, if any, after both are. */
async function settled<A, B>(a: Promise<A>, b: Promise<B>): Promise<[A, B]> {
  const [x, y] = await Promise.allSettled([a, b]);
  if (x.status === 'rejected') throw x.reason;
  if (y.status === 'rejected') throw y.reason;
  return [x.value, y.value];
}

/**
 * The figures that need no image waste: layers, files, chunks and compression (SQL), then what updates move (SQL
 * and a walk, which the main thread runs in the turns image waste gives it, or while image_waste.sql runs).
 */
async function besideImageWaste(a: AnalysisDb, top: number) {
  const layer = await layerFigures(a, top);
  const file = await fileFigures(a, top);
  const chunk = await chunkFigures(a);
  const compression = await compressionFigures(a, chunk);
  await updateTraffic(a);
  return { layer, file, chunk, compression };
}

/** `imgscan analyze`: every figure of docs/metrics.md over the dataset (src/report/redundancy makes the report of it). */
export async function analyzeDataset(options: AnalyzeOptions): Promise<Analysis> {
  checkDataDirs(options.dataDirs);
  const top = options.top ?? 20;
  const started = performance.now();
  const a = await AnalysisDb.open(options.dataDirs, undefined, options.memory);
  let summary: Summary;
  let images: ImageWaste[];
  let steps: Record<string, number>;
  try {
    const dataset = await datasetFigures(a);
    if (dataset.images === 0 && dataset.failures > 0) await refuseFailedScans(a, options.dataDirs, dataset.failures);
    // Two lanes, each on a connection of its own: the image waste (walks on the main thread, then SQL), and the
    // figures that do not need it, which DuckDB works on while the walks keep the main thread busy.
    const side = await a.beside();
    const [waste, { layer, file, chunk, compression }] = await settled(imageWaste(a), besideImageWaste(side, top)).finally(() => side.close());
    images = waste;
    const storage = await storageFigures(a, chunk, compression, dataset.layers_read);
    const traffic = await trafficFigures(a, compressedShares(compression));
    const build = await buildStepFigures(a, top);
    const partial = { schema_version: 1 as const, data_dirs: options.dataDirs, dataset, layer, file, image: imageFigures(images, top), storage, compression, chunk, traffic, build };
    summary = { ...partial, docker_hub: dockerHubFigures(partial) };
  } finally {
    steps = Object.fromEntries(a.timings);
    await a.close();
  }
  return { summary, images, seconds: { queries: (performance.now() - started) / 1000, steps } };
}

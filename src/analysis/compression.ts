import type { AnalysisDb } from './db.js';
import { exact, poolStrata, ratioEstimate, type Estimate, type SampleUnit, type StratumPopulation } from './estimate.js';
import type { CompressedShare } from './traffic.js';
import type { ChunkerSample, ChunkFigures, CompressionFigures, SampleStratum } from './types.js';

/** A row of sample_files.sql: one file class. */
interface ClassRow extends StratumPopulation {
  n: number;
  sx: number;
}

/** A unit in the sample with both codecs' compressed bytes. */
interface UnitRow {
  stratum: string;
  x: number;
  gz: number | null;
  zs: number | null;
}

/** Both codecs' estimates over a population and the units of it in the sample; exact when all are in it. */
export function codecEstimates(strata: StratumPopulation[], units: UnitRow[]): { gzip: Estimate | null; zstd: Estimate | null } {
  const sampled = units.filter((u) => u.gz !== null && u.zs !== null);
  if (sampled.length === 0) return { gzip: null, zstd: null };
  if (sampled.length === strata.reduce((s, k) => s + k.population, 0)) {
    return { gzip: exact(sampled.reduce((s, u) => s + u.gz!, 0)), zstd: exact(sampled.reduce((s, u) => s + u.zs!, 0)) };
  }
  const codec = (y: 'gz' | 'zs'): SampleUnit[] => sampled.map((u) => ({ stratum: u.stratum, x: u.x, y: u[y]! }));
  return { gzip: ratioEstimate(strata, codec('gz')), zstd: ratioEstimate(strata, codec('zs')) };
}

function classRow(c: ClassRow, units: UnitRow[], pooled: boolean): SampleStratum {
  const mine = units.filter((u) => u.stratum === c.stratum);
  const gz = mine.reduce((s, u) => s + u.gz!, 0);
  const zs = mine.reduce((s, u) => s + u.zs!, 0);
  return {
    file_class: c.stratum,
    contents: c.population,
    bytes: c.population_bytes,
    sampled: c.n,
    sampled_bytes: c.sx,
    gzip_ratio: c.sx > 0 ? c.sx / gz : null,
    zstd_ratio: c.sx > 0 ? c.sx / zs : null,
    pooled,
  };
}

/**
 * The compression sample (docs/metrics.md "Compressed size of a design"): per file class, how many distinct
 * contents and bytes there are and how many are in the sample with their compression ratios; the estimated
 * compressed bytes of the distinct contents and of the layers' metadata, each with its 95% interval.
 */
export async function compressionFigures(a: AnalysisDb, chunk: ChunkFigures): Promise<CompressionFigures> {
  await a.run('sample_prepare');
  const classes = await a.query<ClassRow>('sample_files');
  const units = await a.query<UnitRow>('sample_file_units');
  const layers = await a.query<UnitRow>('sample_metadata');
  const [rates] = await a.query<{ rates: number[] | null }>('sample_rates');
  const into = poolStrata(classes, units.map((u) => ({ stratum: u.stratum, x: u.x, y: 0 })));
  const layersSampled = layers.filter((l) => l.gz !== null);
  return {
    available: units.length > 0,
    sample_rates: rates?.rates ?? [],
    contents: classes.reduce((s, c) => s + c.population, 0),
    contents_sampled: units.length,
    classes: classes.map((c) => classRow(c, units, into.get(c.stratum) !== c.stratum)),
    file_contents: codecEstimates(classes, units),
    chunkers: await chunkerSamples(a, chunk),
    metadata: {
      layers: layers.length,
      layers_sampled: layersSampled.length,
      ...codecEstimates([{ stratum: 'metadata', population: layers.length, population_bytes: layers.reduce((s, l) => s + l.x, 0) }], layersSampled),
    },
  };
}

/** Per chunker: its distinct chunks (from the chunk figures) and the estimate from those in the sample. */
async function chunkerSamples(a: AnalysisDb, chunk: ChunkFigures): Promise<ChunkerSample[]> {
  if (!chunk.available) return [];
  const units = await a.query<UnitRow>('sample_chunk_units');
  return chunk.chunkers.map((c) => {
    const mine = units.filter((u) => u.stratum === c.chunker);
    const population = [{ stratum: c.chunker, population: c.chunks_distinct, population_bytes: c.chunk_bytes_distinct }];
    return { chunker: c.chunker, chunks: c.chunks_distinct, chunk_bytes: c.chunk_bytes_distinct, chunks_sampled: mine.length, ...codecEstimates(population, mine) };
  });
}

/**
 * What share of its content bytes each file or chunk design keeps compressed (gzip -6, estimated from the sample);
 * traffic scales the content bytes a client moves by it.
 */
export function compressedShares(compression: CompressionFigures): CompressedShare[] {
  const bytes = compression.classes.reduce((s, k) => s + k.bytes, 0);
  const gzip = compression.file_contents.gzip;
  const files: CompressedShare[] = gzip !== null && bytes > 0 ? [{ design: 'file_dedup', chunker: null, share: gzip.value / bytes }] : [];
  const chunks = compression.chunkers.flatMap((c): CompressedShare[] =>
    c.gzip === null || c.chunk_bytes === 0 ? [] : [{ design: 'chunk_dedup', chunker: c.chunker, share: c.gzip.value / c.chunk_bytes }],
  );
  return [...files, ...chunks];
}

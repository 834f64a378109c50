import { ImgscanError } from '../errors.js';
import { parseSize } from '../format/parse.js';
import { checkChunker, chunkerName, type ChunkerSpec } from '../layers/chunker.js';

/** Options for chunking, shared by scan and crawl. Flag definitions live in commands. */
export interface ChunkingFlags {
  chunking?: string;
  'chunk-avg'?: string;
  'chunk-min'?: string;
  'chunk-max'?: string;
}

/** The size each algorithm takes when the spec names none: FastCDC 16 KiB, Nydus's 1 MiB, zstd:chunked's 64 KiB. */
export const DEFAULT_SIZES = { fastcdc: 16384, fixed: 1024 * 1024, rollsum: 65536 } as const;

export const CHUNKING_FORMS = 'fastcdc[:AVG[:MIN:MAX]], fixed[:SIZE] or rollsum[:AVG]';

/**
 * One item of a --chunking list: `fastcdc:16k` (min avg/4, max avg*4), `fastcdc:16k:4k:64k`, `fixed:1m`,
 * `rollsum:64k`, or the algorithm alone for its default size. Sizes as parseSize reads them (16k = 16384).
 */
export function parseChunker(item: string): ChunkerSpec {
  const [algorithm, ...sizes] = item.split(':').map((s) => s.trim());
  const bad = (why: string) => new ImgscanError('USAGE', `--chunking: ${JSON.stringify(item)} ${why}`);
  const size = (text: string) => {
    try {
      return parseSize(text);
    } catch {
      throw bad(`has ${JSON.stringify(text)}, not a size (e.g. 4096, 16k, 1m)`);
    }
  };
  const fits = (counts: number[]) => {
    if (!counts.includes(sizes.length)) throw bad(`is not of the form ${CHUNKING_FORMS}`);
  };
  let spec: ChunkerSpec;
  if (algorithm === 'fastcdc') {
    fits([0, 1, 3]);
    const avg = sizes.length > 0 ? size(sizes[0]!) : DEFAULT_SIZES.fastcdc;
    spec = sizes.length === 3 ? { algorithm, avg, min: size(sizes[1]!), max: size(sizes[2]!) } : { algorithm, avg, min: Math.floor(avg / 4), max: avg * 4 };
  } else if (algorithm === 'fixed') {
    fits([0, 1]);
    spec = { algorithm, size: sizes.length > 0 ? size(sizes[0]!) : DEFAULT_SIZES.fixed };
  } else if (algorithm === 'rollsum') {
    fits([0, 1]);
    spec = { algorithm, avg: sizes.length > 0 ? size(sizes[0]!) : DEFAULT_SIZES.rollsum };
  } else {
    throw bad(`names no chunker: give ${CHUNKING_FORMS}`);
  }
  try {
    checkChunker(spec);
  } catch (err) {
    throw bad(`is out of range: ${(err as Error).message}`);
  }
  return spec;
}

/** A --chunking list (comma-separated), checked whole: every item a chunker, no chunker named twice. */
export function parseChunking(text: string): ChunkerSpec[] {
  const items = text.split(',').map((s) => s.trim());
  if (items.some((s) => s === '')) throw new ImgscanError('USAGE', `--chunking ${JSON.stringify(text)} has an empty item: give ${CHUNKING_FORMS}, comma-separated`);
  const specs = items.map(parseChunker);
  const names = specs.map(chunkerName);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice) throw new ImgscanError('USAGE', `--chunking ${JSON.stringify(text)} names ${twice} twice`);
  return specs;
}

/** The chunkers the flags ask for, checked once here (a bad spec is a usage error before any layer is read). */
export function chunkingFrom(flags: ChunkingFlags): ChunkerSpec[] | undefined {
  const gone = (['chunk-avg', 'chunk-min', 'chunk-max'] as const).find((f) => flags[f] !== undefined);
  if (gone) throw new ImgscanError('USAGE', `--${gone} is gone: give the sizes in --chunking, e.g. --chunking fastcdc:16k or fastcdc:16k:4k:64k`);
  return flags.chunking === undefined ? undefined : parseChunking(flags.chunking);
}

import { checkChunking, type ChunkingParams } from '../layers/chunker.js';

/** Options for content-defined chunking, shared by scan and crawl. Flag definitions live in commands. */
export interface ChunkingFlags {
  chunking?: boolean;
  'chunk-avg'?: number;
  'chunk-min'?: number;
  'chunk-max'?: number;
}

/** The chunking the flags ask for, checked once here (a bad combination is a usage error before any layer). */
export function chunkingFrom(flags: ChunkingFlags): ChunkingParams | undefined {
  if (!flags.chunking) return undefined;
  const avg = flags['chunk-avg'] ?? 16384;
  const params = { avg, min: flags['chunk-min'] ?? Math.floor(avg / 4), max: flags['chunk-max'] ?? avg * 4 };
  checkChunking(params);
  return params;
}

/** Options for content-defined chunking, shared by scan and crawl. Flag definitions live in commands. */
export interface ChunkingFlags {
  chunking?: boolean;
  'chunk-avg'?: number;
  'chunk-min'?: number;
  'chunk-max'?: number;
}

export function chunkingFrom(flags: ChunkingFlags): { avg: number; min: number; max: number } | undefined {
  if (!flags.chunking) return undefined;
  const avg = flags['chunk-avg'] ?? 16384;
  return { avg, min: flags['chunk-min'] ?? Math.floor(avg / 4), max: flags['chunk-max'] ?? avg * 4 };
}

import { Flags } from '@oclif/core';

/** Content-defined chunking flags, shared by scan and crawl (see src/cli/chunking.ts). */
export const chunkingFlags = {
  chunking: Flags.boolean({ description: 'also split file contents into content-defined chunks (FastCDC) and record chunk digests' }),
  'chunk-avg': Flags.integer({ description: 'average chunk size in bytes', default: 16384, min: 256 }),
  'chunk-min': Flags.integer({ description: 'minimum chunk size in bytes (default avg/4)', min: 64 }),
  'chunk-max': Flags.integer({ description: 'maximum chunk size in bytes (default avg*4)', min: 1024 }),
};

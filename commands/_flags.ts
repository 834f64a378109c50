import { Flags } from '@oclif/core';
import { DEFAULT_SAMPLE_RATE } from '../src/cli/sample-rate.js';

/** Content-defined chunking flags, shared by scan and crawl (see src/cli/chunking.ts). */
export const chunkingFlags = {
  chunking: Flags.boolean({ description: 'also split file contents into content-defined chunks (FastCDC) and record chunk digests' }),
  'chunk-avg': Flags.integer({ description: 'average chunk size in bytes', default: 16384, min: 256 }),
  'chunk-min': Flags.integer({ description: 'minimum chunk size in bytes (default avg/4)', min: 64 }),
  'chunk-max': Flags.integer({ description: 'maximum chunk size in bytes (default avg*4)', min: 1024 }),
};

/** The compression sample, shared by scan and crawl (see src/cli/sample-rate.ts). */
export const sampleFlags = {
  'sample-rate': Flags.string({
    description: 'fraction of distinct file contents (and chunks) compressed with gzip -6 and zstd -3 to estimate the compressed size of file and chunk dedup; 0 turns it off, 1 compresses everything',
    default: String(DEFAULT_SAMPLE_RATE),
  }),
};

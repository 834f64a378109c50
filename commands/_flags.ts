import { Flags } from '@oclif/core';
import { DEFAULT_SAMPLE_RATE } from '../src/cli/sample-rate.js';
import { INFLATER_CHOICES } from '../src/layers/decompress.js';

/** Chunking flags, shared by scan and crawl (see src/cli/chunking.ts). */
export const chunkingFlags = {
  chunking: Flags.string({
    description: 'also cut file contents into chunks with each chunker listed and record their digests: a comma list of fastcdc[:AVG[:MIN:MAX]] (default 16k, min avg/4, max avg*4), fixed[:SIZE] (power of two, 4k to 16m, default 1m) and rollsum[:AVG] (power of two, 256 to 16m, default 64k), e.g. fastcdc:16k,fixed:1m,rollsum:64k',
    helpValue: 'SPEC',
  }),
  // Replaced by sizes in --chunking; kept hidden so that the old form fails with a message saying so.
  'chunk-avg': Flags.string({ hidden: true }),
  'chunk-min': Flags.string({ hidden: true }),
  'chunk-max': Flags.string({ hidden: true }),
};

/** The compression sample, shared by scan and crawl (see src/cli/sample-rate.ts). */
export const sampleFlags = {
  'sample-rate': Flags.string({
    description: 'fraction of distinct file contents (and chunks) compressed with gzip -6 and zstd -3 to estimate the compressed size of file and chunk dedup; 0 turns it off, 1 compresses everything',
    default: String(DEFAULT_SAMPLE_RATE),
  }),
};

/** How gzip layers are inflated, shared by scan and crawl (see src/layers/decompress.ts resolveInflater). */
export const inflaterFlags = {
  inflater: Flags.string({
    description: 'how gzip layers are inflated: zlib (Node, on the worker thread; the fastest here), igzip (ISA-L, Debian package isal, in a child process per layer), or auto: igzip where installed, else zlib',
    options: [...INFLATER_CHOICES],
    default: 'zlib',
    env: 'IMGSCAN_INFLATER',
  }),
};

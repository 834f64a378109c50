import { FastCdc, type ChunkerSpec, type ChunkHandler, type Chunker } from './chunker.js';
import { FixedChunker } from './fixed-chunker.js';
import { RollsumChunker } from './rollsum-chunker.js';

/** The chunker a spec names, calling `onChunk` at each cut. */
export function makeChunker(spec: ChunkerSpec, onChunk: ChunkHandler): Chunker {
  switch (spec.algorithm) {
    case 'fastcdc':
      return new FastCdc(spec, onChunk);
    case 'fixed':
      return new FixedChunker(spec.size, onChunk);
    case 'rollsum':
      return new RollsumChunker(spec.avg, onChunk);
  }
}

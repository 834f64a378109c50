import type { Tier } from './policies/policy.js';

/**
 * The latency model of `trace simulate`: serving an object costs a fixed time per request plus a time per
 * byte, different for the memory tier, the disk tier and the backend storage behind the registry (a miss).
 * Latency saved by a cache = sum over requests of (backend cost - cost of the tier that served it).
 */
export interface LatencyModel {
  memoryMs: number;
  memoryMsPerMiB: number;
  diskMs: number;
  diskMsPerMiB: number;
  backendMs: number;
  backendMsPerMiB: number;
}

/** Defaults: RAM (about 10 GiB/s), SSD (about 500 MiB/s), an object store across the network (about 100 MiB/s). */
export const defaultLatency: LatencyModel = {
  memoryMs: 0.1,
  memoryMsPerMiB: 0.1,
  diskMs: 1,
  diskMsPerMiB: 2,
  backendMs: 30,
  backendMsPerMiB: 10,
};

const MiB = 1 << 20;

/** Milliseconds to serve `size` bytes from a cache tier, or from the backend when `tier` is undefined. */
export function serveMs(model: LatencyModel, tier: Tier | undefined, size: number): number {
  const mib = size / MiB;
  if (tier === 'memory') return model.memoryMs + mib * model.memoryMsPerMiB;
  if (tier === 'disk') return model.diskMs + mib * model.diskMsPerMiB;
  return model.backendMs + mib * model.backendMsPerMiB;
}

import type { Tier } from './policies/policy.js';

/**
 * The latency model of `trace simulate`: serving an object costs a fixed time per request plus a time per
 * byte, different for the memory tier, the disk tier and the backend storage behind the registry (a miss).
 * Latency saved by a cache = sum over requests of (backend cost - cost of the tier that served it).
 */
export interface LatencyModel {
  memory_ms: number;
  memory_ms_per_mib: number;
  disk_ms: number;
  disk_ms_per_mib: number;
  backend_ms: number;
  backend_ms_per_mib: number;
}

/** Defaults: RAM (about 10 GiB/s), SSD (about 500 MiB/s), an object store across the network (about 100 MiB/s). */
export const defaultLatency: LatencyModel = {
  memory_ms: 0.1,
  memory_ms_per_mib: 0.1,
  disk_ms: 1,
  disk_ms_per_mib: 2,
  backend_ms: 30,
  backend_ms_per_mib: 10,
};

const MiB = 1 << 20;

/** Milliseconds to serve `size` bytes from a cache tier, or from the backend when `tier` is undefined. */
export function serveMs(model: LatencyModel, tier: Tier | undefined, size: number): number {
  const mib = size / MiB;
  if (tier === 'memory') return model.memory_ms + mib * model.memory_ms_per_mib;
  if (tier === 'disk') return model.disk_ms + mib * model.disk_ms_per_mib;
  return model.backend_ms + mib * model.backend_ms_per_mib;
}

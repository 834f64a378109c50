import { ArcPolicy } from './arc.js';
import { FifoPolicy } from './fifo.js';
import { LfuPolicy } from './lfu.js';
import { LruPolicy } from './lru.js';
import { OptPolicy } from './opt.js';
import type { PolicyFactory } from './policy.js';
import { RCachePolicy } from './rcache.js';
import { TwoLevelPolicy } from './two-level.js';

export type { CachePolicy, PolicyContext, PolicyFactory, PolicyParams, Tier } from './policy.js';
export { defaultPolicyParams } from './policy.js';

export interface PolicyEntry {
  /** One line for reports and --help. */
  description: string;
  create: PolicyFactory;
  /** An offline policy: it reads the future of the trace (`PolicyContext.future`), a bound rather than a design. */
  offline?: boolean;
}

/** The registered policies by name: the names `trace simulate --policies` accepts. Add a line to add one. */
export const policies: Record<string, PolicyEntry> = {
  lru: { description: 'least recently used', create: (c) => new LruPolicy(c) },
  lfu: { description: 'least frequently used (in-cache counts, LRU among equals)', create: (c) => new LfuPolicy(c) },
  fifo: { description: 'first in, first out', create: (c) => new FifoPolicy(c) },
  arc: { description: 'adaptive replacement cache (ARC), in bytes', create: (c) => new ArcPolicy(c) },
  rcache: { description: 'R-cache: small objects only, admitted on their Nth request, LRU', create: (c) => new RCachePolicy(c) },
  'two-level': { description: "FAST'18 two-level cache: memory for small layers, spilling to a larger disk tier", create: (c) => new TwoLevelPolicy(c) },
  opt: {
    description: "Belady's OPT (offline): evicts what is requested furthest in the future; optimal for objects of one size, the Belady-Size heuristic otherwise",
    create: (c) => new OptPolicy(c),
    offline: true,
  },
};

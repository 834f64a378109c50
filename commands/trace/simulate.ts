import { resolve } from 'node:path';
import { Flags } from '@oclif/core';
import { ImgscanCommand } from '../_base.js';
import { fail } from '../_fail.js';
import { Progress } from '../../src/cli/progress.js';
import { formatBytes, formatPercent } from '../../src/format/text.js';
import { traceSimulationReport } from '../../src/report/trace-simulation/index.js';
import { chartScripts, writeReport } from '../../src/report/write.js';
import { boundDescription, boundName } from '../../src/trace/bounds.js';
import { defaultLatency, type LatencyModel } from '../../src/trace/latency.js';
import { defaultPolicyParams, policies } from '../../src/trace/policies/index.js';
import { defaultPrefetchMaxLayers } from '../../src/trace/prefetch.js';
import { prefetchMissName, prefetchName, simulateTrace, sweepSizes, type SimulateSummary } from '../../src/trace/sweep.js';
import { simulateFast18 } from '../../src/trace/fast18.js';
import { simulateFast18Prefetch } from '../../src/trace/fast18-prefetch.js';
import { openTrace } from '../../src/trace/store.js';
import { fast18Report, type Fast18Report } from '../../src/report/trace-simulation/fast18.js';
import { parseDuration, parseList, parseNonNegative, parseSize } from '../../src/format/parse.js';

/** The summary, where its report went and the paths written (simulate.md first). */
export type TraceSimulateResult = SimulateSummary & { schema_version: 1; out_dir: string; files: string[] };

const latencyFlags = {
  'memory-ms': ['memory_ms', 'memory tier: ms per request'],
  'memory-ms-per-mib': ['memory_ms_per_mib', 'memory tier: ms per MiB'],
  'disk-ms': ['disk_ms', 'disk tier: ms per request'],
  'disk-ms-per-mib': ['disk_ms_per_mib', 'disk tier: ms per MiB'],
  'backend-ms': ['backend_ms', 'backend storage (a miss): ms per request'],
  'backend-ms-per-mib': ['backend_ms_per_mib', 'backend storage (a miss): ms per MiB'],
} as const;

export default class TraceSimulate extends ImgscanCommand {
  static override summary = 'Replay an ingested trace through cache policies and sweep cache sizes.';
  static override description = `Replays the successful blob and manifest GETs in timestamp order through every policy at every cache size (manifest PUT/DELETE invalidate) and writes simulate.md, simulate.html (the same report, interactive), simulate.csv and charts of hit ratio, byte hit ratio and latency saved vs cache size into --out.

Policies: ${Object.entries(policies)
    .map(([name, p]) => `${name} (${p.description})`)
    .join('; ')}; ${boundName} (${boundDescription}); ${prefetchName} (prefetch on manifest GET on top of --prefetch-policy, for each --prefetch-timeouts); ${prefetchMissName} (the same, started by the first layer miss of a pull after a manifest GET).

The offline bounds (opt, ${boundName}) read the trace twice and keep 12 bytes per cacheable request in memory.`;
  static override examples = [
    '<%= config.bin %> trace simulate',
    '<%= config.bin %> trace simulate --policies lru,arc,two-level --sizes 256MiB,1GiB,4GiB --backend-ms 50',
    '<%= config.bin %> trace simulate --policies prefetch --prefetch-timeouts 1m,10m,1h --json',
  ];
  static override enableJsonFlag = true;
  static override flags = {
    data: Flags.string({ description: 'trace data directory written by `trace ingest`', default: 'imgscan-trace' }),
    out: Flags.string({ description: 'report directory', default: 'imgscan-report/trace' }),
    model: Flags.string({ description: "simulation model: imgscan's (every policy, bounds and prefetching), or fast18 (the FAST'18 trace player's two-level cache, its counts reproduced; docs/trace.md)", options: ['imgscan', 'fast18'], default: 'imgscan' }),
    policies: Flags.string({ description: 'comma-separated policies', default: [...Object.keys(policies), boundName, prefetchName, prefetchMissName].join(',') }),
    sizes: Flags.string({ description: 'comma-separated cache sizes, e.g. 64MiB,1GiB (default: 0.1% to 100% of the footprint)' }),
    warmup: Flags.string({ description: 'warm-up: the first DURATION of the trace (e.g. 1h) goes through every cache but is not counted', default: '0s' }),
    'prefetch-timeouts': Flags.string({ description: 'comma-separated prefetch timeouts, e.g. 60s,10m,1h', default: '1m,10m,1h' }),
    'prefetch-policy': Flags.string({ description: 'policy of the cache prefetched layers go into', default: 'lru' }),
    'prefetch-max-layers': Flags.integer({ description: 'prefetch: layers remembered per repository (the most recently fetched)', default: defaultPrefetchMaxLayers, min: 1 }),
    'rcache-max-object': Flags.string({ description: 'R-cache: largest object admitted', default: formatSizeFlag(defaultPolicyParams.rcache_max_object) }),
    'rcache-min-requests': Flags.integer({ description: 'R-cache: requests before an object is admitted', default: defaultPolicyParams.rcache_min_requests, min: 1 }),
    'two-level-max-object': Flags.string({ description: 'two-level: largest object kept in memory', default: formatSizeFlag(defaultPolicyParams.two_level_max_object) }),
    'disk-ratio': Flags.integer({ description: 'two-level: disk tier size as a multiple of the memory tier', default: defaultPolicyParams.disk_ratio, min: 1 }),
    ...Object.fromEntries(
      Object.entries(latencyFlags).map(([flag, [key, description]]) => [flag, Flags.string({ description, default: String(defaultLatency[key]) })]),
    ),
  };

  async run(): Promise<TraceSimulateResult | TraceFast18Result> {
    const { flags } = await this.parse(TraceSimulate);
    if (flags.model === 'fast18') return this.fast18(resolve(flags.data), resolve(flags.out), flags.sizes);
    let progress: Progress | undefined;
    // Measured in requests replayed: the simulated response bytes are no rate of this machine's work.
    const show = () => (progress ??= new Progress({ enabled: !this.jsonEnabled(), measure: 'requests' }));
    try {
      const f = flags as unknown as Record<string, string>;
      const latency = Object.fromEntries(Object.entries(latencyFlags).map(([flag, [key]]) => [key, parseNonNegative(f[flag], flag)])) as unknown as LatencyModel;
      const outDir = resolve(flags.out);
      const policyList = parseList(flags.policies, (s) => s);
      const simulated = await simulateTrace({
        dataDir: resolve(flags.data),
        policies: policyList,
        sizes: flags.sizes === undefined ? undefined : parseList(flags.sizes, parseSize),
        prefetchTimeouts: parseList(flags['prefetch-timeouts'], parseDuration),
        prefetchPolicy: flags['prefetch-policy'],
        prefetchMaxLayers: flags['prefetch-max-layers'],
        params: {
          rcache_max_object: parseSize(flags['rcache-max-object']),
          rcache_min_requests: flags['rcache-min-requests'],
          two_level_max_object: parseSize(flags['two-level-max-object']),
          disk_ratio: flags['disk-ratio'],
        },
        latency,
        warmup: parseDuration(flags.warmup),
        onProgress: (done, total) => show().set('requests', done, total),
      });
      progress?.stop();
      const files = writeReport(outDir, await traceSimulationReport(simulated, policyList.filter((p) => p !== prefetchName && p !== prefetchMissName), chartScripts()));
      const { data_dir, ...figures } = simulated;
      const summary = { schema_version: 1 as const, data_dir, out_dir: outDir, ...figures, files };
      this.log(formatSummary(summary));
      return summary;
    } catch (err) {
      progress?.stop();
      return fail(this, err);
    }
  }

  /** `--model fast18`: the FAST'18 player's cache simulation, its counts and the corrected ones. */
  private async fast18(dataDir: string, outDir: string, sizesFlag: string | undefined): Promise<TraceFast18Result> {
    try {
      const db = await openTrace(dataDir);
      try {
        const { sizes } = await sweepSizes(db, sizesFlag === undefined ? undefined : parseList(sizesFlag, parseSize));
        const report: Fast18Report = { data_dir: dataDir, sizes, rows: await simulateFast18(db, sizes), prefetch: await simulateFast18Prefetch(db) };
        const files = writeReport(outDir, fast18Report(report, chartScripts()));
        const best = report.rows.filter((r) => r.faithful && r.disk_ratio === 10).map((r) => `${formatBytes(r.memory_size)}: h_hits ${r.h_hits}`);
        this.log(`fast18 model, disk 10x: ${best.join(', ')}; report in ${outDir}`);
        return { schema_version: 1, model: 'fast18', ...report, out_dir: outDir, files };
      } finally {
        db.close();
      }
    } catch (err) {
      return fail(this, err);
    }
  }
}

export type TraceFast18Result = Fast18Report & { schema_version: 1; model: 'fast18'; out_dir: string; files: string[] };

function formatSizeFlag(n: number): string {
  return n % (1 << 20) === 0 ? `${n / (1 << 20)}MiB` : String(n);
}

function formatSummary(s: TraceSimulateResult): string {
  const labels = [...new Set(s.results.map((r) => r.label))];
  const width = Math.max(12, ...labels.map((l) => l.length));
  const head = `${'hit ratio'.padEnd(width)} ${s.sizes.map((b) => formatBytes(b).padStart(10)).join(' ')}`;
  const rows = labels.map(
    (l) =>
      `${l.padEnd(width)} ${s.sizes
        .map((b) => {
          const r = s.results.find((x) => x.label === l && x.cache_size === b);
          return (r ? formatPercent(r.hit_ratio) : '').padStart(10);
        })
        .join(' ')}`,
  );
  return [
    `${s.cacheable} cacheable requests, ${s.objects} objects, footprint ${formatBytes(s.footprint_bytes)}`,
    head,
    ...rows,
    `report: ${s.files[0]}`,
  ].join('\n');
}

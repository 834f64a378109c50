import { ImgscanError } from '../../errors.js';
import { openTrace, selectSource, traceSources } from '../store.js';
import type { Db } from '../../store/duckdb.js';
import {
  type Activity,
  activity,
  autoBucket,
  type MixRow,
  type Overview,
  overview,
  type Popularity,
  popularity,
  type RatePoint,
  type Reaccess,
  reaccess,
  requestMix,
  requestRate,
  responseSizes,
  type SizeStats,
  type StatusRow,
  statusCodes,
} from './queries.js';

/** `trace analyze`: characterizes the stored trace (src/report/trace-workload makes the report of it). */
export interface AnalyzeOptions {
  dataDir: string;
  /** Width of the request-rate buckets in seconds; default about 200 buckets over the trace. */
  bucketSeconds?: number;
  /** Rows in the top-clients and top-repositories tables. */
  top?: number;
}

export interface TraceAnalysis {
  data_dir: string;
  overview: Overview;
  mix: MixRow[];
  endpoints: MixRow[];
  statuses: StatusRow[];
  sizes: SizeStats[];
  rate: { bucket_s: number; mean_rps: number; peak_rps: number; points: RatePoint[] };
  popularity: Popularity;
  reaccess: Reaccess;
  clients: Activity;
  repositories: Activity;
  /** With several sources (availability zones): the same figures for each alone, in source order. */
  per_source: SourceAnalysis[];
}

/** One source's figures: those of a whole trace but the per-source split. */
export type SourceAnalysis = Omit<TraceAnalysis, 'data_dir' | 'per_source'> & { source: string };

const maxBuckets = 100_000;

export async function analyzeTrace(options: AnalyzeOptions): Promise<TraceAnalysis> {
  if (options.bucketSeconds !== undefined && !(options.bucketSeconds > 0)) throw new ImgscanError('USAGE', 'the rate bucket must be longer than 0 s');
  const db = await openTrace(options.dataDir);
  try {
    const all = await figures(db, options);
    const sources = await traceSources(db);
    const per_source: SourceAnalysis[] = [];
    if (sources.length > 1) {
      for (const source of sources) {
        await selectSource(db, source);
        per_source.push({ source, ...(await figures(db, options)) });
      }
    }
    return { data_dir: options.dataDir, ...all, per_source };
  } finally {
    db.close();
  }
}

/** The figures of the requests the `trace_requests` view holds (every source, or one). */
async function figures(db: Db, options: AnalyzeOptions): Promise<Omit<TraceAnalysis, 'data_dir' | 'per_source'>> {
  const ov = await overview(db);
  const bucket = options.bucketSeconds ?? autoBucket(ov.duration_s);
  if (ov.duration_s / bucket > maxBuckets) {
    throw new ImgscanError('USAGE', `a ${bucket} s bucket cuts the ${Math.round(ov.duration_s)} s trace into more than ${maxBuckets} buckets; choose a wider --bucket`);
  }
  const points = await requestRate(db, bucket);
  const top = options.top ?? 10;
  return {
    overview: ov,
    mix: await requestMix(db, 'kind'),
    endpoints: await requestMix(db, 'endpoint'),
    statuses: await statusCodes(db),
    sizes: await responseSizes(db),
    rate: {
      bucket_s: bucket,
      mean_rps: ov.duration_s > 0 ? ov.requests / ov.duration_s : 0,
      peak_rps: points.reduce((m, p) => Math.max(m, p.requests / bucket), 0),
      points,
    },
    popularity: await popularity(db),
    reaccess: await reaccess(db),
    clients: await activity(db, 'client', top),
    repositories: await activity(db, 'repository', top),
  };
}

// `node dist/test/bench/trace-simulate.js [requests]`: `trace simulate --policies lru` with 8 cache sizes on a
// synthetic trace stored the way `trace ingest` stores it (Parquet parts of trace_requests), whole command (the
// read of the Parquet parts, the sort by time and the replay), in a child process for its peak RSS.
// The trace is generated inside DuckDB (range() and hash functions, no randomness) and kept in IMGSCAN_BENCH_DIR
// or the temp dir: Zipf 1.0 popularity over 1 M blobs, log-normal sizes, 25% manifest GETs, some PUTs (a
// successful manifest PUT invalidates), HEADs and 404s, timestamps rising through a day.
// IMGSCAN_BENCH_TRACE_MEMORY=1 adds the memory run: 38 M requests over 1 M objects (several minutes).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Db, sqlString } from '../../src/store/duckdb.js';
import { simulateTrace } from '../../src/trace/sweep.js';

const u = (x: string, salt: number) => `((hash(${x}, ${salt}) >> 11)::DOUBLE / 9007199254740992.0)`;
const hex = (x: string) => `lpad(printf('%x', (${x}) % 4294967296), 8, '0')`;

/**
 * Writes `requests` synthetic rows of trace_requests into DATA/trace_requests/ as one Parquet part. Object ranks
 * follow Zipf 1.0 over `objects` blobs (inverse of the continuous CDF: rank = (objects + 1)^u - 1).
 */
export async function generateTraceParquet(dataDir: string, requests: number, objects = 1_000_000): Promise<void> {
  const dir = join(dataDir, 'trace_requests');
  mkdirSync(dir, { recursive: true });
  const tmp = join(dir, 'bench.parquet.tmp');
  const repo = `${hex('blob % 5000')} || '/' || ${hex('blob % 7919')}`;
  const db = await Db.open(':memory:', { memory_limit: '1GB' });
  try {
    await db.run(`COPY (
      SELECT 'bench' AS source, 'bench.json' AS file, i AS record_index,
        TIMESTAMP '2017-06-20' + to_microseconds((i * 86400000000 // ${requests})::BIGINT) AS timestamp,
        method, 'v2/' || repository || CASE WHEN m THEN '/manifests/latest' ELSE '/blobs/' || reference END AS uri,
        CASE WHEN m THEN 'manifest' ELSE 'blob' END AS endpoint, CASE WHEN m THEN 'manifest' ELSE 'blob' END AS kind,
        repository, reference,
        CASE WHEN m THEN 'manifest:' || repository || ':latest' ELSE 'blob:' || reference END AS object_key,
        (CASE WHEN ${u('i * 13 + 1', 4)} < 0.03 THEN 404 WHEN method = 'PUT' THEN 201 ELSE 200 END)::INTEGER AS status,
        CASE WHEN m THEN 1000 + blob % 6000 ELSE least(2e9, exp(9 + 2.5 * sqrt(-2 * ln(${u('blob', 5)} + 1e-12)) * cos(6.2832 * ${u('blob', 6)})))::BIGINT END AS response_size,
        round(${u('i', 2)} * 3, 6) AS duration, ${hex('hash(i, 1) % 16')} AS host, ${hex('hash(i, 3) % 20000')} AS client,
        'docker/17.03.1-ce' AS user_agent, ${hex('hash(i, 7)')} AS request_id
      FROM (
        SELECT *, ${repo} AS repository, CASE WHEN m THEN 'latest' ELSE ${hex('blob * 2654435761')} END AS reference
        FROM (
          SELECT *, CASE WHEN k < 0.93 THEN 'GET' WHEN k < 0.96 THEN 'HEAD' ELSE 'PUT' END AS method
          FROM (
            SELECT i, ${u('i', 9)} < 0.25 AS m, ${u('i * 31 + 17', 11)} AS k,
              least(${objects - 1}, floor(exp(${u('i * 7 + 5', 10)} * ln(${objects + 1})) - 1))::BIGINT AS blob
            FROM range(${requests}) t(i))))
    ) TO ${sqlString(tmp)} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880)`);
  } finally {
    db.close();
  }
  renameSync(tmp, join(dir, 'bench-00000.parquet'));
}

interface Run {
  seconds: number;
  /** CPU seconds of the process, every thread (DuckDB's too): on a shared machine, steadier than the wall clock. */
  cpuSeconds: number;
  requests: number;
  maxRssBytes: number;
}

/** Peak RSS of this process (VmHWM: not carried over from the parent as getrusage's maxRSS is). */
function peakRss(): number {
  const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) * 1024 : process.resourceUsage().maxRSS * 1024;
}

/** One measured run in this process: the whole of `trace simulate --policies lru` at 8 sizes, no report files. */
async function child(dataDir: string): Promise<void> {
  const started = performance.now();
  const summary = await simulateTrace({ dataDir, policies: ['lru'], sizes: eightSizes, prefetchTimeouts: [] });
  const cpu = process.cpuUsage();
  const run: Run = { seconds: (performance.now() - started) / 1000, cpuSeconds: (cpu.user + cpu.system) / 1e6, requests: summary.requests, maxRssBytes: peakRss() };
  process.stdout.write(JSON.stringify(run) + '\n');
}

/** 8 cache sizes from 64 MiB to 512 GiB (the synthetic footprint is a few TB: every size misses some). */
const eightSizes = [26, 28, 30, 32, 34, 36, 38, 39].map((b) => 2 ** b);

function measure(dataDir: string): Run {
  return JSON.parse(execFileSync(process.execPath, [fileURLToPath(import.meta.url), 'child', dataDir], { encoding: 'utf8' })) as Run;
}

async function dataFor(requests: number, objects: number): Promise<string> {
  const dataDir = join(process.env.IMGSCAN_BENCH_DIR ?? tmpdir(), `imgscan-bench-simulate-${requests}-${objects}`);
  if (!existsSync(join(dataDir, 'trace_requests', 'bench-00000.parquet'))) {
    const t = performance.now();
    process.stdout.write(`generating ${requests.toLocaleString('en')} requests over ${objects.toLocaleString('en')} objects in ${dataDir} ... `);
    await generateTraceParquet(dataDir, requests, objects);
    process.stdout.write(`${((performance.now() - t) / 1000).toFixed(1)} s\n`);
  }
  return dataDir;
}

function report(what: string, run: Run): void {
  const rate = run.requests / run.seconds;
  console.log(
    `  ${what}: ${run.requests.toLocaleString('en')} requests in ${run.seconds.toFixed(2)} s, ${Math.round(rate).toLocaleString('en')} requests/s ` +
      `(${(rate / 1e6).toFixed(2)}x the 1 M/s target), ${run.cpuSeconds.toFixed(1)} CPU s (${Math.round(run.requests / run.cpuSeconds).toLocaleString('en')} requests per CPU s), peak RSS ${(run.maxRssBytes / 2 ** 20).toFixed(0)} MiB (target < 2 GiB)`,
  );
}

async function main(): Promise<void> {
  const requests = Number(process.argv[2] ?? 10_000_000);
  const rounds = Number(process.env.IMGSCAN_BENCH_ROUNDS ?? 3);
  const data = await dataFor(requests, 1_000_000);
  const runs = Array.from({ length: rounds }, () => measure(data)).sort((a, b) => a.seconds - b.seconds);
  const med = { ...runs[Math.floor(runs.length / 2)], maxRssBytes: Math.max(...runs.map((r) => r.maxRssBytes)) };
  console.log(`trace simulate --policies lru, 8 sizes, whole command (read, sort, replay); median of ${rounds} runs, peak RSS the highest`);
  report('lru x 8 sizes', med);
  if (process.env.IMGSCAN_BENCH_TRACE_MEMORY === '1') report('memory run, 1 M objects', measure(await dataFor(38_000_000, 1_000_000)));
  else console.log('  (the 38 M-request memory run: IMGSCAN_BENCH_TRACE_MEMORY=1)');
}

if (process.argv[2] === 'child') await child(process.argv[3]!);
else if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) await main();


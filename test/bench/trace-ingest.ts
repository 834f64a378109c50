// `node dist/test/bench/trace-ingest.js [requests]`: `trace ingest` of a synthetic registry trace (a JSON array,
// the published form) against DuckDB's own read_json -> Parquet of the same file, in the same run, each in its
// own process for its peak RSS. The trace is generated inside DuckDB (range() and hash functions, no
// randomness), kept in IMGSCAN_BENCH_DIR or the temp dir: Zipf-like popularity over 1 M blobs, log-normal
// sizes, 25% manifest GETs, some PUTs, HEADs and 404s, timestamps rising through a day.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONTENTION_RULE, figure, interleave, shown } from './measure.js';
import { Db, num, sqlString } from '../../src/store/duckdb.js';
import { ingestTraces } from '../../src/trace/ingest.js';

const u = (x: string, salt: number) => `((hash(${x}, ${salt}) >> 11)::DOUBLE / 9007199254740992.0)`;
const hex = (x: string) => `lpad(printf('%x', (${x}) % 4294967296), 8, '0')`;

export async function generateTrace(path: string, requests: number): Promise<void> {
  const db = await Db.open(':memory:');
  const tmp = `${path}.tmp`;
  try {
    await db.run(`COPY (
      SELECT
        ${hex('hash(i, 1) % 16')} AS "host",
        round(${u('i', 2)} * 3, 6) AS "http.request.duration",
        CASE WHEN k < 0.93 THEN 'GET' WHEN k < 0.96 THEN 'HEAD' ELSE 'PUT' END AS "http.request.method",
        ${hex('hash(i, 3) % 20000')} AS "http.request.remoteaddr",
        'v2/' || ${hex('blob % 5000')} || '/' || ${hex('blob % 7919')} || CASE WHEN m < 0.25 THEN '/manifests/latest' ELSE '/blobs/' || ${hex('blob * 2654435761')} END AS "http.request.uri",
        'docker/17.03.1-ce go/go1.7.5 git-commit/c6d412e kernel/4.4.0-78-generic os/linux arch/amd64' AS "http.request.useragent",
        CASE WHEN ${u('i', 4)} < 0.03 THEN 404 WHEN k >= 0.96 THEN 201 ELSE 200 END AS "http.response.status",
        CASE WHEN m < 0.25 THEN 1000 + blob % 6000 ELSE least(2e9, exp(9 + 2.5 * sqrt(-2 * ln(${u('blob', 5)} + 1e-12)) * cos(6.2832 * ${u('blob', 6)})))::BIGINT END AS "http.response.written",
        ${hex('hash(i, 7)')} || 'ab' AS "id",
        strftime(TIMESTAMP '2017-06-20' + to_microseconds((i * 86400000000 // ${requests})::BIGINT), '%Y-%m-%dT%H:%M:%S.%gZ') AS "timestamp"
      FROM (SELECT i, ${u('i', 8)} AS k, ${u('i', 9)} AS m, floor(1000000 * pow(${u('i', 10)}, 3))::BIGINT AS blob FROM range(${requests}) t(i))
    ) TO ${sqlString(tmp)} (FORMAT json, ARRAY true)`);
  } finally {
    db.close();
  }
  renameSync(tmp, path);
}

interface Run {
  seconds: number;
  records: number;
  maxRssBytes: number;
}

/** Peak RSS of this process (VmHWM: not carried over from the parent as getrusage's maxRSS is). */
function peakRss(): number {
  const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) * 1024 : process.resourceUsage().maxRSS * 1024;
}

/** One measured run in this process: `imgscan` (ingestTraces) or `duckdb` (read_json -> Parquet). */
async function child(mode: string, file: string, out: string): Promise<void> {
  rmSync(out, { recursive: true, force: true });
  const started = performance.now();
  let records: number;
  if (mode === 'imgscan') {
    records = (await ingestTraces([file], { dataDir: out })).records;
  } else {
    const db = await Db.open(':memory:');
    try {
      const [r] = await db.all<{ Count: bigint }>(`COPY (SELECT * FROM read_json(${sqlString(file)})) TO ${sqlString(`${out}.parquet`)} (FORMAT parquet, COMPRESSION zstd)`);
      records = num(r.Count);
    } finally {
      db.close();
    }
  }
  const run: Run = { seconds: (performance.now() - started) / 1000, records, maxRssBytes: peakRss() };
  rmSync(out, { recursive: true, force: true });
  rmSync(`${out}.parquet`, { force: true });
  process.stdout.write(JSON.stringify(run) + '\n');
}

function measure(mode: string, file: string): Run {
  const out = mkdtempSync(join(tmpdir(), 'imgscan-bench-trace-'));
  try {
    return JSON.parse(execFileSync(process.execPath, [fileURLToPath(import.meta.url), 'child', mode, file, join(out, 'data')], { encoding: 'utf8' })) as Run;
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/** The run of median time, with the highest peak RSS of all. */
function median(runs: Run[]): Run {
  const sorted = [...runs].sort((a, b) => a.seconds - b.seconds);
  return { ...sorted[Math.floor((sorted.length - 1) / 2)]!, maxRssBytes: Math.max(...runs.map((r) => r.maxRssBytes)) };
}

async function main(): Promise<void> {
  const requests = Number(process.argv[2] ?? 2_000_000);
  const file = join(process.env.IMGSCAN_BENCH_DIR ?? tmpdir(), `imgscan-bench-trace-${requests}.json`);
  if (!existsSync(file)) {
    const t = performance.now();
    process.stdout.write(`generating a ${requests}-request trace in ${file} ... `);
    await generateTrace(file, requests);
    process.stdout.write(`${((performance.now() - t) / 1000).toFixed(1)} s\n`);
  }
  // Interleaved rounds, the median of each: a machine shared with other work slows one run, not all of them.
  const rounds = Number(process.env.IMGSCAN_BENCH_ROUNDS ?? 3);
  const measured = await interleave(rounds, { duckdb: () => measure('duckdb', file), imgscan: () => measure('imgscan', file) });
  const duck = median(measured.duckdb.map((r) => r.value));
  const ours = median(measured.imgscan.map((r) => r.value));
  const [duckFigure, ourFigure] = [figure(measured.duckdb), figure(measured.imgscan)];
  if (ours.records !== requests || duck.records !== requests) throw new Error(`expected ${requests} records, imgscan read ${ours.records}, DuckDB ${duck.records}`);
  const rate = (r: Run) => `${Math.round(r.records / r.seconds).toLocaleString('en')} records/s`;
  const mib = (r: Run) => `${(r.maxRssBytes / 2 ** 20).toFixed(0)} MiB`;
  const mb = (statSync(file).size / 1e6).toFixed(0);
  console.log(`trace ingest: ${requests.toLocaleString('en')} requests, ${mb} MB JSON array; ${CONTENTION_RULE}; ${rounds} runs each, peak RSS the highest`);
  console.log(`  imgscan trace ingest          ${shown(`${ours.seconds.toFixed(2).padStart(7)} s  ${rate(ours).padStart(18)}`, ourFigure)}  peak RSS ${mib(ours)}`);
  console.log(`  DuckDB read_json -> Parquet   ${shown(`${duck.seconds.toFixed(2).padStart(7)} s  ${rate(duck).padStart(18)}`, duckFigure)}  peak RSS ${mib(duck)}`);
  console.log(`  target: ingest >= 0.5x DuckDB: ${shown(`${(duck.seconds / ours.seconds).toFixed(2)}x`, duckFigure, ourFigure)}; peak RSS < 1 GiB: ${mib(ours)}`);
}

if (process.argv[2] === 'child') await child(process.argv[3]!, process.argv[4]!, process.argv[5]!);
else if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) await main();

import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// src/store/allocator.ts: DuckDB's allocator keeps the memory a statement freed for 30 s instead of one, so that
// later statements reuse its pages instead of faulting fresh ones in. Observed in a child process (jemalloc reads
// the setting once, when libduckdb loads): a large aggregation frees its memory, small statements keep the
// allocator busy for four seconds, and the RSS shows whether the freed memory was handed back.
const duckdb = fileURLToPath(new URL('../../../dist/src/store/duckdb.js', import.meta.url));
const script = `
const { readFileSync } = await import('node:fs');
const { Db } = await import(${JSON.stringify(duckdb)});
const rss = () => Number(/^VmRSS:\\s+(\\d+)/m.exec(readFileSync('/proc/self/status', 'utf8'))[1]) * 1024;
const db = await Db.open(':memory:', { threads: '2' });
await db.all('SELECT count(*) FROM (SELECT range % 3000000 AS g, count(*) FROM range(12000000) GROUP BY g)');
const freed = rss();
const until = performance.now() + 4000;
while (performance.now() < until) await db.all('SELECT sum(range) FROM range(100000)');
const later = rss();
db.close();
process.stdout.write(JSON.stringify({ setting: process.env.DUCKDB_JE_MALLOC_CONF, freed, later }));
`;

function run(env: NodeJS.ProcessEnv): { setting: string; freed: number; later: number } {
  return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { env, encoding: 'utf8' }));
}

describe('the DuckDB allocator setting', () => {
  it('keeps freed memory for reuse where DuckDB own setting hands it back after a second; a value the user set is kept', () => {
    const { DUCKDB_JE_MALLOC_CONF: _, ...env } = process.env;
    const ours = run(env);
    expect(ours.setting).toBe('dirty_decay_ms:30000,muzzy_decay_ms:30000');
    // Kept: the RSS stays where the aggregation left it (small statements may add a little).
    expect(ours.later, JSON.stringify(ours)).toBeGreaterThan(ours.freed - 10 * 2 ** 20);
    const theirs = run({ ...env, DUCKDB_JE_MALLOC_CONF: 'dirty_decay_ms:1000,muzzy_decay_ms:1000' });
    expect(theirs.setting).toBe('dirty_decay_ms:1000,muzzy_decay_ms:1000');
    // The aggregation's hash table is well over 100 MB: handed back (gradually, as jemalloc decays), the RSS falls by
    // tens of MB within the four seconds, while ours stays.
    expect(theirs.later, JSON.stringify(theirs)).toBeLessThan(theirs.freed - 40 * 2 ** 20);
  }, 60_000);
});

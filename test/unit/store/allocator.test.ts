import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// src/store/allocator.ts: DuckDB's allocator keeps the memory a statement freed (for 30 s), so that later statements
// reuse its pages instead of faulting fresh ones in. Observed in a child process (jemalloc reads the setting once,
// when libduckdb loads): the RSS just after a large aggregation has freed its hash table. Kept, the RSS stays up;
// with the setting that hands freed memory back at once, it falls back to where it was. No timing involved.
const duckdb = fileURLToPath(new URL('../../../dist/src/store/duckdb.js', import.meta.url));
const script = `
const { readFileSync } = await import('node:fs');
const { Db } = await import(${JSON.stringify(duckdb)});
const rss = () => Number(/^VmRSS:\\s+(\\d+)/m.exec(readFileSync('/proc/self/status', 'utf8'))[1]) * 1024;
const db = await Db.open(':memory:', { threads: '2' });
await db.all('SELECT 1');
const before = rss();
await db.all('SELECT count(*) FROM (SELECT range % 3000000 AS g, count(*) FROM range(12000000) GROUP BY g)');
const after = rss();
db.close();
process.stdout.write(JSON.stringify({ setting: process.env.DUCKDB_JE_MALLOC_CONF, kept: after - before }));
`;

function run(env: NodeJS.ProcessEnv): { setting: string; kept: number } {
  return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { env, encoding: 'utf8' }));
}

const MB = 2 ** 20;

describe('the DuckDB allocator setting', () => {
  it('keeps the memory a statement freed; a value the user set is used instead', () => {
    const { DUCKDB_JE_MALLOC_CONF: _, ...env } = process.env;
    const ours = run(env);
    expect(ours.setting).toBe('dirty_decay_ms:30000,muzzy_decay_ms:30000');
    // The aggregation's hash table (3 M groups) is well over 100 MB: kept after the statement.
    expect(ours.kept, JSON.stringify(ours)).toBeGreaterThan(100 * MB);
    const theirs = run({ ...env, DUCKDB_JE_MALLOC_CONF: 'dirty_decay_ms:0,muzzy_decay_ms:0' });
    expect(theirs.setting).toBe('dirty_decay_ms:0,muzzy_decay_ms:0');
    // Handed back as soon as it is freed.
    expect(theirs.kept, JSON.stringify(theirs)).toBeLessThan(30 * MB);
  }, 60_000);
});

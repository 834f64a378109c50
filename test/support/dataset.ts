import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Db } from '../../src/store/duckdb.js';
import { tableNames } from '../../src/model/schema.js';
import { attachDataset } from '../../src/store/views.js';

export const repoRoot = join(import.meta.dirname, '..', '..');

/** Runs the built CLI; resolves with its exit code and output (never rejects on a non-zero exit). */
export function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(repoRoot, 'bin', 'run.js'), ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Every table of a dataset as sorted JSON rows (failures without their timestamps), for equality checks. */
export async function dumpDataset(dir: string): Promise<Record<string, string[]>> {
  const db = await Db.open();
  try {
    await attachDataset(db, [dir]);
    const out: Record<string, string[]> = {};
    for (const table of tableNames) {
      const select = table === 'failures' ? 'SELECT * EXCLUDE (failed_at)' : 'SELECT *';
      const rows = await db.all(`${select} FROM ${table}`);
      out[table] = rows.map((r) => JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? Number(v) : v))).sort();
    }
    return out;
  } finally {
    db.close();
  }
}

/** Rows of one query over a dataset, bigints as numbers. */
export async function queryDataset<T = Record<string, unknown>>(dir: string, sql: string): Promise<T[]> {
  const db = await Db.open();
  try {
    await attachDataset(db, [dir]);
    const rows = await db.all(sql);
    return JSON.parse(JSON.stringify(rows, (_k, v) => (typeof v === 'bigint' ? Number(v) : v))) as T[];
  } finally {
    db.close();
  }
}

import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Db } from '../../src/store/duckdb.js';
import type { FailureRow, TableRows } from '../../src/model/rows.js';
import { tableNames, type TableName } from '../../src/model/schema.js';
import { attachDataset } from '../../src/store/views.js';

export const repoRoot = join(import.meta.dirname, '..', '..');

/** What a run of the CLI gave back. */
export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI (in `cwd`, default this process's); resolves with its exit code and output (never rejects on a non-zero exit). */
export function cli(args: string[], env: NodeJS.ProcessEnv = {}, cwd?: string): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(repoRoot, 'bin', 'run.js'), ...args], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The rows of every table as stored, failures without their timestamps. */
export type DatasetRows = { [T in TableName]: T extends 'failures' ? Omit<FailureRow, 'failed_at'>[] : TableRows[T][] };

/** A row's values in the order of its sorted column names, as one string: equal rows, equal keys. */
export function rowKey(row: object): string {
  const values = Object.entries(row)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, v]) => v);
  return JSON.stringify(values);
}

/** Rows in a fixed order (by rowKey), so two sets of rows compare with toEqual whatever order they were read in. */
export function sortRows<T extends object>(rows: T[]): T[] {
  const keyed = rows.map((row) => ({ row, key: rowKey(row) }));
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return keyed.map((k) => k.row);
}

/** Rows that occur more than once (each extra copy once). */
export function repeatedRows<T extends object>(rows: T[]): T[] {
  const seen = new Set<string>();
  return rows.filter((row) => {
    const key = rowKey(row);
    if (seen.has(key)) return true;
    seen.add(key);
    return false;
  });
}

const plain = (row: Record<string, unknown>) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v]));

/** Every table of a dataset as sorted rows (failures without their timestamps), duplicates kept, for equality checks. */
export async function datasetRows(dir: string): Promise<DatasetRows> {
  const db = await Db.open();
  try {
    await attachDataset(db, [dir]);
    const out: Record<string, object[]> = {};
    for (const table of tableNames) {
      const select = table === 'failures' ? 'SELECT * EXCLUDE (failed_at)' : 'SELECT *';
      out[table] = sortRows((await db.all(`${select} FROM ${table}`)).map(plain));
    }
    return out as DatasetRows;
  } finally {
    db.close();
  }
}

/** datasetRows as sorted JSON lines (test/unit/store/disk-full.test.ts compares these). */
export async function dumpDataset(dir: string): Promise<Record<string, string[]>> {
  const rows = await datasetRows(dir);
  return Object.fromEntries(tableNames.map((t) => [t, rows[t].map((r) => JSON.stringify(r)).sort()]));
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

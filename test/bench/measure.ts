// Honest numbers for every bench: each run is timed with the load average and the CPU time of the processes
// outside this bench's own process tree around it; runs of the things compared are interleaved (A B A B ...);
// a figure is the median of its runs, and one taken while other processes used more than CONTENDED_CORES of a
// core is marked CONTENDED instead of being printed as a result.
//
//   const m = new Measurer();
//   const runs = await m.interleave(rounds, { zlib: () => scan('zlib'), igzip: () => scan('igzip') });
//   console.log(m.line('scan, zlib', runs.zlib, (s) => `${s.toFixed(2)} s`));
//
// A run may return its own seconds (a child that times only its work) or nothing (then its wall time counts).
import { readdirSync, readFileSync } from 'node:fs';

/** CPU of other processes, in cores (CPU-seconds per second), above which a run is contended. */
export const CONTENDED_CORES = 0.1;

const ticksPerSecond = 100; // USER_HZ on Linux

export interface ProcStat {
  ppid: number;
  /** utime + stime, in clock ticks. */
  ticks: number;
  /** start time since boot, in ticks: tells a reused pid from the process that had it. */
  start: number;
}

/** Every process's parent and CPU ticks, from /proc/[pid]/stat; {} where there is no /proc. */
export function snapshot(): Map<number, ProcStat> {
  const out = new Map<number, ProcStat>();
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return out;
  }
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // The command name is in parentheses and may hold spaces: fields are counted after its closing one.
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(pid), { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]), start: Number(f[19]) });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** This process and its descendants in a snapshot. */
function ourTree(snap: Map<number, ProcStat>, root = process.pid): Set<number> {
  const tree = new Set([root]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, s] of snap) if (!tree.has(pid) && tree.has(s.ppid)) grew = (tree.add(pid), true);
  }
  return tree;
}

/** CPU-seconds other processes used between two snapshots (processes that began and ended between them are not seen). */
export function otherCpuSeconds(before: Map<number, ProcStat>, after: Map<number, ProcStat>, root = process.pid): number {
  const ours = new Set([...ourTree(before, root), ...ourTree(after, root)]);
  let ticks = 0;
  for (const [pid, s] of after) {
    if (ours.has(pid)) continue;
    const b = before.get(pid);
    ticks += b !== undefined && b.start === s.start ? Math.max(0, s.ticks - b.ticks) : s.ticks;
  }
  return ticks / ticksPerSecond;
}

function loadAverage(): number {
  try {
    return Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
  } catch {
    return NaN;
  }
}

/** One timed run and what else the machine was doing meanwhile. */
export interface Run<T = unknown> {
  seconds: number;
  /** What the run returned. */
  value: T;
  /** CPU-seconds of processes outside this bench's process tree during the run. */
  otherCpuSeconds: number;
  /** otherCpuSeconds / seconds: the cores other processes kept busy. */
  otherCores: number;
  loadBefore: number;
  loadAfter: number;
  contended: boolean;
}

/** The median, the lower of the middle two for an even count. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)]!;
}

/** Times `fn` (or takes the seconds it returns as `{ seconds }`) and what other processes did meanwhile. */
export async function measure<T>(fn: () => T | Promise<T>): Promise<Run<T>> {
  const loadBefore = loadAverage();
  const before = snapshot();
  const started = performance.now();
  const value = await fn();
  const wall = (performance.now() - started) / 1000;
  const after = snapshot();
  const own = (value as { seconds?: unknown } | null)?.seconds;
  const seconds = typeof own === 'number' ? own : wall;
  const other = otherCpuSeconds(before, after);
  const otherCores = other / wall;
  return { seconds, value, otherCpuSeconds: other, otherCores, loadBefore, loadAfter: loadAverage(), contended: otherCores > CONTENDED_CORES };
}

/** Runs each function `rounds` times, interleaved (A B A B ...), and returns the runs of each. */
export async function interleave<K extends string, T>(rounds: number, fns: Record<K, () => T | Promise<T>>): Promise<Record<K, Run<T>[]>> {
  const runs = Object.fromEntries(Object.keys(fns).map((k) => [k, [] as Run<T>[]])) as Record<K, Run<T>[]>;
  for (let round = 0; round < rounds; round++) for (const k of Object.keys(fns) as K[]) runs[k].push(await measure(fns[k]));
  return runs;
}

/** A figure: the median of its runs, contended when any of them was. */
export interface Figure {
  seconds: number;
  contended: boolean;
  /** Median cores other processes used over the runs, and the highest 1-minute load average seen. */
  otherCores: number;
  load: number;
  runs: number;
}

export function figure(runs: Run[]): Figure {
  return {
    seconds: median(runs.map((r) => r.seconds)),
    contended: runs.some((r) => r.contended),
    otherCores: median(runs.map((r) => r.otherCores)),
    load: Math.max(...runs.map((r) => Math.max(r.loadBefore, r.loadAfter))),
    runs: runs.length,
  };
}

/** What the machine was doing: "others 0.02 cores, load 1.10". */
export function conditions(f: Figure): string {
  return `others ${f.otherCores.toFixed(2)} cores, load ${f.load.toFixed(2)}`;
}

/**
 * The printed value of a figure, or of a ratio of figures: the value when every run was quiet, else
 * "CONTENDED" with the value in brackets (not a result).
 */
export function shown(value: string, ...from: Figure[]): string {
  const contended = from.filter((f) => f.contended);
  if (contended.length === 0) return value;
  const worst = contended.reduce((a, b) => (b.otherCores > a.otherCores ? b : a));
  return `CONTENDED [${value}; ${conditions(worst)}]`;
}

/** One line of a table: name, seconds, rate and a note, each marked CONTENDED where it is. */
export function line(name: string, f: Figure, rate: (seconds: number) => string, note = ''): string {
  const secs = `${f.seconds.toFixed(2)} s`;
  const body = `${secs.padStart(9)}  ${rate(f.seconds).padStart(10)}${note ? `  ${note}` : ''}`;
  return `${name.padEnd(66)} ${f.contended ? `CONTENDED [${body.trim()}; ${conditions(f)}]` : `${body}  (${conditions(f)})`}`;
}

/** The rule, printed with each bench. */
export const CONTENTION_RULE = `a figure is the median of interleaved runs; CONTENDED: other processes used more than ${CONTENDED_CORES} of a core during one of its runs (not a result)`;

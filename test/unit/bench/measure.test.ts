import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONTENDED_CORES, figure, measure, median, otherCpuSeconds, shown, snapshot } from '../../bench/measure.js';

/** utime + stime of a process in seconds, read on its own from /proc (USER_HZ 100). */
function cpuOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

describe('test/bench/measure.ts', () => {
  it('counts the CPU of a process outside this process tree, and marks the run contended', async () => {
    // A busy loop orphaned by a double fork: its parent is no longer in our tree.
    const pid = Number(execFileSync('sh', ['-c', '(sh -c "while :; do :; done" >/dev/null 2>&1 & echo $!) '], { encoding: 'utf8' }).trim());
    try {
      const before = cpuOf(pid);
      const run = await measure(() => new Promise((r) => setTimeout(r, 1500)));
      const used = cpuOf(pid) - before;
      expect(used).toBeGreaterThan(0);
      // Others include the loop's CPU during the run (to the tick read around it).
      expect(run.otherCpuSeconds).toBeGreaterThanOrEqual(used - 0.05);
      expect(run.contended).toBe(run.otherCores > CONTENDED_CORES);
      expect(run.otherCores).toBeCloseTo(run.otherCpuSeconds / run.seconds, 1);
    } finally {
      process.kill(pid, 'SIGKILL');
    }
  });

  it('counts others: not its own descendants, and a reused pid as a new process', () => {
    const me = 1000;
    const snap = (entries: [number, number, number, number][]) => new Map(entries.map(([pid, ppid, ticks, start]) => [pid, { ppid, ticks, start }]));
    const t = { mine: 500, child: 400, grandchild: 70, other: 50, newcomer: 30, reused: 20 };
    const before = snap([[me, 1, 0, 1], [1001, me, 0, 2], [2000, 1, 100, 3], [3000, 1, 999, 4]]);
    const after = snap([
      [me, 1, t.mine, 1],
      [1001, me, t.child, 2],
      [1002, 1001, t.grandchild, 5],
      [2000, 1, 100 + t.other, 3],
      [2001, 1, t.newcomer, 6],
      [3000, 1, t.reused, 7],
    ]);
    expect(otherCpuSeconds(before, after, me)).toBeCloseTo((t.other + t.newcomer + t.reused) / 100, 6);
    expect(snapshot().get(process.pid)?.ppid).toBe(process.ppid);
  });

  it('keeps a contended figure out of the results, and takes the median of the runs', () => {
    const quiet = { seconds: 2, value: null, otherCpuSeconds: 0, otherCores: 0, loadBefore: 0.1, loadAfter: 0.1, contended: false };
    const busy = { ...quiet, seconds: 3, otherCpuSeconds: 1, otherCores: 0.5, contended: true };
    expect(median([5, 1, 3])).toBe(3);
    const q = figure([quiet, { ...quiet, seconds: 1 }, { ...quiet, seconds: 4 }]);
    expect(q).toMatchObject({ seconds: 2, contended: false });
    expect(shown('1.50x', q)).toBe('1.50x');
    const c = figure([quiet, busy, quiet]);
    expect(c.contended).toBe(true);
    expect(shown('1.50x', q, c)).toMatch(/^CONTENDED \[1\.50x; others 0\.00 cores/);
  });
});

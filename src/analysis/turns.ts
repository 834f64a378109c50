import { setImmediate as nextTurn } from 'node:timers/promises';

/**
 * Turns of the event loop within a long walk over typed arrays (src/analysis/walks.ts): analyze.ts runs the
 * figures that need only SQL on a second connection meanwhile, and each of its queries is handed over, and the
 * next one started, on the main thread. A walk that held the thread for a second would leave DuckDB idle for that
 * second; one that gives a turn every few milliseconds keeps it busy. In a loop: `if (turns.due()) await turns.give()`.
 */
export class Turns {
  private next = performance.now() + sliceMs;

  /** True once the walk has held the thread for a slice. */
  due(): boolean {
    return performance.now() >= this.next;
  }

  /** Lets the event loop run what is waiting, then starts a new slice. */
  async give(): Promise<void> {
    await nextTurn();
    this.next = performance.now() + sliceMs;
  }
}

/** Milliseconds of a walk between turns: a turn costs microseconds, a query's start or end waits at most this. */
const sliceMs = 4;

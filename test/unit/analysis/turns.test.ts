import { describe, expect, it } from 'vitest';
import { Turns } from '../../../src/analysis/turns.js';
import { Db } from '../../../src/store/duckdb.js';

// src/analysis/turns.ts: a long synchronous walk gives the event loop turns, so that work started beside it (the
// queries of analyze.ts's second lane) goes on while it runs.
describe('turns of the event loop within a walk', () => {
  const walk = async (turns: Turns | undefined, ms: number, seen: () => void): Promise<number> => {
    const end = performance.now() + ms;
    let steps = 0;
    while (performance.now() < end) {
      if (turns?.due()) await turns.give();
      steps++;
    }
    seen();
    return steps;
  };

  /** Three short queries on another connection, one after the other, and the walk: the order they ended in. */
  const race = async (turns: Turns | undefined, ms: number): Promise<string[]> => {
    const db = await Db.open(':memory:');
    const other = await db.connect();
    try {
      const log: string[] = [];
      const lane = (async () => {
        for (let q = 0; q < 3; q++) {
          await other.all('SELECT count(*) FROM range(200000)');
          log.push(`query ${q}`);
        }
      })();
      await walk(turns, ms, () => log.push('walk'));
      await lane;
      return log;
    } finally {
      other.close();
      db.close();
    }
  };

  it('lets a query on another connection finish and the next one start while the walk runs', async () => {
    // Every query was handed over within the walk.
    expect(await race(new Turns(), 1500)).toEqual(['query 0', 'query 1', 'query 2', 'walk']);
  });

  it('without turns the queries wait for the walk to end', async () => {
    expect((await race(undefined, 300))[0]).toBe('walk');
  });
});

describe('a further connection to a database', () => {
  it('sees the tables of the database, and closing it leaves the database open', async () => {
    const db = await Db.open(':memory:');
    try {
      await db.run('CREATE TABLE t AS SELECT 41 AS x');
      const other = await db.connect();
      await other.run('CREATE TABLE u AS SELECT x + 1 AS y FROM t');
      other.close();
      const [row] = await db.all<{ y: number }>('SELECT y FROM u');
      expect(row!.y).toBe(42);
    } finally {
      db.close();
    }
  });
});

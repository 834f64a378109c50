import { describe, expect, it } from 'vitest';
import { sortDescending } from '../../../src/trace/sort.js';
import { rng } from './gen.js';

describe('sortDescending', () => {
  it.each([
    ['distinct keys', 5000, 1e9],
    ['many equal keys', 5000, 7],
    ['short', 13, 1e9],
    ['one key', 1, 3],
    ['empty', 0, 3],
  ])('sorts keys as the built-in numeric sort does and moves the index with them (%s)', (_, n, spread) => {
    const rand = rng(n + spread);
    const keys = Float64Array.from({ length: n }, () => (rand() < 0.02 ? Infinity : Math.floor(rand() * spread) / 3));
    const key = keys.slice();
    const index = Uint32Array.from({ length: n }, (_, i) => i);
    sortDescending(key, index);
    expect([...key]).toEqual([...keys.slice().sort()].reverse());
    expect([...index].sort((a, b) => a - b)).toEqual([...Array(n).keys()]);
    for (let k = 0; k < n; k++) expect(keys[index[k]]).toBe(key[k]);
  });

  it('sorts already ordered and reversed input', () => {
    for (const keys of [Float64Array.from({ length: 3000 }, (_, i) => i), Float64Array.from({ length: 3000 }, (_, i) => -i)]) {
      const key = keys.slice();
      const index = Uint32Array.from({ length: keys.length }, (_, i) => i);
      sortDescending(key, index);
      expect([...key]).toEqual([...keys.slice().sort()].reverse());
      for (let k = 0; k < key.length; k++) expect(keys[index[k]]).toBe(key[k]);
    }
  });
});

import { describe, expect, it } from 'vitest';
import { num, pct } from '../../../src/analysis/report/format.js';

describe('report cell formats', () => {
  it('num keeps three decimals from 1 up and three significant digits below, so small fractions do not print as 0', () => {
    expect(num(2.71828)).toBe('2.718');
    expect(num(1234)).toBe('1234');
    expect(num(0.123456)).toBe('0.123');
    expect(num(0.000123456)).toBe('0.000123');
    expect(num(-0.0004567)).toBe('-0.000457');
    expect(num(0)).toBe('0');
    expect(num(null)).toBe('');
    expect(num(Number.NaN)).toBe('');
  });

  it('pct keeps two significant digits below 0.1%', () => {
    expect(pct(0.25)).toBe('25.0%');
    expect(pct(0.0001234)).toBe('0.012%');
    expect(pct(0.9995)).toBe('99.95%');
  });
});

import { describe, expect, it } from 'vitest';
import { formatDecimal, formatPercent, formatPercentFine } from '../../../src/format/text.js';

describe('report cell formats', () => {
  it('formatDecimal keeps three decimals from 1 up and three significant digits below, so small fractions do not print as 0', () => {
    expect(formatDecimal(2.71828)).toBe('2.718');
    expect(formatDecimal(1234)).toBe('1234');
    expect(formatDecimal(0.123456)).toBe('0.123');
    expect(formatDecimal(0.000123456)).toBe('0.000123');
    expect(formatDecimal(-0.0004567)).toBe('-0.000457');
    expect(formatDecimal(0)).toBe('0');
    expect(formatDecimal(null)).toBe('');
    expect(formatDecimal(Number.NaN)).toBe('');
  });

  it('formatPercentFine keeps two significant digits below 0.1%', () => {
    expect(formatPercentFine(0.25)).toBe('25.0%');
    expect(formatPercentFine(0.0001234)).toBe('0.012%');
    expect(formatPercentFine(0.9995)).toBe('99.95%');
  });

  it('formatPercent keeps one decimal where formatPercentFine keeps more', () => {
    expect(formatPercent(0.25)).toBe('25.0%');
    expect(formatPercent(0.0001234)).toBe('0.0%');
    expect(formatPercent(0.99951)).toBe('100.0%');
    expect(formatPercentFine(0.99951)).toBe('99.95%');
    expect(formatPercent(Number.NaN)).toBe('');
  });
});

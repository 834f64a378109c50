import { describe, expect, it } from 'vitest';
import { barChart, escapeXml, formatTick, lineChart, makeScale } from '../../../src/report/svg.js';
import { chartData, checkXml, unescapeXml } from './xml-check.js';

interface LineData {
  chart: string;
  title: string;
  x: { label: string; unit: string | null; log: boolean };
  series: { name: string; points: [number, number][] }[];
}

describe('svg line chart', () => {
  const series = [
    { name: 'lru <&> "x"', points: [[1024, 0.1], [1 << 20, 0.4], [1 << 30, 0.9]] as [number, number][] },
    { name: 'arc', points: [[1024, 0.2], [1 << 20, 0.5], [1 << 30, 0.95]] as [number, number][] },
  ];
  const svg = lineChart({
    title: 'Hit ratio & size <test>',
    x: { label: 'Cache size', unit: 'bytes', log: true, format: 'bytes' },
    y: { label: 'Hit ratio', format: 'percent', min: 0, max: 1 },
    series,
  });

  it('is well-formed XML with one root svg', () => {
    const names = checkXml(svg);
    expect(names[0]).toBe('svg');
    expect(names).toContain('metadata');
    expect(names.filter((n) => n === 'polyline')).toHaveLength(2);
  });

  it('embeds every plotted series exactly', () => {
    const data = chartData<LineData>(svg);
    expect(data.chart).toBe('line');
    expect(data.title).toBe('Hit ratio & size <test>');
    expect(data.x).toEqual({ label: 'Cache size', unit: 'bytes', log: true });
    expect(data.series).toEqual(series.map((s) => ({ name: s.name, points: s.points })));
    const groups = [...svg.matchAll(/<g class="series" data-series="([^"]*)"/g)].map((m) => unescapeXml(m[1]));
    expect(groups).toEqual(series.map((s) => s.name));
  });

  it('labels axes with units, ticks in the axis format and a legend', () => {
    expect(svg).toContain('>Cache size (bytes)</text>');
    expect(svg).toContain('>1 KiB</text>');
    expect(svg).toContain('>1 MiB</text>');
    expect(svg).toContain('>1 GiB</text>');
    expect(svg).toContain('>100%</text>');
    expect(svg).toContain('class="legend"');
    expect(svg).toContain(escapeXml('lru <&> "x"'));
  });

  it('places points on a log axis by their logarithm', () => {
    // 1 KiB, 1 MiB and 1 GiB are equally spaced on a log axis: the middle x is halfway between the ends.
    const poly = /<g class="series" data-series="arc"><polyline points="([^"]+)"/.exec(svg)![1];
    const xs = poly.split(' ').map((p) => Number(p.split(',')[0]));
    expect(xs[1] - xs[0]).toBeCloseTo(xs[2] - xs[1], 1);
  });

  it('breaks the line at values a log axis cannot show, but keeps them in the data', () => {
    const s = lineChart({ title: 't', x: { label: 'x', log: true }, y: { label: 'y' }, series: [{ name: 's', points: [[0, 1], [10, 2], [100, 3]] }] });
    checkXml(s);
    expect(chartData<LineData>(s).series[0].points).toEqual([[0, 1], [10, 2], [100, 3]]);
    const poly = /<polyline points="([^"]+)"/.exec(s)![1];
    expect(poly.split(' ')).toHaveLength(2);
  });

  it('copes with no series and constant data', () => {
    checkXml(lineChart({ title: 'empty', x: { label: 'x' }, y: { label: 'y' }, series: [] }));
    checkXml(lineChart({ title: 'flat', x: { label: 'x' }, y: { label: 'y' }, series: [{ name: 'a', points: [[5, 5]] }] }));
  });
});

describe('svg bar chart', () => {
  const categories = ['64431afe/eec8974d', 'a|b & <c>', 'short'];
  const svg = barChart({
    title: 'Top repositories',
    categories,
    categoryLabel: 'repository',
    value: { label: 'Requests', unit: 'count' },
    series: [
      { name: 'requests', values: [195, 128, 3] },
      { name: 'clients', values: [12, 1, 0] },
    ],
  });

  it('is well-formed and holds categories and values', () => {
    checkXml(svg);
    const data = chartData<{ chart: string; categories: string[]; series: { name: string; values: number[] }[] }>(svg);
    expect(data.chart).toBe('bar');
    expect(data.categories).toEqual(categories);
    expect(data.series).toEqual([
      { name: 'requests', values: [195, 128, 3] },
      { name: 'clients', values: [12, 1, 0] },
    ]);
  });

  it('draws bar lengths proportional to the values', () => {
    const group = /<g class="series" data-series="requests">([\s\S]*?)<\/g>/.exec(svg)![1];
    const widths = [...group.matchAll(/<rect [^>]*width="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(widths).toHaveLength(3);
    expect(widths[0] / widths[1]).toBeCloseTo(195 / 128, 2);
  });

  it('refuses a series of the wrong length', () => {
    expect(() => barChart({ title: 't', categories: ['a'], value: { label: 'v' }, series: [{ name: 's', values: [1, 2] }] })).toThrow(RangeError);
  });
});

describe('scales and tick labels', () => {
  it('rounds a linear scale to nice ticks covering the data', () => {
    const s = makeScale([3, 97], { label: 'x' });
    expect(s.min).toBeLessThanOrEqual(3);
    expect(s.max).toBeGreaterThanOrEqual(97);
    const steps = s.ticks.slice(1).map((t, i) => t - s.ticks[i]);
    for (const d of steps) expect(d).toBeCloseTo(steps[0], 9);
    expect([1, 2, 2.5, 5].map((m) => m * 10 ** Math.floor(Math.log10(steps[0])))).toContain(steps[0]);
  });

  it('uses decades on a log scale of plain numbers', () => {
    const s = makeScale([3, 4500], { label: 'x', log: true });
    expect(s.ticks).toEqual([1, 10, 100, 1000, 10000]);
  });

  it('formats bytes, percent, seconds and time', () => {
    expect(formatTick(1536, 'bytes')).toBe('1.5 KiB');
    expect(formatTick(0.25, 'percent')).toBe('25%');
    expect(formatTick(0.01, 'seconds')).toBe('10 ms');
    expect(formatTick(600, 'seconds')).toBe('10 min');
    expect(formatTick(Date.UTC(2017, 5, 20, 2, 40), 'time')).toBe('02:40');
    expect(formatTick(25_000)).toBe('25k');
  });
});

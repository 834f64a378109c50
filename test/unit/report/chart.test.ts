import { describe, expect, it } from 'vitest';
import { axisFor, barChart, compileSpec, interactive, lineChart, renderSvg, stepCdf } from '../../../src/report/chart.js';
import { binaryLinearTicks, binaryLogTicks, integerTicks, logCountTicks, secondTicks } from '../../../src/report/ticks.js';
import { drawn, readChart, seriesOf } from './chart-data.js';
import { checkXml } from './xml-check.js';

/** A label such as "4 MiB" read back as bytes, here independently: a power of two below 1024 times a unit. */
function parseBinary(label: string): number {
  const m = /^(\d+) (B|KiB|MiB|GiB|TiB)$/.exec(label);
  if (!m) throw new Error(`not a round binary label: ${label}`);
  const n = Number(m[1]);
  expect(Number.isInteger(Math.log2(n)) && n < 1024, label).toBe(true);
  return n * 1024 ** ['B', 'KiB', 'MiB', 'GiB', 'TiB'].indexOf(m[2]);
}

/** The tick labels Vega draws on each axis of an SVG, in order. */
function axisLabels(svg: string): string[][] {
  return (svg.match(/<g class="mark-text role-axis-label[\s\S]*?<\/g>/g) ?? []).map((g) => [...g.matchAll(/>([^<]+)<\/text>/g)].map((m) => m[1]));
}

/** The (x, y) points of each path of a line mark, from its d attribute (M and L commands only). */
function linePaths(svg: string): number[][][] {
  const marks = svg.match(/<g class="mark-line role-mark[\s\S]*?<\/g>/g) ?? [];
  return marks.flatMap((g) => [...g.matchAll(/ d="([^"]+)"/g)].map((m) => [...m[1].matchAll(/[ML](-?[\d.e]+),(-?[\d.e]+)/g)].map((p) => [Number(p[1]), Number(p[2])])));
}

describe('tick values', () => {
  it('bytes on a log axis tick at powers of two around the data, labelled in round binary units', async () => {
    for (const [lo, hi] of [[1000, 3e6], [1, 1], [3, 7e9], [512, 512 * 1024], [123456, 987654321]]) {
      const ticks = binaryLogTicks(lo, hi);
      for (const t of ticks) expect(Number.isInteger(Math.log2(t)), `${t}`).toBe(true);
      expect(ticks[0]).toBeLessThanOrEqual(Math.max(1, lo));
      expect(ticks[ticks.length - 1]).toBeGreaterThanOrEqual(hi);
      expect(ticks.length).toBeLessThanOrEqual(11);
    }
    const c = stepCdf({ file: 'x.svg', title: 't', x: { title: 'Size', kind: 'bytes-log' }, yTitle: 'F', series: [{ name: 's', points: [[5e6, 0.3], [20e6, 0.6], [40e6, 1]] }] })!;
    const svg = await renderSvg(c.spec);
    const [x] = axisLabels(svg);
    expect(x.length).toBeGreaterThan(2);
    const values = x.map(parseBinary);
    const ratio = values[1] / values[0];
    for (let i = 1; i < values.length; i++) expect(values[i] / values[i - 1]).toBe(ratio);
    expect(values[0]).toBeLessThanOrEqual(5e6);
    expect(values[values.length - 1]).toBeGreaterThanOrEqual(40e6);
  });

  it('bytes from 0 tick at multiples of a power of two, never at 4.77 or 9.54 MiB', async () => {
    for (const max of [1, 1000, 47_000_000, 3.3e9]) {
      const ticks = binaryLinearTicks(max);
      const step = ticks[1] - ticks[0];
      expect(Number.isInteger(Math.log2(step))).toBe(true);
      ticks.forEach((t, i) => expect(t).toBe(i * step));
      expect(ticks[ticks.length - 1]).toBeGreaterThanOrEqual(max);
    }
    const b = barChart({ file: 'b.svg', title: 'b', categories: ['a', 'b'], categoryTitle: 'c', value: { title: 'Bytes', kind: 'bytes' }, series: [{ name: 'n', values: [40_000_000, 5_000_000] }] });
    const [x] = axisLabels(await renderSvg(b.spec));
    // Multiples of one step, the step a power of two (8 MiB: 0, 8, 16, 24, 32, 40 MiB).
    const values = x.map((l) => {
      const m = /^(\d+) (B|KiB|MiB|GiB)$/.exec(l)!;
      return Number(m[1]) * 1024 ** ['B', 'KiB', 'MiB', 'GiB'].indexOf(m[2]);
    });
    expect(values[0]).toBe(0);
    expect(Number.isInteger(Math.log2(values[1]))).toBe(true);
    for (let i = 1; i < values.length; i++) expect(values[i] - values[i - 1]).toBe(values[1]);
    expect(values[values.length - 1]).toBeGreaterThanOrEqual(40_000_000);
  });

  it('counts tick at integers only, and the axis ends at the largest value', async () => {
    expect(integerTicks(1, 3)).toEqual([1, 2, 3]);
    for (const [lo, hi] of [[0, 7], [1, 3], [2, 250], [0, 12345]]) for (const t of integerTicks(lo, hi)) expect(Number.isInteger(t)).toBe(true);
    for (const [lo, hi] of [[1, 3], [1, 40], [1, 5000]]) for (const t of logCountTicks(lo, hi)) expect(Number.isInteger(t)).toBe(true);
    // The x axis of a count CDF runs from its smallest to its largest value: 1 to 3, not to 10, no 1.5.
    const c = stepCdf({ file: 'x.svg', title: 't', x: { title: 'Layers', kind: 'count' }, yTitle: 'F', series: [{ name: 's', points: [[1, 0.2], [2, 0.7], [3, 1]] }] })!;
    const svg = await renderSvg(c.spec);
    expect(axisLabels(svg)[0]).toEqual(['1', '2', '3']);
    expect(axisFor({ title: 'x', kind: 'count' }, [1, 3]).scale.domain).toEqual([1, 3]);
    const log = stepCdf({ file: 'y.svg', title: 't', x: { title: 'Refs', kind: 'count-log' }, yTitle: 'F', series: [{ name: 's', points: [[1, 0.5], [3, 1]] }] })!;
    expect(axisLabels(await renderSvg(log.spec))[0]).toEqual(['1', '2', '3']);
  });

  it('seconds tick at human steps', () => {
    expect(secondTicks(0.5, 4000)).toEqual([0.1, 1, 10, 60, 600, 3600, 21600]);
  });
});

describe('a step CDF', () => {
  const points: [number, number][] = [[1024, 0.25], [4096, 0.5], [1 << 20, 1]];
  const chart = stepCdf({ file: 'c.svg', title: 'CDF <&> "t"', x: { title: 'Size', kind: 'bytes-log' }, yTitle: 'Fraction', series: [{ name: 'a</script><b>', points }, { name: 'empty', points: [] }] })!;

  it('holds the points, starting with a rise from 0 at the smallest value, and leaves empty series out', async () => {
    const d = await drawn(chart.spec);
    expect(d.warnings).toEqual([]);
    expect([...seriesOf(d.sets.points).entries()]).toEqual([['a</script><b>', [[1024, 0], ...points]]]);
    expect(stepCdf({ file: 'n.svg', title: 'n', x: { title: 'x', kind: 'count' }, yTitle: 'y', series: [{ name: 'e', points: [] }] })).toBeNull();
  });

  it('draws steps: every segment of the line is horizontal or vertical, and the line rises left to right', async () => {
    expect(JSON.stringify(compileSpec(chart.spec).vega)).toContain('step-after');
    const svg = await renderSvg(chart.spec);
    const [path] = linePaths(svg);
    expect(path.length).toBeGreaterThan(4);
    for (let i = 1; i < path.length; i++) {
      const [a, b] = [path[i - 1], path[i]];
      expect(a[0] === b[0] || a[1] === b[1], `segment ${i}`).toBe(true);
      expect(b[0]).toBeGreaterThanOrEqual(a[0]);
      expect(b[1]).toBeLessThanOrEqual(a[1]); // SVG y grows downwards
    }
  });

  it('escapes its title and series names in the SVG', async () => {
    const svg = await readChart(await renderSvg(chart.spec));
    expect(svg.svg).not.toContain('</script><b>');
    expect(svg.spec).toEqual(chart.spec);
  });

  it('in HTML: the same spec with tooltips and zoom bound to the scales', () => {
    const spec = interactive(chart) as { layer: { mark: { tooltip?: unknown }; params?: { bind: string }[] }[] };
    expect(spec.layer[0].params?.[0].bind).toBe('scales');
    for (const l of spec.layer) expect(l.mark.tooltip).toBeTruthy();
    expect((spec as unknown as { data: unknown }).data).toEqual(chart.spec.data);
    expect(chart.spec.layer).not.toEqual(spec.layer); // the report's own spec is untouched
    expect(compileSpec(spec).warnings).toEqual([]);
  });
});

describe('line and bar charts', () => {
  it('a line chart holds each series and draws a point per value', async () => {
    const series = [{ name: 'lru', points: [[1 << 20, 0.1], [1 << 30, 0.5]] as [number, number][] }, { name: 'arc', points: [[1 << 20, 0.2], [1 << 30, 0.6]] as [number, number][] }];
    const c = lineChart({ file: 'l.svg', title: 'l', x: { title: 'Size', kind: 'bytes-log' }, y: { title: 'Hit ratio', kind: 'percent' }, series });
    const r = await readChart(await renderSvg(c.spec));
    expect([...seriesOf(r.sets.points).entries()]).toEqual(series.map((s) => [s.name, s.points]));
    expect((r.svg.match(/<g class="mark-symbol role-mark[\s\S]*?<\/g>/)?.[0].match(/<path /g) ?? []).length).toBe(4);
  });

  it('a bar chart holds a value per category and series, in the order given, and escapes names', async () => {
    const c = barChart({ file: 'b.svg', title: 'b', categories: ['x<y', 'a|b & c'], categoryTitle: 'c', value: { title: 'Requests', kind: 'count' }, series: [{ name: 'n', values: [3, 7] }, { name: 'm', values: [1, 2] }] });
    const svg = await renderSvg(c.spec);
    checkXml(svg);
    const r = await readChart(svg);
    expect(r.sets.points.map((p) => [p.series, p.category, p.value])).toEqual([['n', 'x<y', 3], ['n', 'a|b & c', 7], ['m', 'x<y', 1], ['m', 'a|b & c', 2]]);
    expect(() => barChart({ ...c, categories: ['a'], value: c.spec as never, series: [{ name: 'n', values: [1, 2] }], title: 't', categoryTitle: 'c', file: 'f' })).toThrow(/2 values for 1 categories/);
  });
});

/**
 * The charts of every report, as Vega-Lite specs with their data inline: one spec function per chart builds on
 * these helpers, the Markdown reports get the spec rendered to SVG by Vega's headless view (no browser), and the
 * HTML reports embed the same spec (plus tooltips and zoom, see `interactive`).
 *
 *   const c = stepCdf({ file: 'sizes.svg', title: 'Sizes', x: { title: 'Size', kind: 'bytes-log' }, yTitle: 'Fraction',
 *                       series: [{ name: 'files', points: [[512, 0.5], [4096, 1]] }] });
 *   await renderSvg(c.spec)   // an <svg> document
 *
 * Every spec keeps its plotted values in named data sets ("points", and "fit" for a fitted line), so a test can run
 * the spec through Vega and read back exactly what is drawn.
 */
import * as vega from 'vega';
import * as vl from 'vega-lite';
import { ImgscanError } from '../errors.js';
import {
  binaryLabel, binaryLinearTicks, binaryLogTicks, integerTicks, labelExpr, logCountTicks, secondLabel, secondTicks,
} from './ticks.js';

/** A Vega-Lite spec as JSON. */
export type VlSpec = Record<string, unknown>;

/** One chart of a report: its SVG file name beside the Markdown, its title, the spec with its data inline. */
export interface Chart {
  file: string;
  title: string;
  spec: VlSpec;
  /** A CDF or a curve: the HTML report lets the reader zoom and pan it. */
  zoom: boolean;
}

/**
 * How an axis shows its values: sizes on a log scale with binary ticks, bytes from 0 with binary ticks, counts
 * with integer ticks (linear or log), a fraction as a percentage, seconds on a log scale, or UTC time.
 */
export type AxisKind = 'bytes-log' | 'bytes' | 'count' | 'count-log' | 'percent' | 'seconds-log' | 'time';

export interface AxisSpec {
  title: string;
  kind: AxisKind;
  /** For count axes: start at 0 (bars) rather than at the smallest value. */
  zero?: boolean;
  /** For a percent axis: where it starts (default 0), e.g. 0.99 for 99% to 100%. */
  from?: number;
}

export type Point = readonly [number, number];

export interface Series {
  name: string;
  points: readonly Point[];
}

/** A chart of CHARTS as a Markdown image beside the report, when it was drawn (else nothing). */
export function chartLink(charts: readonly Chart[], file: string): string {
  const c = charts.find((x) => x.file === file);
  return c ? `![${c.title}](${c.file})\n` : '';
}

const font = 'DejaVu Sans, Helvetica, Arial, sans-serif';
export const palette = ['#4e79a7', '#f28e2b', '#e15759', '#59a14f', '#b07aa1', '#76b7b2', '#9c755f', '#ff9da7', '#edc948', '#bab0ac'];

/** The frame every spec shares: schema, title, size, white background, fonts. */
export function frame(title: string, extra: VlSpec = {}): VlSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: title, fontSize: 15, anchor: 'start' },
    width: 620,
    height: 320,
    background: 'white',
    config: { font, axis: { labelFontSize: 11, titleFontSize: 12, gridColor: '#e6e6e6' }, legend: { labelFontSize: 11, labelLimit: 360 } },
    ...extra,
  };
}

/** The scale and axis of a quantitative channel over VALUES, with the tick values and labels computed in ticks.ts. */
export function axisFor(a: AxisSpec, values: readonly number[]): { scale: VlSpec; axis: VlSpec } {
  const finite = values.filter(Number.isFinite);
  const lo = finite.length ? Math.min(...finite) : 0;
  const hi = finite.length ? Math.max(...finite) : 1;
  const positive = finite.filter((v) => v > 0);
  const plo = positive.length ? Math.min(...positive) : 1;
  const ticked = (ticks: number[], label: (v: number) => string, scale: VlSpec) => ({
    scale: { nice: false, ...scale, domain: (scale.domain as number[] | undefined) ?? [ticks[0], ticks[ticks.length - 1]] },
    axis: { title: a.title, values: ticks, labelExpr: labelExpr(ticks, label), labelOverlap: true },
  });
  switch (a.kind) {
    case 'bytes-log':
      return ticked(binaryLogTicks(plo, hi), binaryLabel, { type: 'log', base: 2 });
    case 'bytes':
      return ticked(binaryLinearTicks(hi), binaryLabel, { type: 'linear', zero: true });
    case 'seconds-log':
      return ticked(secondTicks(plo, hi), secondLabel, { type: 'log' });
    case 'percent': {
      const from = a.from ?? 0;
      const digits = Math.max(0, Math.round(-Math.log10(1 - from)) - 1);
      const values = Array.from({ length: 11 }, (_, i) => Number((from + (i * (1 - from)) / 10).toFixed(digits + 3)));
      return { scale: { domain: [from, 1], nice: false }, axis: { title: a.title, format: `.${digits}%`, values } };
    }
    case 'time': {
      const span = (hi - lo) / 1000;
      const format = span > 86400 ? '%m-%d %H:%M' : span > 600 ? '%H:%M' : '%H:%M:%S';
      return { scale: { type: 'utc' }, axis: { title: a.title, format, labelOverlap: true } };
    }
    case 'count-log': {
      const top = Math.max(hi, Math.floor(plo) + 1);
      const ticks = logCountTicks(plo, top).filter((t) => t <= top);
      return ticked(ticks, String, { type: 'log', domain: [Math.max(1, Math.floor(plo)), top] });
    }
    default: {
      const from = a.zero ? 0 : lo;
      const to = hi > from ? hi : from + 1;
      const ticks = integerTicks(from, to).filter((t) => t >= from && t <= to);
      return ticked(ticks, String, { type: 'linear', domain: [from, to] });
    }
  }
}

/** Rows of a data set from series of points: { series, x, y }. */
function rows(series: readonly Series[]): { series: string; x: number; y: number }[] {
  return series.flatMap((s) => s.points.map(([x, y]) => ({ series: s.name, x, y })));
}

/** The color (and dash) channel of the series, in the order given, with a legend below the plot. */
export function seriesChannels(names: readonly string[], colors: readonly string[] = palette): VlSpec {
  const dashes = [[1, 0], [6, 3], [2, 2], [8, 3, 2, 3]];
  return {
    color: { field: 'series', type: 'nominal', title: null, sort: names, scale: { domain: names, range: names.map((_, i) => colors[i % colors.length]) }, legend: { orient: 'bottom', direction: 'vertical' } },
    strokeDash: { field: 'series', type: 'nominal', title: null, sort: names, scale: { domain: names, range: names.map((_, i) => dashes[i % dashes.length]) }, legend: { orient: 'bottom', direction: 'vertical' } },
  };
}

export interface CdfSpec {
  file: string;
  title: string;
  x: AxisSpec;
  yTitle: string;
  series: readonly Series[];
}

/**
 * A CDF drawn as steps (step-after: the fraction holds from one value to the next), each series starting with a
 * rise from 0 at its smallest value. Null when no series has a point.
 */
export function stepCdf(c: CdfSpec): Chart | null {
  const drawn = c.series.filter((s) => s.points.length > 0).map((s) => ({ name: s.name, points: [[s.points[0][0], 0] as Point, ...s.points] }));
  if (drawn.length === 0) return null;
  const values = rows(drawn);
  const x = axisFor(c.x, values.map((v) => v.x));
  const y = axisFor({ title: c.yTitle, kind: 'percent' }, []);
  const spec = frame(c.title, {
    data: { name: 'points', values },
    layer: [{
      mark: { type: 'line', interpolate: 'step-after', strokeWidth: 2, clip: true },
      encoding: {
        x: { field: 'x', type: 'quantitative', ...x },
        y: { field: 'y', type: 'quantitative', ...y },
        ...seriesChannels(drawn.map((s) => s.name)),
      },
    }],
  });
  return { file: c.file, title: c.title, spec, zoom: true };
}

export interface LineSpec {
  file: string;
  title: string;
  x: AxisSpec;
  y: AxisSpec;
  series: readonly Series[];
}

/** Lines through measured points (a point mark on each), e.g. a metric against cache size per policy. */
export function lineChart(c: LineSpec): Chart {
  const values = rows(c.series);
  const names = c.series.map((s) => s.name);
  const encoding = {
    x: { field: 'x', type: 'quantitative', ...axisFor(c.x, values.map((v) => v.x)) },
    y: { field: 'y', type: 'quantitative', ...axisFor(c.y, values.map((v) => v.y)) },
    ...seriesChannels(names),
  };
  const spec = frame(c.title, {
    data: { name: 'points', values },
    layer: [
      { mark: { type: 'line', strokeWidth: 2, clip: true }, encoding },
      { mark: { type: 'point', filled: true, size: 30, clip: true }, encoding: { ...encoding, shape: { field: 'series', type: 'nominal', title: null, sort: names, legend: { orient: 'bottom', direction: 'vertical' } } } },
    ],
  });
  return { file: c.file, title: c.title, spec, zoom: true };
}

export interface BarSpec {
  file: string;
  title: string;
  categories: readonly string[];
  categoryTitle: string;
  value: AxisSpec;
  series: readonly { name: string; values: readonly number[] }[];
}

/** Horizontal bars, a group per category (in the order given), one bar per series; the value axis starts at 0. */
export function barChart(c: BarSpec): Chart {
  for (const s of c.series) {
    if (s.values.length !== c.categories.length) throw new ImgscanError('INTERNAL', `bar series ${s.name} has ${s.values.length} values for ${c.categories.length} categories`);
  }
  const values = c.series.flatMap((s) => s.values.map((v, i) => ({ series: s.name, category: c.categories[i], value: v })));
  const names = c.series.map((s) => s.name);
  const x = axisFor({ ...c.value, zero: true }, [0, ...values.map((v) => v.value)]);
  const spec = frame(c.title, {
    height: { step: names.length > 1 ? 12 : 20 },
    data: { name: 'points', values },
    layer: [{
      mark: { type: 'bar', clip: true },
      encoding: {
        y: { field: 'category', type: 'nominal', sort: [...new Set(c.categories)], title: c.categoryTitle, axis: { labelLimit: 260 } },
        ...(names.length > 1 ? { yOffset: { field: 'series', type: 'nominal', sort: names } } : {}),
        x: { field: 'value', type: 'quantitative', ...x },
        color: seriesChannels(names).color,
      },
    }],
  });
  return { file: c.file, title: c.title, spec, zoom: false };
}

/**
 * The spec as the HTML report embeds it: the same spec, with a tooltip on every mark and, for a chart that zooms,
 * an interval bound to the scales (drag to pan, wheel to zoom, double-click to reset).
 */
export function interactive(chart: Chart): VlSpec {
  const spec = structuredClone(chart.spec) as VlSpec & { layer?: VlSpec[] };
  const layers = spec.layer ?? [];
  for (const l of layers) {
    const mark = l.mark as VlSpec;
    l.mark = { ...mark, tooltip: { content: 'data' } };
  }
  if (chart.zoom && layers.length > 0) {
    layers[0].params = [{ name: 'zoom', select: { type: 'interval', encodings: ['x', 'y'] }, bind: 'scales' }];
    const points = layers.find((l) => (l.mark as VlSpec).type === 'point');
    if (!points && (layers[0].mark as VlSpec).type === 'line') {
      layers.push({ mark: { type: 'point', size: 18, opacity: 0.35, tooltip: { content: 'data' }, clip: true }, encoding: layers[0].encoding });
    }
  }
  return spec;
}

/** A logger for Vega and Vega-Lite that keeps their warnings (library code never prints). */
function collector(warnings: string[]): vega.LoggerInterface {
  const logger: vega.LoggerInterface = {
    level: (() => logger) as vega.LoggerInterface['level'],
    error: (...args: readonly unknown[]) => (warnings.push(args.map(String).join(' ')), logger),
    warn: (...args: readonly unknown[]) => (warnings.push(args.map(String).join(' ')), logger),
    info: () => logger,
    debug: () => logger,
  };
  return logger;
}

/** The spec compiled to a Vega spec, and the warnings Vega-Lite gave (a test holds them empty). */
export function compileSpec(spec: VlSpec): { vega: vega.Spec; warnings: string[] } {
  const warnings: string[] = [];
  // A copy: Vega marks the data objects it ingests, and the spec must stay as the report built it.
  const compiled = vl.compile(structuredClone(spec) as unknown as vl.TopLevelSpec, { logger: collector(warnings) }).spec;
  return { vega: compiled, warnings };
}

/** A headless Vega view of the spec (no browser, no canvas); WARNINGS receives what Vega warns. */
export function headlessView(spec: VlSpec, warnings: string[] = []): vega.View {
  return new vega.View(vega.parse(compileSpec(spec).vega), { renderer: 'none', logger: collector(warnings), logLevel: vega.Warn });
}

/** Text escaped for XML character data. */
function escapeXml(text: string): string {
  return text.replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]!);
}

/**
 * The spec rendered to an SVG document by Vega's headless view. The SVG carries its spec, data included, in
 * `<metadata id="vega-lite-spec">` (JSON, XML-escaped): a script or a test reads back exactly what was drawn.
 */
export async function renderSvg(spec: VlSpec): Promise<string> {
  const view = headlessView(spec);
  try {
    const svg = await view.toSVG();
    const open = svg.indexOf('>') + 1;
    return `${svg.slice(0, open)}<metadata id="vega-lite-spec">${escapeXml(JSON.stringify(spec))}</metadata>${svg.slice(open)}\n`;
  } finally {
    view.finalize();
  }
}

/** Every chart as its SVG file, by file name. */
export async function chartFiles(charts: readonly Chart[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const c of charts) out[c.file] = await renderSvg(c.spec);
  return out;
}

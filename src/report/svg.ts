/**
 * A small, dependency-free SVG chart writer: line charts (CDFs, series, optional log scales) and horizontal
 * bar charts, with a title, axis labels with units, ticks and a legend. Pure: spec in, SVG text out.
 *
 * Every chart also carries its data in a machine-readable form, so a test or a script can read back what was
 * plotted without parsing geometry:
 *   - `<metadata id="chart-data">` holds JSON: `{ chart, title, x, y, series: [{ name, points | values }] }`
 *     (bar charts also list `categories`);
 *   - each series is drawn in a `<g class="series" data-series="NAME">`.
 *
 *   lineChart({ title: 'Response size CDF', x: { label: 'Response size', unit: 'bytes', log: true, format: 'bytes' },
 *               y: { label: 'Fraction of requests', format: 'percent', min: 0, max: 1 },
 *               series: [{ name: 'blob', points: [[512, 0.1], [4096, 0.5], [1 << 20, 1]] }] })
 */
import { type Axis, axisTitle, formatTick, makeScale } from './axis.js';

export { type Axis, type AxisFormat, axisTitle, formatTick, makeScale } from './axis.js';

export interface LineSeries {
  name: string;
  points: readonly (readonly [number, number])[];
}

export interface LineChartSpec {
  title: string;
  x: Axis;
  y: Axis;
  series: readonly LineSeries[];
  width?: number;
  height?: number;
  /** Draw a dot on every point (default: when a series has at most 40 points). */
  markers?: boolean;
}

export interface BarSeries {
  name: string;
  /** One value per category. */
  values: readonly number[];
}

export interface BarChartSpec {
  title: string;
  /** Shown on the left, one group of bars per category. */
  categories: readonly string[];
  categoryLabel?: string;
  /** The value axis (horizontal); its scale starts at 0. */
  value: Axis;
  series: readonly BarSeries[];
  width?: number;
}

const palette = ['#4e79a7', '#f28e2b', '#e15759', '#59a14f', '#b07aa1', '#76b7b2', '#9c755f', '#ff9da7', '#edc948', '#bab0ac'];
const dashes = ['', '6 3', '2 3', '8 3 2 3'];
const font = 'font-family="DejaVu Sans, Helvetica, Arial, sans-serif"';

/** Text escaped for XML character data and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

function num(v: number): string {
  return String(Math.round(v * 100) / 100);
}

function metadata(data: unknown): string {
  return `<metadata id="chart-data">${escapeXml(JSON.stringify(data))}</metadata>`;
}

/** A point marker; the shape changes with the series so that overlapping series stay distinguishable. */
function marker(i: number, x: number, y: number, color: string): string {
  const r = 3.2;
  switch (i % 4) {
    case 0:
      return `<circle cx="${num(x)}" cy="${num(y)}" r="${r}" fill="${color}"/>`;
    case 1:
      return `<rect x="${num(x - r)}" y="${num(y - r)}" width="${2 * r}" height="${2 * r}" fill="none" stroke="${color}" stroke-width="1.5"/>`;
    case 2:
      return `<path d="M${num(x)} ${num(y - r - 1)}L${num(x + r + 1)} ${num(y + r)}L${num(x - r - 1)} ${num(y + r)}Z" fill="${color}"/>`;
    default:
      return `<path d="M${num(x)} ${num(y - r - 1)}L${num(x + r + 1)} ${num(y)}L${num(x)} ${num(y + r + 1)}L${num(x - r - 1)} ${num(y)}Z" fill="none" stroke="${color}" stroke-width="1.5"/>`;
  }
}

function legend(names: readonly string[], x: number, y: number, kind: 'line' | 'box', markers = false): string {
  const items = names.map((name, i) => {
    const ly = y + i * 18;
    const color = palette[i % palette.length];
    const mark =
      kind === 'line'
        ? `<line x1="${x}" y1="${ly}" x2="${x + 22}" y2="${ly}" stroke="${color}" stroke-width="2.5"${dashAttr(i)}/>${markers ? marker(i, x + 11, ly, color) : ''}`
        : `<rect x="${x + 6}" y="${ly - 6}" width="12" height="12" fill="${color}"/>`;
    return `${mark}<text x="${x + 28}" y="${ly + 4}">${escapeXml(name)}</text>`;
  });
  return `<g class="legend" font-size="12">${items.join('')}</g>`;
}

function dashAttr(i: number): string {
  const d = dashes[Math.floor(i / palette.length) % dashes.length];
  return d ? ` stroke-dasharray="${d}"` : '';
}

function legendWidth(names: readonly string[]): number {
  return names.length > 1 ? 40 + Math.max(...names.map((n) => n.length)) * 7 : 0;
}

/** The plot area inside a chart: its left and top edge, width and height. */
interface Frame {
  left: number;
  top: number;
  pw: number;
  ph: number;
}

type Scale = ReturnType<typeof makeScale>;

/** The opening of every chart: the svg element, its title, the data as metadata, the background and the heading. */
function opening(width: number, height: number, title: string, data: unknown): string[] {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${font} font-size="12">`,
    `<title>${escapeXml(title)}</title>`,
    metadata(data),
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${width / 2}" y="24" text-anchor="middle" font-size="16" font-weight="bold">${escapeXml(title)}</text>`,
  ];
}

/** A line chart: one polyline per series, x and y axes with ticks, a legend when there are several series. */
export function lineChart(spec: LineChartSpec): string {
  const width = spec.width ?? 820;
  const height = spec.height ?? 480;
  const names = spec.series.map((s) => s.name);
  const left = 78;
  const top = 46;
  const f: Frame = { left, top, pw: width - left - (36 + legendWidth(names)), ph: height - top - 58 };
  const xs = makeScale(
    spec.series.flatMap((s) => s.points.map((p) => p[0])),
    spec.x,
    Math.max(3, Math.floor(f.pw / 90)),
  );
  const ys = makeScale(
    spec.series.flatMap((s) => s.points.map((p) => p[1])),
    spec.y,
  );
  const out = opening(width, height, spec.title, {
    chart: 'line',
    title: spec.title,
    x: { label: spec.x.label, unit: spec.x.unit ?? null, log: Boolean(spec.x.log) },
    y: { label: spec.y.label, unit: spec.y.unit ?? null, log: Boolean(spec.y.log) },
    series: spec.series.map((s) => ({ name: s.name, points: s.points.map((p) => [p[0], p[1]]) })),
  });
  out.push(...lineAxes(spec, f, xs, ys, height));
  for (const [i, s] of spec.series.entries()) out.push(lineSeries(s, i, spec.markers, f, xs, ys));
  const withMarkers = spec.markers ?? spec.series.every((s) => s.points.length <= 40);
  if (names.length > 1) out.push(legend(names, left + f.pw + 16, top + 8, 'line', withMarkers));
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

/** Grid lines, ticks and their labels on both axes, the frame and the axis titles. */
function lineAxes(spec: LineChartSpec, f: Frame, xs: Scale, ys: Scale, height: number): string[] {
  const { left, top, pw, ph } = f;
  const grid: string[] = [];
  for (const t of xs.ticks) {
    const x = num(left + xs.at(t) * pw);
    grid.push(`<line x1="${x}" y1="${top}" x2="${x}" y2="${top + ph}" stroke="#e3e3e3"/>`);
    grid.push(`<line x1="${x}" y1="${top + ph}" x2="${x}" y2="${top + ph + 5}" stroke="#333"/>`);
    grid.push(`<text x="${x}" y="${top + ph + 19}" text-anchor="middle">${escapeXml(formatTick(t, spec.x.format))}</text>`);
  }
  for (const t of ys.ticks) {
    const y = num(top + ph - ys.at(t) * ph);
    grid.push(`<line x1="${left}" y1="${y}" x2="${left + pw}" y2="${y}" stroke="#e3e3e3"/>`);
    grid.push(`<line x1="${left - 5}" y1="${y}" x2="${left}" y2="${y}" stroke="#333"/>`);
    grid.push(`<text x="${left - 8}" y="${y}" dy="4" text-anchor="end">${escapeXml(formatTick(t, spec.y.format))}</text>`);
  }
  return [
    `<g class="grid">${grid.join('')}</g>`,
    `<rect x="${left}" y="${top}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`,
    `<text class="x-label" x="${left + pw / 2}" y="${height - 14}" text-anchor="middle" font-size="13">${escapeXml(axisTitle(spec.x))}</text>`,
    `<text class="y-label" transform="translate(18 ${top + ph / 2}) rotate(-90)" text-anchor="middle" font-size="13">${escapeXml(axisTitle(spec.y))}</text>`,
  ];
}

/** One series: a point that cannot be drawn (log of <= 0, outside a fixed range) breaks the line. */
function lineSeries(s: LineSeries, i: number, markers: boolean | undefined, f: Frame, xs: Scale, ys: Scale): string {
  const X = (v: number) => f.left + xs.at(v) * f.pw;
  const Y = (v: number) => f.top + f.ph - ys.at(v) * f.ph;
  const color = palette[i % palette.length];
  const segments: string[][] = [[]];
  const dots: string[] = [];
  const showDots = markers ?? s.points.length <= 40;
  for (const [x, y] of s.points) {
    const fx = xs.at(x);
    const fy = ys.at(y);
    if (!(fx >= -1e-9 && fx <= 1 + 1e-9 && fy >= -1e-9 && fy <= 1 + 1e-9)) {
      if (segments[segments.length - 1].length) segments.push([]);
      continue;
    }
    segments[segments.length - 1].push(`${num(X(x))},${num(Y(y))}`);
    if (showDots) dots.push(marker(i, X(x), Y(y), color));
  }
  const lines = segments
    .filter((seg) => seg.length > 0)
    .map((seg) => `<polyline points="${seg.join(' ')}" fill="none" stroke="${color}" stroke-width="2" stroke-linejoin="round"${dashAttr(i)}/>`);
  return `<g class="series" data-series="${escapeXml(s.name)}">${lines.join('')}${dots.join('')}</g>`;
}

/** Bar geometry: the plot frame, the label width in characters, the bar and group heights, the value scale. */
interface BarLayout extends Frame {
  labelChars: number;
  barH: number;
  groupH: number;
  vs: Scale;
}

/** A horizontal bar chart: a group of bars per category (one bar per series), values labelled at the bar end. */
export function barChart(spec: BarChartSpec): string {
  for (const s of spec.series) {
    if (s.values.length !== spec.categories.length) throw new RangeError(`bar series ${s.name} has ${s.values.length} values for ${spec.categories.length} categories`);
  }
  const width = spec.width ?? 820;
  const names = spec.series.map((s) => s.name);
  const labelChars = Math.min(32, Math.max(4, ...spec.categories.map((c) => c.length)));
  const left = 24 + labelChars * 7;
  const top = 46;
  const barH = 14;
  const groupH = Math.max(1, spec.series.length) * barH + 10;
  const ph = Math.max(groupH, spec.categories.length * groupH);
  const height = top + ph + 58;
  const pw = width - left - (70 + legendWidth(names));
  const vs = makeScale([0, ...spec.series.flatMap((s) => s.values)], { ...spec.value, log: false, min: spec.value.min ?? 0 });
  const layout: BarLayout = { left, top, pw, ph, labelChars, barH, groupH, vs };
  const out = opening(width, height, spec.title, {
    chart: 'bar',
    title: spec.title,
    categoryLabel: spec.categoryLabel ?? null,
    value: { label: spec.value.label, unit: spec.value.unit ?? null },
    categories: [...spec.categories],
    series: spec.series.map((s) => ({ name: s.name, values: [...s.values] })),
  });
  out.push(barGrid(spec, layout), barLabels(spec, layout));
  for (const [si, s] of spec.series.entries()) out.push(barSeries(spec, s, si, layout));
  out.push(`<line x1="${left}" y1="${top}" x2="${left}" y2="${top + ph}" stroke="#333"/>`);
  out.push(`<line x1="${left}" y1="${top + ph}" x2="${left + pw}" y2="${top + ph}" stroke="#333"/>`);
  out.push(`<text class="x-label" x="${left + pw / 2}" y="${height - 14}" text-anchor="middle" font-size="13">${escapeXml(axisTitle(spec.value))}</text>`);
  if (spec.categoryLabel) out.push(`<text class="y-label" x="8" y="${top - 10}" font-size="13">${escapeXml(spec.categoryLabel)}</text>`);
  if (names.length > 1) out.push(legend(names, width - legendWidth(names) - 10, top + 8, 'box'));
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

/** The x position of a value, clamped to the plot. */
function barX(l: BarLayout, v: number): number {
  return l.left + Math.max(0, Math.min(1, l.vs.at(v))) * l.pw;
}

function barGrid(spec: BarChartSpec, l: BarLayout): string {
  const grid: string[] = [];
  for (const t of l.vs.ticks) {
    const x = num(barX(l, t));
    grid.push(`<line x1="${x}" y1="${l.top}" x2="${x}" y2="${l.top + l.ph}" stroke="#e3e3e3"/>`);
    grid.push(`<text x="${x}" y="${l.top + l.ph + 19}" text-anchor="middle">${escapeXml(formatTick(t, spec.value.format))}</text>`);
  }
  return `<g class="grid">${grid.join('')}</g>`;
}

/** Category names left of their bars, shortened with an ellipsis (the full name as a tooltip). */
function barLabels(spec: BarChartSpec, l: BarLayout): string {
  const labels: string[] = [];
  for (const [ci, c] of spec.categories.entries()) {
    const shown = c.length > l.labelChars ? `${c.slice(0, l.labelChars - 1)}…` : c;
    const y = l.top + ci * l.groupH + l.groupH / 2;
    labels.push(`<text x="${l.left - 8}" y="${num(y)}" dy="4" text-anchor="end">${escapeXml(shown)}<title>${escapeXml(c)}</title></text>`);
  }
  return `<g class="categories">${labels.join('')}</g>`;
}

function barSeries(spec: BarChartSpec, s: BarSeries, si: number, l: BarLayout): string {
  const color = palette[si % palette.length];
  const bars = s.values.map((v, ci) => {
    const y = l.top + ci * l.groupH + 5 + si * l.barH;
    const w = Math.max(0, barX(l, v) - l.left);
    return (
      `<rect x="${l.left}" y="${num(y)}" width="${num(w)}" height="${l.barH - 2}" fill="${color}"><title>${escapeXml(`${spec.categories[ci]}: ${formatTick(v, spec.value.format)}`)}</title></rect>` +
      `<text x="${num(l.left + w + 4)}" y="${num(y + l.barH / 2)}" dy="3" font-size="11">${escapeXml(formatTick(v, spec.value.format))}</text>`
    );
  });
  return `<g class="series" data-series="${escapeXml(s.name)}">${bars.join('')}</g>`;
}

/** Axes of the SVG charts: their types, tick formats and scales (linear, log, time), with round ticks. */
export type AxisFormat = 'number' | 'bytes' | 'percent' | 'seconds' | 'time' | ((value: number) => string);

export interface Axis {
  label: string;
  /** Shown after the label, e.g. "bytes" gives "Response size (bytes)". */
  unit?: string;
  /** Logarithmic scale; values <= 0 are not drawn (they stay in the metadata). */
  log?: boolean;
  /** Fixed ends of the axis; by default the data range, widened to round ticks. */
  min?: number;
  max?: number;
  /** Tick label format: bytes in binary units, percent of a fraction, seconds, UTC time of epoch ms, or plain. */
  format?: AxisFormat;
}



/** An axis title: the label and, if given, its unit in parentheses. */
export function axisTitle(axis: Axis): string {
  return axis.unit ? `${axis.label} (${axis.unit})` : axis.label;
}

/** A tick label in the axis format. */
export function formatTick(value: number, format: AxisFormat = 'number'): string {
  if (typeof format === 'function') return format(value);
  switch (format) {
    case 'bytes':
      return formatBytesShort(value);
    case 'percent':
      return `${trim(value * 100, 3)}%`;
    case 'seconds':
      return formatSeconds(value);
    case 'time':
      return formatTime(value);
    default:
      return formatCompact(value);
  }
}

function trim(n: number, significant: number): string {
  if (n === 0) return '0';
  return String(Number(n.toPrecision(significant)));
}

function formatBytesShort(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = n;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${trim(v, 3)} ${units[i]}`;
}

function formatSeconds(s: number): string {
  const a = Math.abs(s);
  if (s === 0) return '0';
  if (a < 1) return `${trim(s * 1000, 3)} ms`;
  if (a < 60) return `${trim(s, 3)} s`;
  if (a < 3600) return `${trim(s / 60, 3)} min`;
  if (a < 86400) return `${trim(s / 3600, 3)} h`;
  return `${trim(s / 86400, 3)} d`;
}

function formatTime(ms: number): string {
  const iso = new Date(ms).toISOString();
  return iso.endsWith('T00:00:00.000Z') ? `${iso.slice(5, 10)} 00:00` : iso.slice(11, iso.endsWith(':00.000Z') ? 16 : 19);
}

function formatCompact(n: number): string {
  const abs = Math.abs(n);
  if (abs >= 1e12) return `${trim(n / 1e12, 3)}T`;
  if (abs >= 1e9) return `${trim(n / 1e9, 3)}G`;
  if (abs >= 1e6) return `${trim(n / 1e6, 3)}M`;
  if (abs >= 1e4) return `${trim(n / 1e3, 3)}k`;
  return trim(n, 4);
}

interface Scale {
  min: number;
  max: number;
  log: boolean;
  ticks: number[];
  /** Maps a value to [0, 1] along the axis; NaN when it cannot be drawn. */
  at(v: number): number;
}

const timeSteps = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800].map((s) => s * 1000);

function niceStep(span: number, target: number): number {
  const raw = span / target;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const f = raw / mag;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10) * mag;
}

/** A scale over the values, widened to round ticks unless the axis fixes its ends. */
export function makeScale(values: readonly number[], axis: Axis, target = 6): Scale {
  const fmt = axis.format ?? 'number';
  if (axis.log) {
    const positive = values.filter((v) => v > 0 && Number.isFinite(v));
    const lo = axis.min !== undefined && axis.min > 0 ? axis.min : positive.length ? Math.min(...positive) : 1;
    const hi = axis.max ?? (positive.length ? Math.max(...positive) : 10);
    if (fmt === 'seconds') return timeLogScale(lo, hi, axis);
    const base = fmt === 'bytes' ? 2 : 10;
    const lg = (v: number) => Math.log(v) / Math.log(base);
    let e0 = Math.floor(lg(lo) + 1e-9);
    let e1 = Math.ceil(lg(Math.max(hi, lo)) - 1e-9);
    if (e1 === e0) e1 = e0 + 1;
    const steps = base === 2 ? [1, 2, 5, 10, 20, 30] : [1, 2, 3, 5, 10];
    const step = steps.find((s) => (e1 - e0) / s <= target + 2) ?? steps[steps.length - 1];
    e0 = Math.floor(e0 / step) * step;
    e1 = Math.ceil(e1 / step) * step;
    const min = axis.min !== undefined && axis.min > 0 ? axis.min : base ** e0;
    const max = axis.max ?? base ** e1;
    const ticks: number[] = [];
    for (let e = e0; e <= e1; e += step) {
      const t = base ** e;
      if (t >= min * (1 - 1e-9) && t <= max * (1 + 1e-9)) ticks.push(t);
      if (base === 10 && step === 1 && e1 - e0 <= 2) {
        for (const m of [2, 5]) if (m * t > min && m * t < max) ticks.push(m * t);
      }
    }
    ticks.sort((a, b) => a - b);
    const l0 = Math.log(min);
    const l1 = Math.log(max);
    return { min, max, log: true, ticks, at: (v) => (v > 0 ? (Math.log(v) - l0) / (l1 - l0) : NaN) };
  }
  const finite = values.filter(Number.isFinite);
  let lo = axis.min ?? (finite.length ? Math.min(...finite) : 0);
  let hi = axis.max ?? (finite.length ? Math.max(...finite) : 1);
  if (hi === lo) {
    hi = lo === 0 ? 1 : lo + Math.abs(lo) * 0.5;
    if (axis.min === undefined && lo !== 0) lo -= Math.abs(lo) * 0.5;
  }
  let step: number;
  if (fmt === 'time') step = timeSteps.find((s) => (hi - lo) / s <= target) ?? niceStep(hi - lo, target);
  else step = niceStep(hi - lo, target);
  const min = axis.min ?? Math.floor(lo / step + 1e-9) * step;
  const max = axis.max ?? Math.ceil(hi / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let t = Math.ceil(min / step - 1e-9) * step; t <= max + step * 1e-9; t += step) ticks.push(Math.abs(t) < step * 1e-9 ? 0 : t);
  return { min, max, log: false, ticks, at: (v) => (Number.isFinite(v) ? (v - min) / (max - min) : NaN) };
}

/** Human time steps for a log axis of seconds: 1 ms, 10 ms, 100 ms, 1 s, 10 s, 1 min, 10 min, 1 h, 6 h, 1 d, 1 w, 30 d, 1 y. */
const secondTicks = [0.001, 0.01, 0.1, 1, 10, 60, 600, 3600, 21600, 86400, 604800, 2592000, 31536000];

function timeLogScale(lo: number, hi: number, axis: Axis): Scale {
  const below = secondTicks.filter((t) => t <= lo * (1 + 1e-9));
  const above = secondTicks.filter((t) => t >= hi * (1 - 1e-9));
  const min = axis.min !== undefined && axis.min > 0 ? axis.min : below.length ? below[below.length - 1] : lo;
  let max = axis.max ?? (above.length ? above[0] : hi);
  if (max <= min) max = min * 10;
  const ticks = secondTicks.filter((t) => t >= min * (1 - 1e-9) && t <= max * (1 + 1e-9));
  const l0 = Math.log(min);
  const l1 = Math.log(max);
  return { min, max, log: true, ticks, at: (v) => (v > 0 ? (Math.log(v) - l0) / (l1 - l0) : NaN) };
}

/**
 * Tick values and their labels for the charts, computed here rather than left to the chart library: bytes tick
 * at round binary units (1, 2, 4, ... KiB, MiB, GiB), counts at integers, durations at human steps. Pure.
 *
 *   binaryLogTicks(3000, 5e6)   -> [2048, 4096, 8192, ..., 4194304, 8388608]  (2 KiB ... 8 MiB)
 *   binaryLabel(4194304)        -> "4 MiB"
 *   integerTicks(1, 3)          -> [1, 2, 3]
 */

const binaryUnits = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** A power of two times 1, 2, 4, ... of a binary unit as people read it: 4096 -> "4 KiB", 0 -> "0 B". */
export function binaryLabel(bytes: number): string {
  if (bytes === 0) return '0 B';
  let i = 0;
  let v = bytes;
  while (Math.abs(v) >= 1024 && i < binaryUnits.length - 1) {
    v /= 1024;
    i++;
  }
  return `${Number(v.toPrecision(4))} ${binaryUnits[i]}`;
}

/** Powers of two from the largest at or below LO to the smallest at or above HI, every STRIDE-th, at most about MAX ticks. */
export function binaryLogTicks(lo: number, hi: number, max = 9): number[] {
  const low = Math.max(1, lo);
  const e0 = Math.floor(Math.log2(low) + 1e-9);
  const e1 = Math.max(e0 + 1, Math.ceil(Math.log2(Math.max(hi, low)) - 1e-9));
  const stride = [1, 2, 5, 10].find((s) => (e1 - e0) / s <= max) ?? 20;
  const first = Math.floor(e0 / stride) * stride;
  const ticks: number[] = [];
  for (let e = first; e < e1 + stride; e += stride) ticks.push(2 ** e);
  return ticks;
}

/** Multiples of a power of two (0, 64 MiB, 128 MiB, ...) from 0 to at or above MAX, at most about COUNT ticks. */
export function binaryLinearTicks(max: number, count = 6): number[] {
  if (!(max > 0)) return [0, 1];
  let step = 2 ** Math.ceil(Math.log2(max / count));
  if (step < 1) step = 1;
  const ticks: number[] = [];
  for (let t = 0; t < max + step; t += step) ticks.push(t);
  return ticks;
}

/** A round step of 1, 2 or 5 times a power of ten, at least 1, for SPAN split into about COUNT parts. */
function integerStep(span: number, count: number): number {
  const raw = Math.max(1, span / count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const f = raw / mag;
  return Math.max(1, (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag);
}

/** Integer ticks from LO to HI (both ends rounded outward to the step): never 1.5 of a count. */
export function integerTicks(lo: number, hi: number, count = 8): number[] {
  const step = integerStep(hi - lo, count);
  const ticks: number[] = [];
  for (let t = Math.floor(lo / step) * step; t < hi + step; t += step) ticks.push(t);
  return ticks;
}

/** Integer ticks for a log axis of counts from LO (at least 1) to HI: every integer up to 10, then 1, 2, 5 times powers of ten. */
export function logCountTicks(lo: number, hi: number): number[] {
  const low = Math.max(1, Math.floor(lo));
  const ticks: number[] = [];
  if (hi <= 10) {
    for (let t = low; t <= Math.max(hi, low + 1); t++) ticks.push(t);
    return ticks;
  }
  const decades = Math.log10(hi / low);
  const mults = decades <= 3 ? [1, 2, 5] : [1];
  for (let p = 10 ** Math.floor(Math.log10(low)); p <= hi * 10; p *= 10) {
    for (const m of mults) if (m * p >= low && m * p < hi * (decades <= 3 ? 5 : 10)) ticks.push(m * p);
  }
  const upper = ticks.findIndex((t) => t >= hi);
  return upper >= 0 ? ticks.slice(0, upper + 1) : ticks;
}

/** Human steps of time in seconds for a log axis: 1 ms ... 1 y. */
const secondSteps: [number, string][] = [
  [0.001, '1 ms'], [0.01, '10 ms'], [0.1, '100 ms'], [1, '1 s'], [10, '10 s'], [60, '1 min'], [600, '10 min'],
  [3600, '1 h'], [21600, '6 h'], [86400, '1 d'], [604800, '1 w'], [2592000, '30 d'], [31536000, '1 y'],
];

/** Time ticks in seconds around LO..HI: the step at or below LO to the step at or above HI. */
export function secondTicks(lo: number, hi: number): number[] {
  const steps = secondSteps.map((s) => s[0]);
  const low = Math.max(0.001, lo);
  const from = Math.max(0, steps.filter((s) => s <= low * (1 + 1e-9)).length - 1);
  let to = steps.findIndex((s) => s >= hi * (1 - 1e-9));
  if (to < 0) to = steps.length - 1;
  return steps.slice(from, Math.max(to, from + 1) + 1);
}

/** The label of a time step in seconds ("10 min"), or the seconds as given. */
export function secondLabel(s: number): string {
  return secondSteps.find((x) => x[0] === s)?.[1] ?? `${s} s`;
}

/** A Vega expression that labels each tick value with its text: the labels are computed here, not by the library. */
export function labelExpr(ticks: readonly number[], label: (v: number) => string): string {
  const cases = ticks.map((t) => `datum.value === ${t} ? ${JSON.stringify(label(t))} : `).join('');
  return `${cases}''`;
}

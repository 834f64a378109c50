import { ImgscanError } from '../errors.js';

/**
 * Parsing of the sizes and durations users type: "512MiB", "1.5GB", "4096" (bytes); "90s", "10m", "1h",
 * "2d", "600" (seconds). Binary (KiB, MiB, GiB, TiB) and decimal (kB, MB, GB, TB) units are both accepted.
 */
const sizeUnits: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1e3,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1e6,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1e9,
  gib: 1024 ** 3,
  t: 1024 ** 4,
  tb: 1e12,
  tib: 1024 ** 4,
};

const timeUnits: Record<string, number> = { '': 1, ms: 0.001, s: 1, m: 60, min: 60, h: 3600, d: 86400 };

export function parseSize(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*([a-z]*)\s*$/i.exec(text);
  const unit = m ? sizeUnits[m[2].toLowerCase()] : undefined;
  if (!m || unit === undefined) throw new ImgscanError('USAGE', `${JSON.stringify(text)} is not a size (e.g. 4096, 512KiB, 64MiB, 1.5GB)`);
  return Math.round(Number(m[1]) * unit);
}

export function parseDuration(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*([a-z]*)\s*$/i.exec(text);
  const unit = m ? timeUnits[m[2].toLowerCase()] : undefined;
  if (!m || unit === undefined) throw new ImgscanError('USAGE', `${JSON.stringify(text)} is not a duration (e.g. 30s, 10m, 1h, 600)`);
  return Number(m[1]) * unit;
}

/** A comma-separated list, each item parsed. */
export function parseList<T>(text: string, parse: (item: string) => T): T[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(parse);
}

/** A number >= 0, e.g. a latency in ms. `name` is the flag, for the error. */
export function parseNonNegative(text: string, name: string): number {
  const n = Number(text.trim());
  if (text.trim() === '' || !Number.isFinite(n) || n < 0) throw new ImgscanError('USAGE', `--${name} must be a number >= 0, got ${JSON.stringify(text)}`);
  return n;
}

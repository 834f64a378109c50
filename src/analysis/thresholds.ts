import { ImgscanError } from '../errors.js';
import { parseSize } from '../format/parse.js';
import type { Thresholds } from './image-check.js';

/** A fraction typed as 0.9 or 90%. */
export function parseFraction(text: string, name: string): number {
  const m = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*(%?)\s*$/.exec(text);
  const value = m ? Number(m[2] ? `${m[1]}e-2` : m[1]) : NaN;
  if (!(value >= 0 && value <= 1)) throw new ImgscanError('USAGE', `--${name} ${JSON.stringify(text)} is not a fraction between 0 and 1 (e.g. 0.9 or 90%)`);
  return value;
}

/** Thresholds from the command's flag values (sizes like 20MB, fractions like 0.1 or 10%). */
export function parseThresholds(flags: Partial<Record<'min-efficiency' | 'max-path-waste' | 'max-path-waste-fraction' | 'max-content-waste' | 'max-content-waste-fraction', string>>): Thresholds {
  const t: Thresholds = {};
  if (flags['min-efficiency'] !== undefined) t.min_image_efficiency = parseFraction(flags['min-efficiency'], 'min-efficiency');
  if (flags['max-path-waste'] !== undefined) t.max_path_waste = parseSize(flags['max-path-waste']);
  if (flags['max-path-waste-fraction'] !== undefined) t.max_path_waste_fraction = parseFraction(flags['max-path-waste-fraction'], 'max-path-waste-fraction');
  if (flags['max-content-waste'] !== undefined) t.max_content_waste = parseSize(flags['max-content-waste']);
  if (flags['max-content-waste-fraction'] !== undefined) t.max_content_waste_fraction = parseFraction(flags['max-content-waste-fraction'], 'max-content-waste-fraction');
  return t;
}


import { ImgscanError } from '../errors.js';
import { checkSampleRate, DEFAULT_SAMPLE_RATE } from '../layers/sample.js';

export { DEFAULT_SAMPLE_RATE };

/** The rate `--sample-rate` gives, checked once here: a bad value is a usage error before any layer is read. */
export function sampleRateFrom(flags: { 'sample-rate'?: string }): number {
  const text = flags['sample-rate'] ?? '0';
  const rate = /^\s*(\d+(\.\d*)?|\.\d+)(e-?\d+)?\s*$/i.test(text) ? Number(text) : NaN;
  if (Number.isNaN(rate)) throw new ImgscanError('USAGE', `--sample-rate must be a number between 0 and 1, got ${JSON.stringify(text)}`);
  checkSampleRate(rate);
  return rate;
}

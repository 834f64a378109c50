import { isMap, parseDocument } from 'yaml';
import { ImgscanError } from '../errors.js';
import { parseSize } from '../format/parse.js';
import type { Thresholds } from './image-check.js';

/** The default name of the CI gate's config file, read from the current directory (`imgscan check`). */
export const defaultGateConfig = '.imgscan-ci.yml';

/**
 * The rules a config file may set, named after the metrics they bound (docs/metrics.md): a waste limit in bytes
 * (20MB, 1.5GiB, 4096) or in percent of the image's files_size (5%), which is then its `_fraction` threshold.
 */
export const gateRules = {
  min_image_efficiency: 'image_efficiency at least this: a fraction (0.95) or a percentage (95%)',
  max_path_waste: 'path_waste at most this: bytes (20MB, 1.5GiB, 4096) or a percentage of files_size (5%)',
  max_content_waste: 'content_waste at most this: bytes (20MB, 1.5GiB, 4096) or a percentage of files_size (5%)',
  max_layers: 'at most this many layers in the manifest: a whole number',
} as const;

export type GateRule = keyof typeof gateRules;

function usage(file: string, message: string): ImgscanError {
  return new ImgscanError('USAGE', `${file}: ${message}`);
}

/** A percentage as a fraction ("5%" is 0.05), or undefined when the value is not one. */
function percent(value: unknown): number | undefined {
  const m = typeof value === 'string' ? /^\s*(\d+(?:\.\d+)?|\.\d+)\s*%\s*$/.exec(value) : null;
  return m ? Number(`${m[1]}e-2`) : undefined;
}

function efficiency(value: unknown): number | undefined {
  const f = typeof value === 'number' ? value : percent(value);
  return f !== undefined && f >= 0 && f <= 1 ? f : undefined;
}

function bytes(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  try {
    return parseSize(value);
  } catch {
    return undefined;
  }
}

/** Sets one rule's threshold, or explains what the value should have been. */
function setRule(t: Thresholds, rule: GateRule, value: unknown, file: string): void {
  const bad = () => usage(file, `rules.${rule}: ${JSON.stringify(value)} is not valid; expected ${gateRules[rule]}`);
  if (rule === 'min_image_efficiency') {
    t.min_image_efficiency = efficiency(value) ?? (() => { throw bad(); })();
  } else if (rule === 'max_layers') {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw bad();
    t.max_layers = value;
  } else {
    const fraction = percent(value);
    if (fraction !== undefined) {
      if (fraction > 1) throw bad();
      t[`${rule}_fraction`] = fraction;
    } else {
      t[rule] = bytes(value) ?? (() => { throw bad(); })();
    }
  }
}

/**
 * The thresholds of a CI gate config (YAML, `.imgscan-ci.yml`): a `rules` mapping of the rules in `gateRules`.
 * Any other key, or a value of the wrong form, is a USAGE error naming the file and the key.
 */
export function parseGateConfig(text: string, file: string): Thresholds {
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length > 0) throw usage(file, `not valid YAML: ${doc.errors[0].message.split('\n')[0]}`);
  const top: unknown = doc.toJS();
  if (top === null || top === undefined) throw usage(file, 'is empty: give a rules mapping, e.g. "rules: { min_image_efficiency: 95% }"');
  if (!isMap(doc.contents) || typeof top !== 'object' || Array.isArray(top)) throw usage(file, 'must be a mapping with one key, rules');
  const unknownTop = Object.keys(top).filter((k) => k !== 'rules');
  if (unknownTop.length > 0) throw usage(file, `unknown key "${unknownTop[0]}" (the file holds one key, rules)`);
  const rules = (top as { rules?: unknown }).rules;
  if (rules === null || typeof rules !== 'object' || Array.isArray(rules)) throw usage(file, `rules must be a mapping of rules: ${Object.keys(gateRules).join(', ')}`);
  if (Object.keys(rules).length === 0) throw usage(file, `rules is empty: a gate needs at least one of ${Object.keys(gateRules).join(', ')}`);
  const t: Thresholds = {};
  for (const [key, value] of Object.entries(rules)) {
    if (!(key in gateRules)) throw usage(file, `unknown rule "rules.${key}" (known rules: ${Object.keys(gateRules).join(', ')})`);
    setRule(t, key as GateRule, value, file);
  }
  return t;
}

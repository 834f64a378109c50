import type { GateCheck, ImageCheck } from '../analysis/image-check.js';
import { formatBytesExact, shortDigest } from '../format/text.js';

/** A threshold or a measured value as the rule reads it: a percentage, bytes, or a count. */
function shown(rule: GateCheck['rule'], n: number): string {
  // Six significant digits: a value just below its limit never prints as equal to it.
  if (rule === 'min_image_efficiency' || rule.endsWith('_fraction')) return `${Number((n * 100).toPrecision(6))}%`;
  if (rule === 'max_layers') return String(n);
  return formatBytesExact(n);
}

/** The rule as the config file names it: a `_fraction` threshold is its waste rule given in percent. */
export function configRule(rule: GateCheck['rule']): string {
  return rule.replace(/_fraction$/, '');
}

/** One line of the gate: `PASS max_layers: 3 <= 30`, with the image (ref and platform) when the ref names several. */
export function gateLine(k: GateCheck, image: string | undefined): string {
  const op = k.rule === 'min_image_efficiency' ? '>=' : '<=';
  const of = k.rule.endsWith('_fraction') ? ' of files_size' : '';
  return `${k.passed ? 'PASS' : 'FAIL'} ${configRule(k.rule)}: ${shown(k.rule, k.value)}${of} ${op} ${shown(k.rule, k.limit)}${image ? `  (${image})` : ''}`;
}

/** `imgscan check`: one line per rule (per image when the ref names several platforms), then the verdict. */
export function formatGate(c: ImageCheck): string {
  const out: string[] = [];
  const several = c.images.length > 1;
  for (const i of c.images) {
    const platform = [i.os, i.architecture].filter(Boolean).join('/');
    const label = several ? `${i.ref ?? shortDigest(i.manifest_digest)}${platform ? ` ${platform}` : ''}` : undefined;
    for (const k of i.checks) out.push(gateLine(k, label));
  }
  const checks = c.images.flatMap((i) => i.checks);
  const failed = checks.filter((k) => !k.passed).length;
  const rules = `${checks.length} rule${checks.length === 1 ? '' : 's'}`;
  out.push(failed === 0 ? `result: PASS (${rules})` : `result: FAIL (${failed} of ${rules} failed)`);
  return out.join('\n');
}

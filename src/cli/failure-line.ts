import type { Failure } from '../model/failure.js';

/**
 * The stderr line of one failure as its row is saved: `failed: SCOPE TARGET: MESSAGE [CODE]`, a layer naming the
 * image it failed in, e.g. `failed: layer sha256:ab.. of localhost:5000/app:1.0: blob unknown [NOT_FOUND]`.
 */
export function failureLine(f: Failure): string {
  const where = f.scope === 'layer' && f.image ? ` of ${f.image}` : '';
  return `failed: ${f.scope} ${f.target}${where}: ${f.error.message} [${f.error.code}]`;
}

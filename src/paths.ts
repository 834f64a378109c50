import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root, whether running from src/ (tests) or dist/src/ (built). */
export const packageRoot: string = (() => {
  const here = dirname(fileURLToPath(import.meta.url));
  return here.includes(`${join('dist', 'src')}`) ? join(here, '..', '..') : join(here, '..');
})();

/** A compiled module's path under dist/, for worker threads (they cannot load .ts files). */
export function distModule(relativeToSrc: string): string {
  return join(packageRoot, 'dist', 'src', relativeToSrc);
}

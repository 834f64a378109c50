import type { Failure } from '../model/failure.js';

/**
 * The `failed:` lines of a crawl, held back until its first image: a crawl whose targets all fail ends with the
 * first failure as its one `Error:` line instead of printing it twice. Past `limit` held failures they are
 * printed as they come.
 */
export function heldFailures(print: (f: Failure) => void, limit = 20) {
  const held: Failure[] = [];
  const printed = new Set<unknown>();
  let flowing = false;
  const show = (f: Failure) => {
    printed.add(f.error);
    print(f);
  };
  const flush = () => {
    flowing = true;
    for (const f of held.splice(0)) show(f);
  };
  return {
    add(f: Failure): void {
      if (!flowing && held.length < limit) held.push(f);
      else {
        flush();
        show(f);
      }
    },
    /** Prints what is held; from then on failures are printed as they come. */
    flush,
    /** Prints the held failures but `err`, the error that ends the crawl; true when `err` was printed already. */
    settle(err: unknown): boolean {
      for (const f of held.splice(0)) if (f.error !== err) show(f);
      return printed.has(err);
    },
  };
}

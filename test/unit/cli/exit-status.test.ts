import { describe, expect, it } from 'vitest';
import { ImgscanError } from '../../../src/errors.js';
import { exitCodeFor } from '../../../src/cli/exit-status.js';

/** The exit statuses README and the command help promise: 2 for what the user typed wrong, 1 for the rest. */
describe('exitCodeFor', () => {
  it('ends a usage error and an invalid reference with 2', () => {
    expect(exitCodeFor(new ImgscanError('USAGE', 'bad flag'))).toBe(2);
    expect(exitCodeFor(new ImgscanError('REF_INVALID', 'bad ref'))).toBe(2);
  });

  it('ends any other typed error with 1', () => {
    expect(exitCodeFor(new ImgscanError('NOT_FOUND', 'manifest unknown'))).toBe(1);
    expect(exitCodeFor(new ImgscanError('STORE', 'disk full'))).toBe(1);
  });

  it('ends an untyped error with 1', () => {
    expect(exitCodeFor(new TypeError('x is undefined'))).toBe(1);
  });
});

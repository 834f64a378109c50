import type { Command } from '@oclif/core';
import { ImgscanError } from '../src/errors.js';
import { describeError, exitCodeFor } from '../src/cli/errors.js';

/**
 * Ends a command on an error: one unwrapped line on stderr (digests and paths stay greppable), or a JSON error
 * object on stdout with --json, then the exit status of the error.
 */
export function fail(command: Command, err: unknown): never {
  const message = describeError(err);
  if (command.jsonEnabled()) {
    const e = err instanceof ImgscanError ? { code: err.code, message: err.message, context: err.context } : { code: 'INTERNAL', message };
    process.stdout.write(JSON.stringify({ error: e }, null, 2) + '\n');
  } else {
    process.stderr.write(`Error: ${message}\n`);
  }
  return command.exit(exitCodeFor(err));
}

import type { Command } from '@oclif/core';
import { ImgscanError } from '../src/errors.js';
import { describeError } from '../src/cli/errors.js';
import { exitCodeFor } from '../src/cli/exit-status.js';
import { redact } from '../src/registry/redact.js';

/** An error as the user sees it, with credentials masked (a password may sit in a ref's userinfo, or in argv). */
function reported(err: unknown): { line: string; json: { code: string; message: string; context: Record<string, unknown> } } {
  const line = redact(describeError(err));
  if (err instanceof ImgscanError) {
    const context = Object.fromEntries(Object.entries(err.context).map(([k, v]) => [k, typeof v === 'string' ? redact(v) : v]));
    return { line, json: { code: err.code, message: redact(err.message), context } };
  }
  return { line, json: { code: 'INTERNAL', message: line, context: {} } };
}

/** Writes the error: one unwrapped line on stderr, or with --json a JSON error object on stdout. */
export function report(command: Command, err: unknown, json = command.jsonEnabled()): void {
  const { line, json: object } = reported(err);
  if (json) process.stdout.write(JSON.stringify({ error: object }, null, 2) + '\n');
  else process.stderr.write(`Error: ${line}\n`);
}

/**
 * Ends a command on an error: one unwrapped line on stderr (digests and paths stay greppable), or a JSON error
 * object on stdout with --json, then the exit status of the error.
 */
export function fail(command: Command, err: unknown): never {
  report(command, err);
  return command.exit(exitCodeFor(err));
}

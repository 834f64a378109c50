import { Command } from '@oclif/core';
import { ImgscanError } from '../src/errors.js';
import { ExitStatus, exitCodeFor } from '../src/cli/exit-status.js';
import { report } from './_fail.js';

/**
 * The base of imgscan's commands: errors end through `fail` (commands/_fail.ts), which has already reported
 * them. What reaches `catch` otherwise (a flag or argument oclif refuses, an unexpected exception) is reported
 * the same way: a USAGE error (exit 2) for oclif's parse errors, INTERNAL (exit 1) for the rest, credentials
 * masked, one JSON error object with --json (never oclif's dump of its config and argv).
 */
export abstract class ImgscanCommand extends Command {
  protected override async catch(err: Error & { code?: string; oclif?: { exit?: number } }): Promise<unknown> {
    if (err.code === 'EEXIT' && err.oclif?.exit !== undefined) {
      // `fail` has written the error (and the exit status is all that is left), or the command asked to exit.
      process.exitCode = err.oclif.exit;
      return undefined;
    }
    const usage = err.oclif?.exit === ExitStatus.usage;
    const typed = err instanceof ImgscanError ? err : new ImgscanError(usage ? 'USAGE' : 'INTERNAL', err.message);
    report(this, typed, this.argv.includes('--json'));
    process.exitCode = exitCodeFor(typed);
    return undefined;
  }
}

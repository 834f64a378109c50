import { Command } from '@oclif/core';

/** The base of imgscan's commands: errors end through `fail` (commands/_fail.ts), which has already reported them. */
export abstract class ImgscanCommand extends Command {
  /** With --json, `fail` has written the error object: only its exit status is left to set (no second object). */
  protected override async catch(err: Error & { code?: string; oclif?: { exit?: number } }): Promise<unknown> {
    if (this.jsonEnabled() && err.code === 'EEXIT' && err.oclif?.exit !== undefined) {
      process.exitCode = err.oclif.exit;
      return undefined;
    }
    return super.catch(err);
  }
}

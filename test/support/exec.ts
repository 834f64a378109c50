/**
 * Runs system tools for the test harness: a promise around `spawn` that keeps stdout as bytes, can read stdin
 * from a file or a buffer and write stdout straight to a file, and fails with the command line, exit status and
 * the tail of stderr in the message.
 */
import { spawn } from 'node:child_process';
import { open } from 'node:fs/promises';

export interface RunOptions {
  cwd?: string;
  /** Added to the environment of this process. */
  env?: Record<string, string>;
  /** Bytes written to the command's stdin. */
  input?: string | Buffer;
  /** A file opened as the command's stdin (instead of `input`). */
  stdinFile?: string;
  /** A file (created or truncated) that receives stdout; `stdout` of the result is then empty. */
  stdoutFile?: string;
  /** Exit statuses that count as success (default [0]). */
  okCodes?: number[];
  timeoutMs?: number;
}

export interface RunResult {
  stdout: Buffer;
  stderr: string;
  code: number;
}

const STDERR_TAIL = 4000;

export class CommandError extends Error {
  override readonly name = 'CommandError';

  constructor(
    readonly command: string,
    readonly code: number | null,
    readonly signal: string | null,
    readonly stderr: string,
    cause?: unknown,
  ) {
    const status = signal ? `killed by ${signal}` : code === null ? 'failed to start' : `exited with ${code}`;
    const tail = stderr.length > STDERR_TAIL ? `...${stderr.slice(-STDERR_TAIL)}` : stderr;
    super(`${command}: ${status}${tail.trim() ? `\n${tail.trimEnd()}` : ''}`, { cause });
  }
}

/** Quotes an argument for the error message only (nothing is run through a shell). */
function shown(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function commandLine(cmd: string, args: readonly string[]): string {
  return [cmd, ...args].map(shown).join(' ');
}

/** Runs `cmd args` and resolves with its output, or rejects with a CommandError. */
export async function run(cmd: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const line = commandLine(cmd, args);
  const stdin = options.stdinFile ? await open(options.stdinFile, 'r') : undefined;
  const stdout = options.stdoutFile ? await open(options.stdoutFile, 'w') : undefined;
  try {
    return await new Promise<RunResult>((resolve, reject) => {
      const child = spawn(cmd, args, {
        cwd: options.cwd,
        env: options.env ? { ...process.env, ...options.env } : process.env,
        stdio: [stdin ? stdin.fd : options.input !== undefined ? 'pipe' : 'ignore', stdout ? stdout.fd : 'pipe', 'pipe'],
        timeout: options.timeoutMs,
      });
      const out: Buffer[] = [];
      let err = '';
      child.stdout?.on('data', (d: Buffer) => out.push(d));
      child.stderr!.on('data', (d: Buffer) => {
        err += d.toString('utf8');
        if (err.length > 4 * STDERR_TAIL) err = err.slice(-2 * STDERR_TAIL);
      });
      child.once('error', (e) => reject(new CommandError(line, null, null, err || String(e), e)));
      child.once('close', (code, signal) => {
        const ok = code !== null && (options.okCodes ?? [0]).includes(code);
        if (ok) resolve({ stdout: Buffer.concat(out), stderr: err, code });
        else reject(new CommandError(line, code, signal, err));
      });
      if (child.stdin) {
        child.stdin.on('error', () => undefined); // the command may exit without reading all of it
        child.stdin.end(options.input);
      }
    });
  } finally {
    await stdin?.close();
    await stdout?.close();
  }
}

/** Runs a command and returns its stdout as UTF-8 text. */
export async function runText(cmd: string, args: readonly string[], options: RunOptions = {}): Promise<string> {
  return (await run(cmd, args, options)).stdout.toString('utf8');
}

/** True when `cmd` can be started (looked up on PATH). */
export async function haveCommand(cmd: string): Promise<boolean> {
  try {
    await run('sh', ['-c', 'command -v "$1"', 'sh', cmd]);
    return true;
  } catch {
    return false;
  }
}

import { ImgscanError, type ErrorContext } from '../errors.js';

/** The least a blob body must deliver: `minBytes` in each `windowMs` spent waiting for it. */
export interface ProgressRule {
  minBytes: number;
  windowMs: number;
}

/** A body read too slowly under the progress rule: the read is given up and resumed. */
export class SlowBody extends Error {
  override readonly name = 'SlowBody';
  constructor(
    readonly bytes: number,
    readonly rule: ProgressRule,
  ) {
    super(`${bytes} bytes in ${rule.windowMs / 1000} s, below the minimum of ${rule.minBytes} bytes in ${rule.windowMs / 1000} s`);
  }
}

export interface WatchOptions {
  /** Waiting this long without a byte is a stalled connection (a DOMException named TimeoutError, as AbortSignal.timeout throws). */
  idleMs: number;
  rule?: ProgressRule;
  /** Epoch ms after which the read fails with TIMEOUT (the blob's overall time limit). */
  deadline?: number;
  /** What the deadline is, for its message ("--timeout 600 s"). */
  deadlineLabel?: string;
  context: ErrorContext;
}

/**
 * Reads a response body under three limits: no byte for `idleMs` (stalled), fewer than `rule.minBytes` in a
 * window of `rule.windowMs` (too slow), and an absolute deadline. Only time spent waiting for the network counts
 * toward the first two, so a consumer that reads slowly (backpressure) does not trip them. A read that times out
 * stays pending and is used by the next call: no chunk is lost.
 */
export class WatchedBody {
  private pending: Promise<ReadableStreamReadResult<Uint8Array>> | undefined;
  private idle = 0;
  private window = 0;
  private windowBytes = 0;

  constructor(
    private readonly reader: ReadableStreamDefaultReader<Uint8Array>,
    private readonly o: WatchOptions,
  ) {}

  /** The next chunk or the end. With `graceMs`, a body that sends nothing for that long counts as ended. */
  async read(graceMs?: number): Promise<ReadableStreamReadResult<Uint8Array>> {
    for (;;) {
      this.checkWindow();
      this.pending ??= this.reader.read();
      const limits: [string, number][] = [['idle', this.o.idleMs - this.idle]];
      if (this.o.rule) limits.push(['window', this.o.rule.windowMs - this.window]);
      if (this.o.deadline !== undefined) limits.push(['deadline', this.o.deadline - Date.now()]);
      if (graceMs !== undefined) limits.push(['grace', graceMs]);
      const [which, ms] = limits.reduce((a, b) => (b[1] < a[1] ? b : a));
      const started = Date.now();
      const result = await within(this.pending, Math.max(0, ms));
      const waited = Date.now() - started;
      this.idle += waited;
      this.window += waited;
      if (result) {
        this.pending = undefined;
        if (!result.done) {
          this.idle = 0;
          this.windowBytes += result.value.byteLength;
        }
        return result;
      }
      if (which === 'grace') return { done: true, value: undefined };
      if (which === 'deadline') throw new ImgscanError('TIMEOUT', `blob not read within ${this.o.deadlineLabel ?? 'its time limit'}`, this.o.context);
      if (which === 'idle') throw new DOMException(`no data for ${this.o.idleMs} ms`, 'TimeoutError');
      this.window = Math.max(this.window, this.o.rule!.windowMs);
    }
  }

  /** Gives up the body (the connection is closed). */
  async cancel(): Promise<void> {
    await this.reader.cancel().catch(() => undefined);
  }

  /** Throws SlowBody when a full window has passed with too few bytes; else starts a new window once one is full. */
  private checkWindow(): void {
    const rule = this.o.rule;
    if (!rule || this.window < rule.windowMs) return;
    if (this.windowBytes < rule.minBytes) throw new SlowBody(this.windowBytes, rule);
    this.window = 0;
    this.windowBytes = 0;
  }
}

/** The promise's value, or undefined when `ms` pass first (the promise is left running). */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

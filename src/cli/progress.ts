import { formatBytes, formatDuration } from '../format/text.js';

/**
 * A progress display on stderr: one line redrawn in place with counters, bytes, rate and ETA.
 * Silent when disabled (--json) or when stderr is not a terminal, except for an optional final line.
 */
export interface ProgressCounters {
  /** Label and value pairs shown as "label done/total". */
  [label: string]: { done: number; total?: number } | undefined;
}

export interface ProgressOptions {
  enabled: boolean;
  /** Redraw interval in ms. */
  intervalMs?: number;
  stream?: NodeJS.WriteStream;
  /** The counter that measures the work (bar, rate and ETA), when bytes do not (e.g. simulated requests). */
  measure?: string;
}

export class Progress {
  private readonly counters = new Map<string, { done: number; total?: number; note?: string }>();
  private bytesDone = 0;
  private bytesTotal: number | undefined;
  private readonly started = Date.now();
  private timer: NodeJS.Timeout | undefined;
  private readonly stream: NodeJS.WriteStream;
  private readonly tty: boolean;
  private lastLine = '';
  /** True while the display stands on the terminal's last line, without a newline after it. */
  private drawn = false;

  constructor(private readonly options: ProgressOptions) {
    this.stream = options.stream ?? process.stderr;
    this.tty = Boolean(this.stream.isTTY);
    if (options.enabled) {
      this.timer = setInterval(() => this.render(), options.intervalMs ?? (this.tty ? 200 : 5000));
      this.timer.unref();
    }
  }

  set(label: string, done: number, total?: number): void {
    this.counters.set(label, { done, total });
  }

  add(label: string, delta = 1): void {
    const c = this.counters.get(label) ?? { done: 0 };
    c.done += delta;
    this.counters.set(label, c);
  }

  /** Adds to the expected total of a counter. */
  addTotal(label: string, delta = 1): void {
    const c = this.counters.get(label) ?? { done: 0 };
    c.total = (c.total ?? 0) + delta;
    this.counters.set(label, c);
  }

  total(label: string, total: number): void {
    const c = this.counters.get(label) ?? { done: 0 };
    c.total = total;
    this.counters.set(label, c);
  }

  /** A few words shown in parentheses after a counter, e.g. "layers 2/3 (5 already in the dataset)". */
  note(label: string, note: string | undefined): void {
    const c = this.counters.get(label) ?? { done: 0 };
    c.note = note;
    this.counters.set(label, c);
  }

  addBytes(n: number): void {
    this.bytesDone += n;
  }

  totalBytes(n: number | undefined): void {
    this.bytesTotal = n;
  }

  line(): string {
    const parts: string[] = [];
    for (const [label, c] of this.counters) parts.push(`${label} ${c.done}${c.total !== undefined ? `/${c.total}` : ''}${c.note ? ` (${c.note})` : ''}`);
    const secs = Math.max((Date.now() - this.started) / 1000, 0.001);
    const measured = this.options.measure === undefined ? undefined : this.counters.get(this.options.measure);
    if (measured) {
      const perSecond = measured.done / secs;
      if (measured.total) parts.push(bar(measured.done / measured.total));
      parts.push(`${Math.round(perSecond)} ${this.options.measure}/s`);
      if (measured.total && perSecond > 0 && measured.done < measured.total) parts.push(`ETA ${formatDuration((measured.total - measured.done) / perSecond)}`);
      parts.push(formatDuration(secs));
      return parts.join('  ');
    }
    const rate = this.bytesDone / secs;
    let bytes = formatBytes(this.bytesDone);
    if (this.bytesTotal) bytes += `/${formatBytes(this.bytesTotal)} ${bar(this.bytesDone / this.bytesTotal)}`;
    parts.push(bytes, `${formatBytes(rate)}/s`);
    if (this.bytesTotal && rate > 0 && this.bytesDone < this.bytesTotal) parts.push(`ETA ${formatDuration((this.bytesTotal - this.bytesDone) / rate)}`);
    parts.push(formatDuration(secs));
    return parts.join('  ');
  }

  render(): void {
    if (!this.options.enabled) return;
    const line = this.line();
    if (this.tty) {
      this.stream.write(`\r\x1b[2K${line}`);
      this.drawn = true;
    } else if (line !== this.lastLine) this.stream.write(`${line}\n`);
    this.lastLine = line;
  }

  /**
   * Writes a message on a line of its own (also when the display is disabled). On a terminal the display is
   * cleared first and drawn again below the message, so messages scroll up above it.
   */
  print(message: string): void {
    if (this.drawn) this.stream.write(`\r\x1b[2K${message}\n${this.lastLine}`);
    else this.stream.write(`${message}\n`);
  }

  /** Stops redrawing and leaves the final state on its own line (`final` false: no last line is drawn). */
  stop(final = true): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (!this.options.enabled) return;
    if (!final) {
      if (this.drawn) this.stream.write('\r\x1b[2K');
      this.drawn = false;
      return;
    }
    this.render();
    if (this.tty) this.stream.write('\n');
    this.drawn = false;
  }
}

function bar(fraction: number, width = 20): string {
  const f = Math.min(Math.max(fraction, 0), 1);
  const filled = Math.round(f * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(f * 100).toFixed(0)}%`;
}

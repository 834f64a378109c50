/**
 * A headless Chromium started by a test, driven over the Chrome DevTools Protocol (undici's WebSocket): open a
 * page, collect its console errors and exceptions, evaluate script, click at a point, take a screenshot.
 *
 *   const b = await Browser.launch();
 *   const page = await b.open('file:///tmp/report.html');
 *   await page.evaluate('document.title');
 *   page.errors            // console errors, exceptions and error log entries seen so far
 *   await b.close();
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { WebSocket } from 'undici';

type Message = { id?: number; method?: string; params?: Record<string, unknown>; result?: Record<string, unknown>; error?: { message: string }; sessionId?: string };

class Cdp {
  private next = 1;
  private readonly pending = new Map<number, { resolve: (r: Record<string, unknown>) => void; reject: (e: Error) => void }>();
  readonly listeners: ((m: Message) => void)[] = [];

  constructor(private readonly ws: WebSocket) {
    ws.addEventListener('message', (e) => {
      const m = JSON.parse(String(e.data)) as Message;
      if (m.id !== undefined) {
        const p = this.pending.get(m.id);
        this.pending.delete(m.id);
        if (m.error) p?.reject(new Error(m.error.message));
        else p?.resolve(m.result ?? {});
      } else for (const l of this.listeners) l(m);
    });
  }

  send(method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<Record<string, unknown>> {
    const id = this.next++;
    this.ws.send(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }));
    return new Promise((resolve, reject) => this.pending.set(id, { resolve, reject }));
  }
}

export class Page {
  readonly errors: string[] = [];

  constructor(private readonly cdp: Cdp, readonly sessionId: string) {
    cdp.listeners.push((m) => {
      if (m.sessionId !== sessionId) return;
      const p = m.params ?? {};
      if (m.method === 'Runtime.consoleAPICalled' && (p.type === 'error' || p.type === 'assert')) {
        this.errors.push(`console.${String(p.type)}: ${JSON.stringify((p.args as { value?: unknown; description?: string }[]).map((a) => a.value ?? a.description))}`);
      }
      if (m.method === 'Runtime.exceptionThrown') this.errors.push(`exception: ${JSON.stringify(p.exceptionDetails)}`);
      if (m.method === 'Log.entryAdded' && (p.entry as { level: string }).level === 'error') this.errors.push(`log: ${JSON.stringify(p.entry)}`);
    });
  }

  send(method: string, params: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    return this.cdp.send(method, params, this.sessionId);
  }

  /** The value of a script expression (awaited when it is a promise), as JSON. */
  async evaluate<T>(expression: string): Promise<T> {
    const r = await this.send('Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true });
    if (r.exceptionDetails) throw new Error(`page script failed: ${JSON.stringify(r.exceptionDetails)}`);
    return (r.result as { value: T }).value;
  }

  /** Waits until the expression is true, polling, at most TIMEOUT ms. */
  async waitFor(expression: string, timeout = 30_000): Promise<void> {
    const end = Date.now() + timeout;
    while (!(await this.evaluate<boolean>(expression))) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${expression}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** A real mouse click (pressed and released) at a point of the viewport. */
  async click(x: number, y: number): Promise<void> {
    for (const type of ['mousePressed', 'mouseReleased']) await this.send('Input.dispatchMouseEvent', { type, x, y, button: 'left', clickCount: 1 });
  }

  /** A screenshot of the whole page as PNG bytes. */
  async screenshot(): Promise<Buffer> {
    const r = await this.send('Page.captureScreenshot', { format: 'png', captureBeyondViewport: true });
    return Buffer.from(r.data as string, 'base64');
  }
}

export class Browser {
  private constructor(private readonly proc: ChildProcess, private readonly cdp: Cdp, private readonly ws: WebSocket, private readonly profile: string) {}

  /** Starts `chromium` headless with a fresh profile and connects to it. */
  static async launch(command = 'chromium'): Promise<Browser> {
    const profile = mkdtempSync(join(tmpdir(), 'imgscan-chromium-'));
    const proc = spawn(command, ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--no-default-browser-check', '--remote-debugging-port=0', `--user-data-dir=${profile}`, '--window-size=1200,900', 'about:blank'], { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
    const url = await new Promise<string>((resolve, reject) => {
      let text = '';
      const timer = setTimeout(() => reject(new Error(`chromium did not start: ${text.slice(-500)}`)), 30_000);
      proc.stderr!.on('data', (d: Buffer) => {
        text += d.toString();
        const m = /DevTools listening on (ws:\/\/\S+)/.exec(text);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
      proc.on('exit', (code) => reject(new Error(`chromium exited with ${code}: ${text.slice(-500)}`)));
    });
    const ws = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      ws.addEventListener('open', () => resolve());
      ws.addEventListener('error', () => reject(new Error(`cannot connect to ${url}`)));
    });
    return new Browser(proc, new Cdp(ws), ws, profile);
  }

  /** A new tab showing URL, loaded, with console errors and exceptions collected from the start. */
  async open(url: string): Promise<Page> {
    const { targetId } = await this.cdp.send('Target.createTarget', { url: 'about:blank' });
    const { sessionId } = await this.cdp.send('Target.attachToTarget', { targetId, flatten: true });
    const page = new Page(this.cdp, sessionId as string);
    for (const domain of ['Runtime.enable', 'Log.enable', 'Page.enable']) await page.send(domain);
    const loaded = new Promise<void>((resolve) => this.cdp.listeners.push((m) => m.sessionId === sessionId && m.method === 'Page.loadEventFired' && resolve()));
    await page.send('Page.navigate', { url });
    await loaded;
    return page;
  }

  /**
   * Stops the browser and every process it started (its own process group: renderers and helpers may still be
   * writing to the profile after the main process exits), then removes the profile.
   */
  async close(): Promise<void> {
    this.ws.close();
    const group = (signal: NodeJS.Signals) => {
      try {
        process.kill(-this.proc.pid!, signal);
      } catch {
        // the group is gone
      }
    };
    if (this.proc.exitCode === null && this.proc.signalCode === null) {
      const exited = new Promise((r) => this.proc.once('exit', r));
      group('SIGTERM');
      const timer = setTimeout(() => group('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    group('SIGKILL');
    rmSync(this.profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
  }
}

/** The pixels of an 8-bit RGB or RGBA PNG that are not white, and all its pixels (a minimal decoder). */
export function pngInk(png: Buffer): { ink: number; pixels: number; width: number; height: number } {
  if (png.readUInt32BE(0) !== 0x89504e47) throw new Error('not a PNG');
  let width = 0, height = 0, channels = 0;
  const idat: Buffer[] = [];
  for (let at = 8; at < png.length; ) {
    const len = png.readUInt32BE(at);
    const type = png.toString('latin1', at + 4, at + 8);
    const data = png.subarray(at + 8, at + 8 + len);
    if (type === 'IHDR') {
      [width, height] = [data.readUInt32BE(0), data.readUInt32BE(4)];
      if (data[8] !== 8 || data[12] !== 0) throw new Error('only 8-bit, non-interlaced PNGs');
      channels = ({ 2: 3, 6: 4 } as Record<number, number>)[data[9]] ?? 0;
      if (!channels) throw new Error(`PNG color type ${data[9]} not handled`);
    }
    if (type === 'IDAT') idat.push(data);
    at += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  let prev = Buffer.alloc(stride);
  let ink = 0;
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = Buffer.from(raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1)));
    for (let i = 0; i < stride; i++) {
      const a = i >= channels ? line[i - channels] : 0;
      const b = prev[i];
      const c = i >= channels ? prev[i - channels] : 0;
      const p = a + b - c;
      const pred = [0, a, b, (a + b) >> 1, Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - b) <= Math.abs(p - c) ? b : c][filter];
      line[i] = (line[i] + pred) & 0xff;
    }
    for (let x = 0; x < width; x++) if (line[x * channels] < 250 || line[x * channels + 1] < 250 || line[x * channels + 2] < 250) ink++;
    prev = line;
  }
  return { ink, pixels: width * height, width, height };
}

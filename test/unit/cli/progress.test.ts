import { describe, expect, it } from 'vitest';
import { Progress } from '../../../src/cli/progress.js';

/** A stderr stand-in that records what is written. */
function stream(isTTY: boolean): NodeJS.WriteStream & { text(): string } {
  const chunks: string[] = [];
  return { isTTY, write: (chunk: string) => (chunks.push(chunk), true), text: () => chunks.join('') } as unknown as NodeJS.WriteStream & { text(): string };
}

const clear = '\r\x1b[2K';

describe('progress messages', () => {
  it('on a terminal, clear the display, print the message on its own line and draw the display again below it', () => {
    const s = stream(true);
    const p = new Progress({ enabled: true, intervalMs: 60_000, stream: s });
    p.set('images', 1);
    p.render();
    const line = p.line();
    expect(s.text()).toBe(`${clear}${line}`);
    p.print('imgscan: retry 1/5 of GET https://reg.example/v2/ in 250 ms: status 503');
    p.print('imgscan: retry 2/5 of GET https://reg.example/v2/ in 500 ms: status 503');
    expect(s.text()).toBe(
      `${clear}${line}` +
        `${clear}imgscan: retry 1/5 of GET https://reg.example/v2/ in 250 ms: status 503\n${line}` +
        `${clear}imgscan: retry 2/5 of GET https://reg.example/v2/ in 500 ms: status 503\n${line}`,
    );
    p.stop();
    const stopped = s.text();
    p.print('after');
    expect(s.text()).toBe(`${stopped}after\n`);
    expect(stopped.endsWith('\n')).toBe(true);
  });

  it('on a terminal before anything was drawn, are plain lines', () => {
    const s = stream(true);
    const p = new Progress({ enabled: true, intervalMs: 60_000, stream: s });
    p.print('first');
    expect(s.text()).toBe('first\n');
    p.stop();
  });

  it.each([
    ['stderr is not a terminal', false, true],
    ['the display is off (--json) on a terminal', true, false],
    ['the display is off (--json) and stderr is not a terminal', false, false],
  ])('are plain lines when %s', (_when, isTTY, enabled) => {
    const s = stream(isTTY);
    const p = new Progress({ enabled, intervalMs: 60_000, stream: s });
    p.render();
    const before = s.text();
    p.print('message');
    expect(s.text()).toBe(`${before}message\n`);
    p.stop();
  });
});

describe('progress line', () => {
  it('measured by a counter (simulated requests): bar, rate and ETA in that unit, no bytes', () => {
    const p = new Progress({ enabled: false, measure: 'requests' });
    p.set('requests', 250, 1000);
    const line = p.line();
    expect(line).toMatch(/^requests 250\/1000  \[#{5}\.{15}\] 25%  \d+ requests\/s  ETA \S+  \S+$/);
    expect(line).not.toMatch(/B\/s/);
  });

  it('measured by bytes by default, with a bar once a byte total is known', () => {
    const p = new Progress({ enabled: false });
    p.set('layers', 1, 4);
    p.totalBytes(4 << 20);
    p.addBytes(1 << 20);
    expect(p.line()).toMatch(/^layers 1\/4  1\.0 MiB\/4\.0 MiB \[#{5}\.{15}\] 25%  \S+ \S+\/s  ETA \S+  \S+$/);
  });
});

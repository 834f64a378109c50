import { describe, expect, it } from 'vitest';
import type { GateCheck } from '../../../src/analysis/image-check.js';
import { formatGate, gateLine } from '../../../src/cli/gate-lines.js';
import { scanProgress } from '../../../src/cli/scan-progress.js';
import type { Image, Layer } from '../../../src/sources/types.js';

/** A stderr stand-in (not a terminal) that records what is written. */
function stream(): NodeJS.WriteStream & { text(): string } {
  const chunks: string[] = [];
  return { isTTY: false, write: (chunk: string) => (chunks.push(chunk), true), text: () => chunks.join('') } as unknown as NodeJS.WriteStream & { text(): string };
}

const layer = (n: number): Layer => ({ descriptor: { digest: `sha256:${String(n).padStart(64, '0')}`, size: 1000 * n, mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip' }, diffId: undefined }) as unknown as Layer;
const image = (layers: Layer[]): Image => ({ name: 'img', layers: () => layers }) as unknown as Image;

describe('scan progress', () => {
  it('an error before the first image leaves no line', () => {
    const s = stream();
    const p = scanProgress(true, s);
    p.stop();
    expect(s.text()).toBe('');
  });

  it('counts layers as they finish, and those found in the dataset already, distinct', () => {
    const s = stream();
    const p = scanProgress(true, s);
    const [a, b, c] = [layer(1), layer(2), layer(3)];
    p.hooks.image!(image([a, b]));
    p.hooks.imageAlreadyStored!(image([a, b]));
    p.hooks.image!(image([b, c]));
    p.hooks.layerAlreadyStored!(b);
    p.hooks.layerQueued!(c);
    p.hooks.layerDone!(undefined);
    p.stop();
    expect(s.text()).toMatch(/^images 2 \(1 already in the dataset\) {2}layers 1\/1 \(2 already in the dataset\) {2}/);
  });

  it('a first scan shows no note', () => {
    const s = stream();
    const p = scanProgress(true, s);
    p.hooks.image!(image([layer(1)]));
    p.hooks.layerQueued!(layer(1));
    p.stop();
    expect(s.text()).toMatch(/^images 1 {2}layers 0\/1 {2}/);
  });
});

describe('gate lines', () => {
  const check = (rule: GateCheck['rule'], value: number, limit: number): GateCheck => ({ rule, value, limit, passed: rule === 'min_image_efficiency' ? value >= limit : value <= limit });

  it('show the value and the limit in the unit of the rule, under the name the config file gives it', () => {
    expect(gateLine(check('min_image_efficiency', 0.94996, 0.95), undefined)).toBe('FAIL min_image_efficiency: 94.996% >= 95%');
    expect(gateLine(check('max_path_waste', 2048, 20_000_000), undefined)).toBe('PASS max_path_waste: 2.0 KiB (2048) <= 19.1 MiB (20000000)');
    expect(gateLine(check('max_content_waste_fraction', 0.025, 0.02), undefined)).toBe('FAIL max_content_waste: 2.5% of files_size <= 2%');
    expect(gateLine(check('max_layers', 30, 30), 'app:1 linux/arm64')).toBe('PASS max_layers: 30 <= 30  (app:1 linux/arm64)');
  });

  it('end with the verdict', () => {
    const img = (checks: GateCheck[]) => ({ manifest_digest: 'sha256:' + 'a'.repeat(64), ref: 'x', os: 'linux', architecture: 'amd64', checks, passed: checks.every((c) => c.passed) });
    const ok = { ref: 'x', passed: true, images: [img([check('max_layers', 3, 4)])] } as never;
    expect(formatGate(ok).split('\n').at(-1)).toBe('result: PASS (1 rule)');
    const bad = { ref: 'x', passed: false, images: [img([check('max_layers', 3, 4)]), img([check('max_layers', 5, 4)])] } as never;
    expect(formatGate(bad)).toBe(['PASS max_layers: 3 <= 4  (x linux/amd64)', 'FAIL max_layers: 5 <= 4  (x linux/amd64)', 'result: FAIL (1 of 2 rules failed)'].join('\n'));
  });
});

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadBlake3 } from '../../../src/layers/hash.js';
import { b3sumFile, sh } from './fixture.js';

let dir: string;
const inputs: { name: string; data: Buffer; b3sum: string }[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'imgscan-hash-'));
  // Sizes around BLAKE3's 1 KiB chunk and 64-byte block boundaries, and a large one.
  for (const size of [0, 1, 63, 64, 65, 1023, 1024, 1025, 4096, 100_000, 3_000_001]) {
    const file = join(dir, `in-${size}`);
    sh(`head -c ${size} /dev/urandom > ${file}`);
    inputs.push({ name: `${size} bytes`, data: readFileSync(file), b3sum: b3sumFile(file) });
  }
  inputs.push({ name: '/bin/ls', data: readFileSync('/bin/ls'), b3sum: b3sumFile('/bin/ls') });
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.each(['native', 'wasm'] as const)('BLAKE3 %s backend', (name) => {
  const backend = loadBlake3(name);

  it('is the backend asked for', () => {
    expect(backend.name).toBe(name);
  });

  it('agrees with b3sum one-shot and incrementally, and resets after each digest', () => {
    const h = backend.createHasher();
    for (const { data, b3sum, name: what } of inputs) {
      expect(backend.hash(data), what).toBe(b3sum);
      for (const slice of [1000, 64 * 1024 + 7]) {
        if (data.length > 200_000 && slice === 1000) continue;
        for (let i = 0; i < data.length; i += slice) h.update(data.subarray(i, i + slice));
        expect(h.digest(), what).toBe(b3sum);
      }
    }
  });
});

describe('backend selection', () => {
  it('IMGSCAN_BLAKE3=wasm forces the WebAssembly backend', async () => {
    vi.resetModules();
    vi.stubEnv('IMGSCAN_BLAKE3', 'wasm');
    try {
      const mod = await import('../../../src/layers/hash.js');
      expect(mod.blake3Backend).toBe('wasm');
      expect(mod.blake3Hex(inputs[3]!.data)).toBe(inputs[3]!.b3sum);
    } finally {
      vi.unstubAllEnvs();
      vi.resetModules();
    }
  });

  it('uses the native backend by default here', async () => {
    vi.resetModules();
    vi.stubEnv('IMGSCAN_BLAKE3', '');
    try {
      const mod = await import('../../../src/layers/hash.js');
      expect(mod.blake3Backend).toBe('native');
    } finally {
      vi.unstubAllEnvs();
      vi.resetModules();
    }
  });
});

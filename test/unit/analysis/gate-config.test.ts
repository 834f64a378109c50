import { describe, expect, it } from 'vitest';
import { gateRules, parseGateConfig } from '../../../src/analysis/gate-config.js';
import { ImgscanError } from '../../../src/errors.js';

describe('the CI gate config (.imgscan-ci.yml)', () => {
  it('reads every rule: fractions and percentages, bytes with units, percent of files_size, layer counts', () => {
    const text = ['rules:', '  min_image_efficiency: 95%', '  max_path_waste: 20MB', '  max_content_waste: 2.5%', '  max_layers: 30', ''].join('\n');
    expect(parseGateConfig(text, 'ci.yml')).toEqual({ min_image_efficiency: 0.95, max_path_waste: 20 * 1000 * 1000, max_content_waste_fraction: 0.025, max_layers: 30 });
    expect(parseGateConfig('rules: { min_image_efficiency: 0.9, max_path_waste: 4096, max_content_waste: 1.5GiB }', 'ci.yml')).toEqual({
      min_image_efficiency: 0.9,
      max_path_waste: 4096,
      max_content_waste: 1.5 * 1024 ** 3,
    });
    expect(parseGateConfig('rules:\n  max_path_waste: 0%\n', 'ci.yml')).toEqual({ max_path_waste_fraction: 0 });
  });

  it('names the file and the key of what it refuses', () => {
    const refused = (text: string) => {
      try {
        parseGateConfig(text, 'dir/.imgscan-ci.yml');
      } catch (err) {
        expect(err).toBeInstanceOf(ImgscanError);
        expect((err as ImgscanError).code).toBe('USAGE');
        return (err as Error).message;
      }
      throw new TypeError(`accepted: ${text}`);
    };
    expect(refused('rules:\n  lowest_efficiency: 0.9\n')).toBe(`dir/.imgscan-ci.yml: unknown rule "rules.lowest_efficiency" (known rules: ${Object.keys(gateRules).join(', ')})`);
    expect(refused('rule:\n  max_layers: 3\n')).toMatch(/^dir\/\.imgscan-ci\.yml: unknown key "rule"/);
    expect(refused('rules:\n  max_layers: -1\n')).toMatch(/rules\.max_layers: -1 is not valid/);
    expect(refused('rules:\n  max_layers: "3"\n')).toMatch(/rules\.max_layers: "3" is not valid/);
    expect(refused('rules:\n  min_image_efficiency: 101%\n')).toMatch(/rules\.min_image_efficiency: "101%" is not valid/);
    expect(refused('rules:\n  max_path_waste: 20 parsecs\n')).toMatch(/rules\.max_path_waste: "20 parsecs" is not valid/);
    expect(refused('rules:\n  max_path_waste: 1.5\n')).toMatch(/rules\.max_path_waste: 1\.5 is not valid/);
    expect(refused('rules:\n  max_layers: 3\n  max_layers: 4\n')).toMatch(/not valid YAML/);
    expect(refused('')).toMatch(/is empty/);
    expect(refused('- rules\n')).toMatch(/must be a mapping/);
    expect(refused('rules: 3\n')).toMatch(/rules must be a mapping/);
  });
});

import { describe, expect, it, vi } from 'vitest';
import { missingTools } from '../../support/tools.js';

const absent = 'imgscan-tool-that-is-not-installed';

describe('missingTools', () => {
  it('returns nothing when every tool is on PATH', async () => {
    expect(await missingTools(['sh', 'tar'], 'these tests', { CI: 'true' })).toEqual([]);
  });

  it('outside CI, names the missing tools and warns that the tests are skipped', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      expect(await missingTools(['sh', absent], 'these tests', {})).toEqual([absent]);
      expect(warn).toHaveBeenCalledWith(expect.stringContaining(`SKIPPING these tests: not installed: ${absent}`));
    } finally {
      warn.mockRestore();
    }
  });

  it('under CI=true, a missing tool fails instead of skipping', async () => {
    await expect(missingTools(['sh', absent], 'these tests', { CI: 'true' })).rejects.toThrow(`these tests: not installed: ${absent}`);
  });
});

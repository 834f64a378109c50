import { describe, expect, it } from 'vitest';
import { ImgscanError } from '../../../src/errors.js';
import { failureRow } from '../../../src/model/failure.js';

describe('failureRow', () => {
  it('takes the layer digest, code and message from the error of a layer failure', () => {
    const layer = `sha256:${'ab'.repeat(32)}`;
    const error = new ImgscanError('DIGEST_MISMATCH', 'digest mismatch', { layer, image: 'reg/app:1' });
    const at = new Date(0);
    expect(failureRow({ scope: 'layer', target: layer, image: 'reg/app:1', error }, at)).toEqual({
      scope: 'layer',
      target: layer,
      image: 'reg/app:1',
      layer_digest: layer,
      code: 'DIGEST_MISMATCH',
      message: 'digest mismatch',
      failed_at: at,
    });
  });

  it('leaves layer_digest null for a failure whose error names no layer', () => {
    const error = new ImgscanError('NOT_FOUND', 'manifest unknown', { repository: 'app' });
    const row = failureRow({ scope: 'repository', target: 'reg/app', image: null, error });
    expect(row.layer_digest).toBeNull();
    expect(row.image).toBeNull();
    expect(row.failed_at).toBeInstanceOf(Date);
  });
});

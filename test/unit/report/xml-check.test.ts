import { describe, expect, it } from 'vitest';
import { checkXml } from './xml-check.js';

describe('checkXml (the test helper itself)', () => {
  it('accepts well-formed documents and lists elements', () => {
    expect(checkXml('<svg a="1"><g><text x=\'2\'>a &amp; b</text></g><rect/></svg>')).toEqual(['svg', 'g', 'text', 'rect']);
  });
  it.each([
    ['<svg><g></svg>', /closes/],
    ['<svg><g>', /unclosed/],
    ['<svg a=1></svg>', /malformed/],
    ['<svg a="1" a="2"></svg>', /duplicate/],
    ['<svg>a & b</svg>', /entity/],
    ['<svg></svg><svg></svg>', /root/],
    ['<svg title="<"></svg>', /malformed/],
  ])('rejects %s', (doc, error) => {
    expect(() => checkXml(doc)).toThrow(error);
  });
});

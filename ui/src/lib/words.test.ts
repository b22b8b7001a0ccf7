import { describe, expect, it } from 'vitest';

import { charCount, wordCount } from './words';

// The same cases as desk-core's `words_are_counted_in_spaced_and_unspaced_scripts`.
describe('wordCount', () => {
  it('counts words in spaced scripts, ignoring punctuation-only tokens', () => {
    expect(wordCount('Mobile birth registration in Bhutan')).toBe(5);
    expect(wordCount('  -- \n')).toBe(0);
    expect(wordCount('')).toBe(0);
  });

  it('counts unspaced scripts two characters to a word', () => {
    expect(wordCount('ລັດຖະບານ')).toBe(4);
    expect(wordCount('e-Government 电子政务')).toBe(3);
  });
});

describe('charCount', () => {
  it('counts code points as Rust does, not UTF-16 units', () => {
    expect(charCount('𝔸b')).toBe(2);
    expect('𝔸b'.length).toBe(3);
  });
});

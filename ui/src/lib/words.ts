// Word counting as desk-core does it (`desk_core::case::word_count`), so the count moves as the
// user types; after a save the count the store returns is the one shown.

const UNSPACED: Array<[number, number]> = [
  [0x0e00, 0x0e7f], // Thai
  [0x0e80, 0x0eff], // Lao
  [0x1000, 0x109f], // Myanmar
  [0x1780, 0x17ff], // Khmer
  [0x3040, 0x30ff], // Japanese kana
  [0x3400, 0x4dbf], // CJK extension A
  [0x4e00, 0x9fff], // CJK unified ideographs
];

function isUnspaced(char: string): boolean {
  const code = char.codePointAt(0) ?? 0;
  return UNSPACED.some(([from, to]) => code >= from && code <= to);
}

// Rust's `char::is_alphanumeric`: Alphabetic or Numeric.
const ALPHANUMERIC = /[\p{Alphabetic}\p{N}]/u;

/** Words in spaced scripts, plus characters of unspaced scripts (Lao, Thai…) two to a word. */
export function wordCount(text: string): number {
  let words = 0;
  let unspacedChars = 0;
  for (const token of text.split(/\s+/u)) {
    if (token === '') continue;
    const chars = Array.from(token);
    const unspaced = chars.filter(isUnspaced).length;
    if (unspaced > 0) {
      unspacedChars += unspaced;
      if (chars.some((c) => ALPHANUMERIC.test(c) && !isUnspaced(c))) words += 1;
    } else if (chars.some((c) => ALPHANUMERIC.test(c))) {
      words += 1;
    }
  }
  return words + Math.ceil(unspacedChars / 2);
}

/** Characters as Rust counts them (Unicode scalar values, not UTF-16 units). */
export function charCount(text: string): number {
  let n = 0;
  for (const _ of text) n += 1;
  return n;
}

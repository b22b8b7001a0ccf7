// The pseudo-locale `en-XA`: English with every letter accented, wrapped in [ ] and lengthened by
// a third, so an end-to-end test can see text that bypasses the catalogs and layouts that break
// with longer languages. Parameters (names, titles, numbers) are left as they are.

import { parse, TYPE, type MessageFormatElement } from '@formatjs/icu-messageformat-parser';

const ACCENTED: Record<string, string> = {
  a: 'á', b: 'ƀ', c: 'ç', d: 'ð', e: 'é', f: 'ƒ', g: 'ĝ', h: 'ĥ', i: 'í', j: 'ĵ', k: 'ķ', l: 'ļ',
  m: 'ɱ', n: 'ñ', o: 'ö', p: 'þ', q: 'ǫ', r: 'ŕ', s: 'š', t: 'ţ', u: 'û', v: 'ṽ', w: 'ŵ', x: 'ẋ',
  y: 'ý', z: 'ž', A: 'Å', B: 'Ɓ', C: 'Ç', D: 'Ð', E: 'É', F: 'Ƒ', G: 'Ĝ', H: 'Ĥ', I: 'Í', J: 'Ĵ',
  K: 'Ķ', L: 'Ļ', M: 'Ṁ', N: 'Ñ', O: 'Ö', P: 'Þ', Q: 'Ǫ', R: 'Ŕ', S: 'Š', T: 'Ţ', U: 'Û', V: 'Ṽ',
  W: 'Ŵ', X: 'Ẋ', Y: 'Ý', Z: 'Ž',
};

export function accent(text: string): string {
  return text.replace(/[A-Za-z]/g, (letter) => ACCENTED[letter] ?? letter);
}

function accentAll(elements: MessageFormatElement[]): MessageFormatElement[] {
  return elements.map((element) => {
    if (element.type === TYPE.literal) return { ...element, value: accent(element.value) };
    if (element.type === TYPE.plural || element.type === TYPE.select) {
      const options = Object.fromEntries(
        Object.entries(element.options).map(([name, option]) => [
          name,
          { ...option, value: accentAll(option.value) },
        ]),
      );
      return { ...element, options };
    }
    return element;
  });
}

function visibleLength(elements: MessageFormatElement[]): number {
  return elements.reduce((n, e) => n + (e.type === TYPE.literal ? e.value.length : 6), 0);
}

/** The pseudo-localised form of an English ICU message, as a parsed message. */
export function pseudoMessage(message: string): MessageFormatElement[] {
  if (message === '') return [];
  const accented = accentAll(parse(message));
  // In words of up to five, as real text breaks: the length shows, without one unbreakable run.
  const padding = ('~'.repeat(Math.max(2, Math.ceil(visibleLength(accented) / 3))).match(/.{1,5}/g) ?? []).join(' ');
  return [
    { type: TYPE.literal, value: '[' },
    ...accented,
    { type: TYPE.literal, value: ` ${padding}]` },
  ];
}

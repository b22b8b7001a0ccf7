// The catalog check CI runs: every language has every English message and no other, each parses
// as ICU MessageFormat, uses the same parameters as English, and its plurals use exactly the
// categories its language has (Intl.PluralRules: Russian one/few/many/other, Chinese other).

import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { parse, TYPE, type MessageFormatElement } from '@formatjs/icu-messageformat-parser';
import { describe, expect, it } from 'vitest';

import { catalogs, LOCALES, setLocale, t } from './i18n';

const dir = fileURLToPath(new URL('../messages/', import.meta.url));
const files = readdirSync(dir).filter((name) => name.endsWith('.json'));

interface Shape {
  params: Set<string>;
  plurals: Array<{ name: string; categories: string[] }>;
}

function shapeOf(elements: MessageFormatElement[], shape: Shape = { params: new Set(), plurals: [] }): Shape {
  for (const element of elements) {
    if (element.type === TYPE.literal || element.type === TYPE.pound) continue;
    if ('value' in element && typeof element.value === 'string') shape.params.add(element.value);
    if (element.type === TYPE.plural) {
      shape.plurals.push({ name: element.value, categories: Object.keys(element.options) });
    }
    if (element.type === TYPE.plural || element.type === TYPE.select) {
      for (const option of Object.values(element.options)) shapeOf(option.value, shape);
    }
    if (element.type === TYPE.tag) shapeOf(element.children, shape);
  }
  return shape;
}

/** What is wrong with `catalog` (in `locale`) against English: one line per problem. */
export function catalogProblems(locale: string, catalog: Record<string, unknown>): string[] {
  const english = catalogs.en as Record<string, string>;
  const problems: string[] = [];
  const categories = new Intl.PluralRules(locale).resolvedOptions().pluralCategories as string[];
  for (const key of Object.keys(english)) {
    if (!Object.hasOwn(catalog, key)) problems.push(`${locale}: missing ${key}`);
  }
  for (const [key, message] of Object.entries(catalog)) {
    if (!Object.hasOwn(english, key)) {
      problems.push(`${locale}: extra ${key}`);
      continue;
    }
    if (typeof message !== 'string') {
      problems.push(`${locale}: ${key} is not text`);
      continue;
    }
    let shape: Shape;
    try {
      shape = shapeOf(parse(message));
    } catch (error) {
      problems.push(`${locale}: ${key} is malformed (${String(error)})`);
      continue;
    }
    const expected = shapeOf(parse(english[key] ?? ''));
    const params = [...shape.params].sort().join(',');
    const englishParams = [...expected.params].sort().join(',');
    if (params !== englishParams) {
      problems.push(`${locale}: ${key} has parameters {${params}}, English {${englishParams}}`);
    }
    for (const plural of shape.plurals) {
      const named = plural.categories.filter((c) => !c.startsWith('='));
      const wrong = named.filter((c) => !categories.includes(c));
      const lacking = categories.filter((c) => !named.includes(c));
      if (wrong.length > 0 || lacking.length > 0) {
        problems.push(
          `${locale}: ${key} plural {${plural.name}} has [${named.join(' ')}], ${locale} needs [${categories.join(' ')}]`,
        );
      }
    }
  }
  return problems;
}

describe('message catalogs', () => {
  it('has one file per language the UI offers, and no other', () => {
    expect(files.sort()).toEqual(LOCALES.map((locale) => `${locale}.json`).sort());
  });

  for (const file of files) {
    const locale = file.replace(/\.json$/, '');
    it(`${locale}: every message, well formed, same parameters, right plural categories`, () => {
      const catalog = JSON.parse(readFileSync(`${dir}${file}`, 'utf8')) as Record<string, unknown>;
      expect(catalogProblems(locale, catalog)).toEqual([]);
    });
  }

  it('finds a missing, an extra, a malformed message, other parameters and wrong plurals', () => {
    const english = catalogs.en as Record<string, string>;
    const broken: Record<string, string> = { ...catalogs.ru };
    delete broken['cases.new'];
    broken['cases.newer'] = 'Новее';
    broken['cases.heading'] = 'Кейсы {';
    broken['files.already'] = 'Файл {filename} уже прикреплён.';
    broken['editor.words'] = '{n, plural, one {# слово} other {# слов}}';
    const problems = catalogProblems('ru', broken);
    expect(problems).toEqual([
      'ru: missing cases.new',
      expect.stringMatching(/^ru: cases\.heading is malformed/),
      'ru: editor.words plural {n} has [one other], ru needs [few many one other]',
      'ru: files.already has parameters {filename}, English {name}',
      'ru: extra cases.newer',
    ]);
    expect(catalogProblems('zh-Hans', { ...catalogs['zh-Hans'], 'editor.words': english['editor.words'] ?? '' })).toEqual([
      'zh-Hans: editor.words plural {n} has [one other], zh-Hans needs [other]',
    ]);
  });

  it('says 1 file and 3 files, and Russian 1, 3, 5 and 21 files, in their grammar', () => {
    setLocale('en');
    expect(t('bag.opened', { files: 1 })).toBe('Opened as a new draft with 1 file.');
    expect(t('bag.opened', { files: 3 })).toBe('Opened as a new draft with 3 files.');
    setLocale('ru');
    expect(t('editor.words', { n: 1 })).toBe('1 слово');
    expect(t('editor.words', { n: 3 })).toBe('3 слова');
    expect(t('editor.words', { n: 5 })).toBe('5 слов');
    expect(t('editor.words', { n: 21 })).toBe('21 слово');
    setLocale('zh-Hans');
    expect(t('editor.words', { n: 3 })).toBe('3 个词');
    setLocale('en');
  });
});

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterEach, describe, expect, it } from 'vitest';

import { dictionaries, isMessageKey, setLocale, t } from './i18n';

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'bindings' ? [] : sources(path);
    return /\.(ts|svelte)$/.test(name) && !name.endsWith('.test.ts') ? [path] : [];
  });
}

describe('i18n', () => {
  afterEach(() => setLocale('en'));

  it('has an English message for every literal key the UI uses', () => {
    const root = fileURLToPath(new URL('..', import.meta.url));
    const used = new Set<string>();
    for (const file of sources(root)) {
      for (const match of readFileSync(file, 'utf8').matchAll(/\bt\(\s*'([\w.]+)'/g)) {
        used.add(match[1] ?? '');
      }
    }
    expect(used.size).toBeGreaterThan(30);
    expect([...used].filter((key) => !isMessageKey(key))).toEqual([]);
  });

  it('has no translation key that English lacks', () => {
    for (const dictionary of Object.values(dictionaries)) {
      expect(Object.keys(dictionary).filter((key) => !isMessageKey(key))).toEqual([]);
    }
  });

  it('fills in parameters and leaves unknown ones visible', () => {
    expect(t('editor.wordsOf', { n: 120, max: 300 })).toBe('120 of about 300 words');
    expect(t('editor.wordsOf', { n: 5 })).toBe('5 of about {max} words');
  });

  it('has French for every English message, with the same placeholders', () => {
    const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    for (const [key, english] of Object.entries(dictionaries.en)) {
      const french = dictionaries.fr[key as keyof typeof dictionaries.en];
      expect(french, key).toBeTypeOf('string');
      expect(placeholders(french ?? ''), key).toEqual(placeholders(english ?? ''));
    }
    setLocale('fr');
    expect(t('cases.sending', { percent: 43 })).toBe('Envoi 43 %');
  });

  it('falls back to English for a key a language lacks', () => {
    const kept = dictionaries.fr['cases.new'];
    delete dictionaries.fr['cases.new'];
    try {
      setLocale('fr');
      expect(t('cases.new')).toBe('New case');
      expect(t('cases.heading')).toBe('Études de cas');
    } finally {
      dictionaries.fr['cases.new'] = kept;
    }
  });
});

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterEach, describe, expect, it } from 'vitest';

import { catalogs, isMessageKey, messageText, setLocale, systemLocale, t } from './i18n';

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'bindings' ? [] : sources(path);
    return /\.(ts|svelte)$/.test(name) && !name.endsWith('.test.ts') ? [path] : [];
  });
}

const repo = fileURLToPath(new URL('../../../', import.meta.url));

/** The codes a Rust `fn code(&self)` returns (`=> "not_a_database"`), from its source. */
function rustCodes(file: string): string[] {
  const text = readFileSync(join(repo, file), 'utf8');
  const body = text.slice(text.indexOf('pub fn code(&self)'));
  const end = body.indexOf('\n    }\n');
  return [...body.slice(0, end).matchAll(/=> "(\w+)"/g)].map((m) => m[1] ?? '');
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

  it('words every error code Rust sends, in every language', () => {
    const codes = [
      ...rustCodes('crates/desk-core/src/error.rs'),
      ...rustCodes('crates/desk-sync/src/error.rs'),
      ...rustCodes('crates/paks-publication/src/error.rs'),
    ];
    expect(codes.length).toBeGreaterThan(50);
    for (const file of ['src-tauri/src/lib.rs', ...readdirSync(join(repo, 'src-tauri/src/commands')).map((f) => `src-tauri/src/commands/${f}`)]) {
      const text = readFileSync(join(repo, file), 'utf8');
      codes.push(...[...text.matchAll(/CommandError::new\(\s*"(\w+)"/g)].map((m) => m[1] ?? ''));
    }
    expect(codes).toContain('no_viewer');
    expect(codes.filter((code) => !isMessageKey(`error.${code}`))).toEqual([]);
  });

  it('fills in parameters, and shows the message rather than nothing when one is missing', () => {
    expect(t('editor.wordsOf', { n: 120, max: 300 })).toBe('120 of about 300 words');
    expect(t('editor.wordsOf', { n: 5 })).toBe('{n} of about {max, plural, one {# word} other {# words}}');
  });

  it('words a Rust error from its code and params, with the section’s label', () => {
    const tooLong = { code: 'field_too_long', message: 'Results and impact is 9 characters…', params: { field: 'results', len: 9, max: 5 } };
    expect(messageText(tooLong)).toBe(
      'Results and impact is 9 characters long; the most PAKS Desk accepts is 5. Shorten it or move the detail into an attached file.',
    );
    setLocale('ru');
    expect(messageText(tooLong)).toMatch(/^Поле «Результаты и эффект» содержит 9 знаков;/);
    setLocale('fr');
    expect(messageText({ code: 'no_such_code', message: 'x', params: {} })).toBe(
      'Une erreur inattendue s’est produite. Veuillez réessayer.',
    );
    expect(messageText({ code: 'ipc', message: 'command not allowed by ACL', params: {} })).toBe(
      'PAKS Desk n’a pas pu faire cela (command not allowed by ACL).',
    );
  });

  it('says which rule a refused value broke', () => {
    const year = { code: 'invalid_value', message: '', params: { field: 'start_year', problem: 'not_a_year' } };
    expect(messageText(year)).toBe('Start year: write a year between 1950 and 2100.');
    setLocale('zh-Hans');
    expect(messageText(year)).toBe('开始年份：请填写 1950 至 2100 年之间的年份。');
    setLocale('en');
  });

  it('names what a refused case lacks, in a list of the language', () => {
    const incomplete = { code: 'incomplete', message: '', params: { count: 2, missing: 'summary,mdg_link' } };
    expect(messageText(incomplete)).toBe(
      'The case cannot be sent yet: 2 things are missing: Summary and MDG target with a contribution note.',
    );
    setLocale('ru');
    expect(messageText(incomplete)).toBe(
      'Кейс пока нельзя отправить: не хватает 2 пунктов: Краткое описание и Задача ЦРТ с пояснением о вкладе.',
    );
  });

  it('starts in the system language when PAKS Desk speaks it, else English', () => {
    expect(systemLocale(['ru-RU', 'en-US'])).toBe('ru');
    expect(systemLocale(['mn-MN', 'ru'])).toBe('ru');
    expect(systemLocale(['zh-CN'])).toBe('zh-Hans');
    expect(systemLocale(['fr_FR.UTF-8'])).toBe('fr');
    expect(systemLocale(['lo-LA'])).toBe('en');
    expect(systemLocale([])).toBe('en');
  });

  it('pseudo-localises every message, keeping the values', () => {
    setLocale('en-XA');
    expect(t('cases.new')).toMatch(/^\[Ñéŵ çášé ~+\]$/);
    expect(t('files.already', { name: 'deck.pptx' })).toMatch(/^\[deck\.pptx ŵáš áļŕéáðý/);
    expect(t('bag.opened', { files: 3 })).toContain('3 ƒíļéš');
    for (const key of Object.keys(catalogs.en)) {
      if (catalogs.en[key as keyof typeof catalogs.en] === '') continue;
      const english = catalogs.en[key as keyof typeof catalogs.en];
      const values = Object.fromEntries([...english.matchAll(/\{(\w+)/g)].map((m) => [m[1], 2]));
      expect(t(key as keyof typeof catalogs.en, values), key).toMatch(/^\[.*~\]$/s);
    }
  });
});

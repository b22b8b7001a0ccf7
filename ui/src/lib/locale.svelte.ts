// The UI's language as reactive state: every `t()` reads it, so a template re-renders its text
// when it changes and keeps what the user typed and where they were (no remount).

import type { Locale } from './i18n';

export const localeState = $state<{ current: Locale }>({ current: 'en' });

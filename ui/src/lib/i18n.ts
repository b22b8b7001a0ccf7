// Every string the UI shows goes through `t()`. English is the reference; other languages may
// leave keys out and fall back to English. Text from the user or from the catalogs is not here.

const en = {
  'app.name': 'PAKS Desk',
  'app.loading': 'Opening your cases…',
  'app.startupFailed': 'PAKS Desk could not open its data',
  'app.startupHint': 'Your data has not been changed. Close PAKS Desk, fix the problem above and start it again.',
  'app.editProfile': 'Profile',
  'app.skipToContent': 'Skip to content',

  'error.title': 'Something went wrong',
  'error.unknown': 'An unexpected error occurred. Please try again.',
  'error.dismiss': 'Dismiss',

  'profile.heading': 'Welcome to PAKS Desk',
  'profile.intro':
    'Tell us who you are. Your details go with every case study you send to PAKS, so reviewers can contact you.',
  'profile.editHeading': 'Your profile',
  'profile.name': 'Full name',
  'profile.title': 'Job title (optional)',
  'profile.institution': 'Institution',
  'profile.email': 'Email',
  'profile.country': 'Country',
  'profile.chooseCountry': 'Choose your country…',
  'profile.save': 'Save profile',
  'profile.saving': 'Saving…',
  'profile.cancel': 'Cancel',

  'country.ldc': 'LDC',
  'country.lldc': 'LLDC',
  'country.sids': 'SIDS',
  'country.groups': 'LDC: least developed country · LLDC: landlocked developing country · SIDS: small island developing State',

  'cases.heading': 'Case studies',
  'cases.new': 'New case',
  'cases.empty': 'No case studies yet. Start one with “New case”; it is saved on this computer as you type.',
  'cases.untitled': 'Untitled case',
  'cases.col.title': 'Title',
  'cases.col.country': 'Country',
  'cases.col.status': 'Status',
  'cases.col.updated': 'Last edited',
  'cases.version': 'version {n}',

  'status.draft': 'Draft',
  'status.queued': 'Queued for sending',
  'status.submitted': 'Submitted',
  'status.under_review': 'Under review',
  'status.published': 'Published',
  'status.changes_requested': 'Changes requested',

  'editor.back': 'All cases',
  'editor.sections': 'Sections',
  'editor.readOnly': 'This case is {status} and can no longer be edited.',
  'editor.chooseOption': 'Not set',
  'editor.words': '{n} words',
  'editor.wordsOf': '{n} of about {max} words',
  'editor.charsOf': '{n} of about {max} characters',
  'editor.overAdvice': 'Longer than advised; it is saved all the same.',

  'save.idle': '',
  'save.pending': 'Saving…',
  'save.saving': 'Saving…',
  'save.saved': 'Saved',
  'save.error': 'Not saved: {message}',

  'missing.heading': 'Before sending to PAKS',
  'missing.none': 'Nothing is missing: this case is ready to be sent.',
  'missing.intro': 'Still missing:',

  'mdg.heading': 'MDG targets',
  'mdg.intro': 'Link the Millennium Development Goal targets this case contributes to, with a note on how.',
  'mdg.goal': 'Goal',
  'mdg.target': 'Target',
  'mdg.indicator': 'Indicator (optional)',
  'mdg.chooseGoal': 'Choose a goal…',
  'mdg.chooseTarget': 'Choose a target…',
  'mdg.wholeTarget': 'The target as a whole',
  'mdg.note': 'How does the case contribute?',
  'mdg.link': 'Link target',
  'mdg.linked': 'Linked targets',
  'mdg.none': 'No MDG target linked yet.',
  'mdg.unlink': 'Remove',
  'mdg.unlinkLabel': 'Remove the link to {target}',
  'mdg.noNote': 'No contribution note yet.',
  'mdg.goalLabel': 'Goal {id}: {title}',
  'mdg.targetLabel': 'Target {id}',

  'sdg.heading': 'SDG targets',
  'sdg.suggested': 'Suggested',
  'sdg.suggestedBecause': 'Suggested because of MDG {targets}',
  'sdg.add': 'Add',
  'sdg.addLabel': 'Add SDG target {target}',
  'sdg.none': 'Link an MDG target to see suggested SDG targets.',
  'sdg.linked': 'Linked SDG targets',
  'sdg.unlink': 'Remove',
  'sdg.unlinkLabel': 'Remove the link to {target}',

  'field.title': 'Title',
  'field.country': 'Country',
  'field.language': 'Language of the case study',
  'field.government_level': 'Level of government',
  'field.institutions': 'Implementing institution(s)',
  'field.partners': 'Partners',
  'field.start_year': 'Start year',
  'field.stage': 'Stage',
  'field.themes': 'Themes',
  'field.summary': 'Summary',
  'field.problem': 'Problem',
  'field.solution': 'Solution',
  'field.innovation': 'Innovation',
  'field.objectives': 'Objectives and strategy',
  'field.stakeholders': 'Stakeholders and beneficiaries',
  'field.implementation': 'Implementation',
  'field.resources': 'Resources',
  'field.ict_components': 'ICT components',
  'field.results': 'Results and impact',
  'field.obstacles': 'Obstacles',
  'field.sustainability': 'Sustainability',
  'field.transferability': 'Transferability',
  'field.lessons_learned': 'Lessons learned',
  'field.related_policy': 'Related policy or legislation',
  'field.links': 'Links',

  'option.language.en': 'English',
  'option.language.fr': 'French',
  'option.language.es': 'Spanish',
  'option.language.ru': 'Russian',
  'option.language.zh': 'Chinese',
  'option.language.ar': 'Arabic',
  'option.government_level.national': 'National',
  'option.government_level.subnational': 'Subnational (state, province, region)',
  'option.government_level.local': 'Local (municipal, district)',
  'option.stage.planned': 'Planned',
  'option.stage.pilot': 'Pilot',
  'option.stage.implemented': 'Implemented',
  'option.stage.scaled': 'Scaled up',
  'option.stage.completed': 'Completed',
} as const;

export type MessageKey = keyof typeof en;
export type Locale = 'en' | 'fr';
type Dictionary = Partial<Record<MessageKey, string>>;

export const dictionaries: Record<Locale, Dictionary> = {
  en,
  // French comes later; until then every key falls back to English.
  fr: {},
};

let current: Locale = 'en';

export function setLocale(locale: Locale): void {
  current = locale;
}

export function isMessageKey(key: string): key is MessageKey {
  return Object.hasOwn(en, key);
}

/** The message for `key` in the current language (English if missing), with `{name}` filled in. */
export function t(key: MessageKey, params: Record<string, string | number> = {}): string {
  const template = dictionaries[current][key] ?? en[key];
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    Object.hasOwn(params, name) ? String(params[name]) : whole,
  );
}

/** For keys built at run time (e.g. `status.${status}`): falls back to `fallback` if unknown. */
export function tDynamic(key: string, fallback: string): string {
  return isMessageKey(key) ? t(key) : fallback;
}

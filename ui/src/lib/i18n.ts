// Every string the UI shows goes through `t()`. English is the reference; other languages may
// leave keys out and fall back to English. Text from the user or from the catalogs is not here.

import { fr } from './i18n-fr';

const en = {
  'app.name': 'PAKS Desk',
  'app.loading': 'Opening your cases…',
  'app.startupFailed': 'PAKS Desk could not open its data',
  'app.startupHint': 'Your data has not been changed. Close PAKS Desk, fix the problem above and start it again.',
  'app.editProfile': 'Profile',
  'app.skipToContent': 'Skip to content',

  'backup.damagedHeading': 'Your cases’ database is damaged',
  'backup.damaged':
    'PAKS Desk found damage in the file that holds your cases and did not open it, so that nothing more is lost. Put a backup in its place: the damaged file is kept aside in the data folder, never deleted.',
  'backup.notADatabase':
    'The file where PAKS Desk keeps your cases is not a PAKS Desk database (it may be damaged or another kind of file). Put a backup in its place: that file is kept aside in the data folder, never deleted.',
  'backup.details': 'Details',
  'backup.loading': 'Looking for backups…',
  'backup.choose': 'Backups on this computer, newest first. What you changed after the backup you choose is not in it.',
  'backup.none':
    'There is no backup on this computer yet. Do not delete the data folder: close PAKS Desk and ask your IT support or the PAKS team for help.',
  'backup.kind.daily': 'daily backup',
  'backup.kind.before_migration': 'before an update of PAKS Desk',
  'backup.kind.manual': 'made on request',
  'backup.restore': 'Put this backup back',
  'backup.restoring': 'Putting it back…',

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
  'cases.more': 'Show {n} more',
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

  'nav.cases': 'Cases',
  'nav.outbox': 'Outbox',
  'nav.settings': 'Settings',

  'net.online': 'PAKS connected',
  'net.unreachable': 'PAKS unreachable',
  'net.notConnected': 'Not connected to PAKS',
  'net.unknown': 'Checking PAKS…',

  'search.label': 'Search cases and their files',
  'search.placeholder': 'A word from a case, a slide or a report…',
  'search.none': 'Nothing matches “{query}”.',
  'search.inFile': '{name}, {unit} {n}',
  'filter.all': 'All',
  'filter.goal': 'MDG goal',
  'filter.goalN': 'Goal {n}',
  'cases.noneFiltered': 'No case matches these filters.',
  'cases.sending': 'Sending {percent}%',
  'cases.waitingNetwork': 'Waiting for PAKS',
  'cases.needsAttention': 'Needs your attention',

  'files.heading': 'Files',
  'files.intro': 'Drop slides, PDFs or documents on this window, or choose them.',
  'files.add': 'Attach files…',
  'files.attaching': 'Attaching…',
  'files.none': 'No files attached.',
  'files.already': '{name} was already attached to this case.',
  'files.units': '{n} × {unit}',
  'files.uploadTime': 'about {time} to send',
  'files.open': 'Open',
  'files.remove': 'Remove',
  'files.removeLabel': 'Remove {name}',
  'files.removeConfirm': 'Remove this file from the case?',
  'files.removeYes': 'Yes, remove',
  'files.removeNo': 'Keep it',

  'submit.heading': 'Send to PAKS',
  'submit.intro': 'One click: the case and its files are kept safe on this computer and sent as soon as PAKS can be reached.',
  'submit.button': 'Submit to PAKS',
  'submit.refused': 'This case cannot be sent yet.',
  'submit.progressLabel': 'Sent so far',
  'submit.bytes': '{percent}% confirmed by PAKS',
  'submit.left': '{time} left',

  'job.queued': 'Waiting to be sent',
  'job.uploading': 'Sending',
  'job.waiting_network': 'Waiting for a connection to PAKS; it will send by itself',
  'job.retry_scheduled': 'Will try again at {time}',
  'job.needs_attention': 'Needs your attention',
  'job.done': 'Received by PAKS',

  'outbox.heading': 'Outbox',
  'outbox.empty': 'Nothing waits to be sent.',
  'outbox.sendNow': 'Send now',
  'outbox.retry': 'Retry now',
  'outbox.cancel': 'Cancel sending',
  'outbox.received': 'Received by PAKS',

  'receipt.received': 'Received by {server}',
  'receipt.id': 'Receipt',
  'receipt.time': 'Received at',
  'receipt.caseChecksum': 'Case SHA-256',
  'receipt.status': 'Status at PAKS: {status}',
  'receipt.checkNow': 'Check status now',
  'receipt.newVersion': 'Edit and resubmit',

  'review.received': 'Received',
  'review.under_review': 'Under review',
  'review.published': 'Published',
  'review.changes_requested': 'Changes requested',

  'revisions.heading': 'Revisions',
  'revisions.none': 'No earlier versions yet.',
  'revisions.changed': 'Changed: {fields}',
  'revisions.chars': 'characters',
  'revisions.restore': 'Restore this version',
  'revisions.kind.autosave': 'while typing',
  'revisions.kind.checkpoint': 'checkpoint',
  'revisions.kind.before_restore': 'before a restore',
  'revisions.kind.restored': 'restored',

  // Updates of PAKS Desk itself (the updates branch).
  'update.heading': 'Updates',
  'update.check': 'Check for an update',
  'update.none': 'This is the newest PAKS Desk.',
  'update.available': 'PAKS Desk {version} is available ({size}).',
  'update.download': 'Download',
  'update.downloading': 'Downloading the update',
  'update.ready': 'The update is downloaded and its signature checked. PAKS Desk closes and opens again when it is installed; your cases are kept.',
  'update.install': 'Install and restart',
  'update.error.update_signature_bad': 'The update PAKS offered is not signed by the PAKS Desk team, so it was deleted and not installed. The version you have keeps working; tell the PAKS team.',
  'update.error.update_install_failed': 'The update could not be installed. The version you have keeps working.',
  'update.error.update_not_downloaded': 'The update is not downloaded yet: download it first.',
  'update.error.not_connected': 'Updates come from PAKS: connect to PAKS first.',
  'settings.heading': 'Settings',
  'settings.paks': 'PAKS',
  'settings.notConnected': 'Not connected yet. Enter the PAKS address and the token your PAKS operator gave you.',
  'settings.connectedTo': 'Connected to {name} ({url}).',
  'settings.url': 'PAKS address',
  'settings.token': 'Token',
  'settings.connect': 'Check and connect',
  'settings.checking': 'Checking…',
  'settings.connected': 'Connected to {name}.',
  'settings.keyChanged': 'As you confirmed, the new key of this PAKS is now trusted.',
  'settings.keyChangedQuestion': 'PAKS at {url} now signs with another key ({new}) than the one this app trusts ({old}). The PAKS team may have changed its key, or another server may be answering in its place; nothing was sent to it, not even your token. Ask your PAKS operator whether the key is now {new} before you accept it.',
  'settings.acceptNewKey': 'The PAKS team confirmed it: trust key {key}',
  'settings.keepOldKey': 'Do not connect',
  'settings.insecureAddress': 'This address starts with http://, so your token would cross the network unencrypted. Use the https:// address your PAKS operator gave you (http:// is only for a PAKS on this computer).',
  'settings.sending': 'Sending',
  'settings.autoSend': 'Send automatically when PAKS can be reached',
  'settings.proxy': 'Proxy (optional)',
  'settings.proxyHint': 'Leave empty to use the system proxy.',
  'settings.bandwidth': 'Upload limit in kbit/s (optional)',
  'settings.bandwidthHint': 'Keeps room for colleagues on a shared office link. Empty: no limit.',
  'settings.bandwidthInvalid': 'The upload limit must be a whole number of kbit/s.',
  'settings.save': 'Save',
  'settings.saved': 'Saved.',
  'settings.language': 'Language',

  'bag.heading': 'Hand-carry',
  'bag.intro': 'No connection for a while? Save this case with its files as one file (a BagIt package) for a USB stick. PAKS takes it exactly as if it had been sent.',
  'bag.export': 'Save for hand-carrying…',
  'bag.exporting': 'Saving…',
  'bag.saved': 'Saved to {path} ({files} files).',
  'bag.waiting': 'Version {version}, saved {date}: not at PAKS yet. PAKS Desk asks PAKS again whenever it is online.',
  'bag.received': 'Version {version}, saved {date}: {outcome}',
  'bag.open': 'Open a colleague’s case…',
  'bag.opened': 'Opened as a new draft with {files} files.',
} as const;

export type MessageKey = keyof typeof en;
export type Locale = 'en' | 'fr';
type Dictionary = Partial<Record<MessageKey, string>>;

export const dictionaries: Record<Locale, Dictionary> = { en, fr };

let current: Locale = 'en';

export function setLocale(locale: Locale): void {
  current = locale;
}

export function getLocale(): Locale {
  return current;
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

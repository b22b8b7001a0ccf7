// The one module that talks to the Rust side. Every command is typed with the bindings that
// ts-rs generates from the Rust types (src/lib/bindings, do not edit), and every failure reaches
// the caller as a `DeskError` with a stable `code` and a `message` written for the user.

import { invoke } from '@tauri-apps/api/core';

import type { Attached } from './bindings/Attached';
import type { Attachment } from './bindings/Attachment';
import type { BackupInfo } from './bindings/BackupInfo';
import type { BagOpened } from './bindings/BagOpened';
import type { BagWritten } from './bindings/BagWritten';
import type { CarriedBag } from './bindings/CarriedBag';
import type { Case } from './bindings/Case';
import type { CaseFiles } from './bindings/CaseFiles';
import type { ConnectedView } from './bindings/ConnectedView';
import type { Connectivity } from './bindings/Connectivity';
import type { OutboxItem } from './bindings/OutboxItem';
import type { SearchHit } from './bindings/SearchHit';
import type { SendingSettings } from './bindings/SendingSettings';
import type { CaseField } from './bindings/CaseField';
import type { CaseFilter } from './bindings/CaseFilter';
import type { CaseSummary } from './bindings/CaseSummary';
import type { CommandError } from './bindings/CommandError';
import type { Country } from './bindings/Country';
import type { DocumentFormat } from './bindings/DocumentFormat';
import type { DocumentWritten } from './bindings/DocumentWritten';
import type { FieldInfo } from './bindings/FieldInfo';
import type { LibraryCase } from './bindings/LibraryCase';
import type { LibraryFilter } from './bindings/LibraryFilter';
import type { LibraryHit } from './bindings/LibraryHit';
import type { LibraryState } from './bindings/LibraryState';
import type { LikeCase } from './bindings/LikeCase';
import type { Framework } from './bindings/Framework';
import type { LinkInput } from './bindings/LinkInput';
import type { MdgCatalog } from './bindings/MdgCatalog';
import type { MdgIndicator } from './bindings/MdgIndicator';
import type { MdgTarget } from './bindings/MdgTarget';
import type { MissingItem } from './bindings/MissingItem';
import type { PageMarks } from './bindings/PageMarks';
import type { Profile } from './bindings/Profile';
import type { Revision } from './bindings/Revision';
import type { SavedField } from './bindings/SavedField';
import type { SdgCatalog } from './bindings/SdgCatalog';
import type { SdgSuggestion } from './bindings/SdgSuggestion';
import type { UpdateOffer } from './bindings/UpdateOffer';
import type { UpdateProgress } from './bindings/UpdateProgress';

export type {
  Attached,
  Attachment,
  BackupInfo,
  BagOpened,
  BagWritten,
  CarriedBag,
  Case,
  CaseField,
  CaseFiles,
  CaseSummary,
  CommandError,
  ConnectedView,
  Connectivity,
  Country,
  DocumentFormat,
  DocumentWritten,
  FieldInfo,
  Framework,
  LibraryCase,
  LibraryFilter,
  LibraryHit,
  LibraryState,
  LikeCase,
  LinkInput,
  MdgCatalog,
  MdgIndicator,
  MdgTarget,
  MissingItem,
  OutboxItem,
  Profile,
  Revision,
  SavedField,
  SdgCatalog,
  SdgSuggestion,
  SearchHit,
  SendingSettings,
  UpdateOffer,
  UpdateProgress,
};

/** A failed command, as the UI handles it. */
export class DeskError extends Error implements CommandError {
  readonly code: string;
  readonly params: CommandError['params'];

  constructor({ code, message, params }: CommandError) {
    super(message);
    this.name = 'DeskError';
    this.code = code;
    this.params = params;
  }
}

function asParams(value: unknown): CommandError['params'] {
  if (typeof value !== 'object' || value === null) return {};
  return Object.fromEntries(
    Object.entries(value).filter(
      ([, v]) => typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v)),
    ),
  );
}

function asCommandError(value: unknown): CommandError | null {
  if (typeof value !== 'object' || value === null) return null;
  const { code, message, params } = value as Record<string, unknown>;
  if (typeof code !== 'string' || typeof message !== 'string') return null;
  return { code, message, params: asParams(params) };
}

/**
 * Whatever a rejected `invoke()` gave (our `CommandError`, a bare string from Tauri itself such
 * as a refused permission, an exception), as `{code, message, params}`; `messageText()` words it.
 */
export function normaliseError(error: unknown): CommandError {
  const known = asCommandError(error);
  if (known) return known;
  if (typeof error === 'string' && error.trim() !== '') {
    return { code: 'ipc', message: error, params: {} };
  }
  if (error instanceof Error && error.message !== '') {
    return { code: 'ipc', message: error.message, params: {} };
  }
  return { code: 'unknown', message: 'unexpected error', params: {} };
}

/** Calls a command; rejects with a `DeskError` only. */
export async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (error) {
    throw new DeskError(normaliseError(error));
  }
}

// Arguments are named as in Rust (the commands use `rename_all = "snake_case"`).
export const ipc = {
  startupError: () => call<CommandError | null>('startup_error'),
  backupList: () => call<BackupInfo[]>('backup_list'),
  backupRestore: (name: string | null) => call<BackupInfo>('backup_restore', { name }),

  profileGet: () => call<Profile | null>('profile_get'),
  profileSet: (profile: Profile) => call<Profile>('profile_set', { profile }),

  caseList: (filter: CaseFilter | null = null) => call<CaseSummary[]>('case_list', { filter }),
  caseCreate: (title: string, country: string | null) =>
    call<Case>('case_create', { title, country }),
  caseGet: (id: number) => call<Case>('case_get', { id }),
  caseSetField: (id: number, field: CaseField, value: string) =>
    call<SavedField>('case_set_field', { id, field, value }),
  caseLinkGoal: (id: number, link: LinkInput) => call<Case>('case_link_goal', { id, link }),
  caseUnlinkGoal: (id: number, framework: Framework, target: string, indicator: string | null) =>
    call<Case>('case_unlink_goal', { id, framework, target, indicator }),
  caseMissing: (id: number) => call<MissingItem[]>('case_missing', { id }),
  caseSuggestedSdg: (id: number) => call<SdgSuggestion[]>('case_suggested_sdg', { id }),

  catalogFields: () => call<FieldInfo[]>('catalog_fields'),
  catalogMdg: () => call<MdgCatalog>('catalog_mdg'),
  catalogSdg: () => call<SdgCatalog>('catalog_sdg'),
  catalogCountries: () => call<Country[]>('catalog_countries'),
  catalogCrosswalkNotice: () => call<string>('catalog_crosswalk_notice'),

  revisionList: (caseId: number) => call<Revision[]>('revision_list', { case_id: caseId }),
  revisionRestore: (caseId: number, revisionId: number) =>
    call<Case>('revision_restore', { case_id: caseId, revision_id: revisionId }),

  attachmentList: (caseId: number) => call<CaseFiles>('attachment_list', { case_id: caseId }),
  attachmentPick: (caseId: number) => call<Attached[]>('attachment_pick', { case_id: caseId }),
  attachmentAddDropped: (caseId: number, dropId: number) =>
    call<Attached[]>('attachment_add_dropped', { case_id: caseId, drop_id: dropId }),
  attachmentRemove: (caseId: number, sha256: string) =>
    call<null>('attachment_remove', { case_id: caseId, sha256 }),
  attachmentOpen: (caseId: number, sha256: string) =>
    call<null>('attachment_open', { case_id: caseId, sha256 }),
  attachmentStopReading: (sha256: string) => call<boolean>('attachment_stop_reading', { sha256 }),

  search: (text: string, filter: CaseFilter | null = null) =>
    call<SearchHit[]>('search', { text, filter }),

  librarySync: () => call<LibraryState>('library_sync'),
  libraryState: () => call<LibraryState>('library_state'),
  librarySearch: (text: string, filter: LibraryFilter | null = null) =>
    call<LibraryHit[]>('library_search', { text, filter }),
  libraryCase: (id: string) => call<LibraryCase>('library_case', { id }),
  libraryLike: (caseId: number) => call<LikeCase[]>('library_like', { case_id: caseId }),
  libraryOpenFile: (id: string, position: number) =>
    call<null>('library_open_file', { id, position }),
  libraryStorageCapSet: (megabytes: number) =>
    call<LibraryState>('library_storage_cap_set', { megabytes }),

  syncSettingsGet: () => call<SendingSettings>('sync_settings_get'),
  syncSettingsSet: (proxy: string | null, bandwidthKbps: number | null, autoSend: boolean) =>
    call<SendingSettings>('sync_settings_set', {
      proxy,
      bandwidth_kbps: bandwidthKbps,
      auto_send: autoSend,
    }),
  syncConnect: (url: string, token: string, acceptNewKey = false) =>
    call<ConnectedView>('sync_connect', { url, token, accept_new_key: acceptNewKey }),
  syncConnectivity: () => call<Connectivity>('sync_connectivity'),
  syncNow: () => call<null>('sync_now'),

  caseSubmit: (id: number) => call<OutboxItem>('case_submit', { id }),
  caseNewVersion: (id: number) => call<Case>('case_new_version', { id }),
  outboxList: () => call<OutboxItem[]>('outbox_list'),
  outboxRetry: (jobId: number) => call<null>('outbox_retry', { job_id: jobId }),
  outboxCancel: (jobId: number) => call<Case>('outbox_cancel', { job_id: jobId }),

  caseExportBag: (id: number) => call<BagWritten | null>('case_export_bag', { id }),
  bagOpen: () => call<BagOpened | null>('bag_open'),
  caseBags: (id: number) => call<CarriedBag[]>('case_bags', { id }),

  caseExportDocument: (id: number, format: DocumentFormat, title: string) =>
    call<DocumentWritten | null>('case_export_document', { id, format, title }),
  caseDocumentOpen: (path: string) => call<null>('case_document_open', { path }),

  uiLocaleSet: (locale: string) => call<null>('ui_locale_set', { locale }),
  systemLocales: () => call<string[]>('system_locales'),
  updateCheck: () => call<UpdateOffer | null>('update_check'),
  updateDownload: (offer: UpdateOffer) => call<null>('update_download', { offer }),
  updateInstall: (offer: UpdateOffer) => call<null>('update_install', { offer }),

  windowCloseReady: () => call<null>('window_close_ready'),
  startupListShown: (marks: PageMarks) => call<null>('startup_list_shown', { marks }),
};

// The app's events from the Rust side, typed with the generated bindings.

import { listen, type UnlistenFn } from '@tauri-apps/api/event';

import type { AttachmentIndexed } from './bindings/AttachmentIndexed';
import type { AttachmentReading } from './bindings/AttachmentReading';
import type { BagProgress } from './bindings/BagProgress';
import type { FilesDropped } from './bindings/FilesDropped';
import type { LibraryFileProgress } from './bindings/LibraryFileProgress';
import type { LibrarySyncUpdate } from './bindings/LibrarySyncUpdate';
import type { SyncUpdate } from './bindings/SyncUpdate';
import type { UpdateProgress } from './bindings/UpdateProgress';

export type { LibraryFileProgress, LibrarySyncUpdate, SyncUpdate };
export type SendProgress = Extract<SyncUpdate, { kind: 'progress' }>['progress'];

function on<T>(name: string, handler: (payload: T) => void): Promise<UnlistenFn> {
  return listen<T>(name, (event) => handler(event.payload));
}

export const events = {
  sync: (handler: (update: SyncUpdate) => void) => on('sync', handler),
  attachmentIndexed: (handler: (indexed: AttachmentIndexed) => void) =>
    on('attachment-indexed', handler),
  attachmentReading: (handler: (reading: AttachmentReading) => void) =>
    on('attachment-reading', handler),
  filesDropped: (handler: (dropped: FilesDropped) => void) => on('files-dropped', handler),
  closeRequested: (handler: () => void) => on('close-requested', handler),
  bagProgress: (handler: (progress: BagProgress) => void) => on('bag-progress', handler),
  updateProgress: (handler: (progress: UpdateProgress) => void) => on('update-progress', handler),
  librarySync: (handler: (update: LibrarySyncUpdate) => void) => on('library-sync', handler),
  libraryFileProgress: (handler: (progress: LibraryFileProgress) => void) =>
    on('library-file-progress', handler),
};

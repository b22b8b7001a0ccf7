// When the page reached each step of its start, reported with the first case list shown (the
// app logs them; the launch benchmark reads them).

import type { PageMarks } from './bindings/PageMarks';

const now = () => performance.timeOrigin + performance.now();

export const pageMarks: PageMarks = {
  navigation_started: performance.timeOrigin,
  script_started: now(),
  data_loaded: 0,
  list_rendered: 0,
  frame_started: 0,
  frame_done: 0,
};

export function markDataLoaded(): void {
  pageMarks.data_loaded = now();
}

/** Marks the list in the document, then its frame, and passes the marks on once it is painted. */
export function markListRendered(painted: (marks: PageMarks) => void): void {
  pageMarks.list_rendered = now();
  requestAnimationFrame(() => {
    pageMarks.frame_started = now();
    setTimeout(() => {
      pageMarks.frame_done = now();
      painted(pageMarks);
    }, 0);
  });
}

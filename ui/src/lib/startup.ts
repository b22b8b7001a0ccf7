// The page's start: the first cases, asked for with everything else the first screen needs and
// handed to the case list; and when the page reached each step of its start, reported with the
// first case list shown (the app logs them; the launch benchmark reads them).

import type { CaseFilter } from './bindings/CaseFilter';
import type { PageMarks } from './bindings/PageMarks';
import type { CaseSummary } from './ipc';

/** Cases the list shows at first and adds with each "Show more": a screenful or two renders fast. */
export const CASE_PAGE = 50;

/** The first page unfiltered, one more than shown to learn whether more follow. */
export const firstCasePage: CaseFilter = {
  country: null,
  status: null,
  mdg: null,
  limit: CASE_PAGE + 1,
  offset: 0,
};

/** The first page (asked for with `firstCasePage`), until the case list takes it. */
let firstCases: CaseSummary[] | null = null;

/** Lets the app fetch the first cases while it loads the rest, saving a round trip. */
export function handOverFirstCases(cases: CaseSummary[]): void {
  firstCases = cases;
}

/** The first page handed over, once; `null` after that or if none was. */
export function takeFirstCases(): CaseSummary[] | null {
  const cases = firstCases;
  firstCases = null;
  return cases;
}

let listReported = false;

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

/**
 * Marks the list in the document, then its frame, and passes the marks on once it is painted;
 * only the first time in this run (later lists are not the start).
 */
export function markListRendered(painted: (marks: PageMarks) => void): void {
  if (listReported) return;
  listReported = true;
  pageMarks.list_rendered = now();
  requestAnimationFrame(() => {
    pageMarks.frame_started = now();
    setTimeout(() => {
      pageMarks.frame_done = now();
      painted(pageMarks);
    }, 0);
  });
}

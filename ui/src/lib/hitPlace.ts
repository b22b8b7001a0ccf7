// Where a search hit is, in words: a field's name, or a file's page or slide (and how sure OCR
// was, for a scan). The user's own search and the library's show hits alike.

import type { HitPlace } from './bindings/HitPlace';
import { t, tDynamic } from './i18n';

export function hitPlaceWords(place: HitPlace): string {
  if (place.kind === 'field') return tDynamic(`field.${place.field}`, place.field);
  const inFile = t('search.inFile', { name: place.name, unit: place.unit_label, n: place.unit });
  const scan = place.scan;
  if (!scan) return inFile;
  if (scan.confidence === null) return t('search.fromScan', { place: inFile });
  return t('search.fromScanSure', { place: inFile, confidence: scan.confidence });
}

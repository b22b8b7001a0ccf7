import type { Country, FieldInfo, MdgCatalog, SdgCatalog } from './ipc';

/** Everything the UI looks up and never changes while the app runs. */
export interface Catalogs {
  countries: Country[];
  fields: FieldInfo[];
  mdg: MdgCatalog;
  sdg: SdgCatalog;
  crosswalkNotice: string;
}

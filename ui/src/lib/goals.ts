import type { MdgCatalog, MdgIndicator, MdgTarget, SdgCatalog } from './ipc';

/** The indicators linkable from an MDG target: its own, then those it shares with a sibling. */
export function mdgIndicatorsOf(catalog: MdgCatalog, target: MdgTarget): MdgIndicator[] {
  const all = catalog.goals.flatMap((g) => g.targets.flatMap((tg) => tg.indicators));
  const shared = target.shared_indicator_ids
    .map((id) => all.find((indicator) => indicator.id === id))
    .filter((indicator): indicator is MdgIndicator => indicator !== undefined);
  return [...target.indicators, ...shared];
}

/** The official wording of an SDG target, or '' if the catalog does not have it. */
export function sdgTargetText(catalog: SdgCatalog, id: string): string {
  const wanted = id.toLowerCase();
  for (const goal of catalog.goals) {
    const found = goal.targets.find((target) => target.id.toLowerCase() === wanted);
    if (found) return found.text;
  }
  return '';
}

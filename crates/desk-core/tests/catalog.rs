#![allow(clippy::unwrap_used)] // Test helpers outside #[test] fns; a panic is the failure report.
use std::collections::HashSet;

use desk_core::catalog::{self, countries, mdg, sdg, suggest_sdg_targets, target_pairs};

#[test]
fn mdg_framework_has_8_goals_21_targets_60_indicators() {
    let mdg = mdg();
    assert_eq!(mdg.revision, "2008-01-15");
    assert_eq!(mdg.goals.len(), 8);
    assert_eq!(mdg.targets().count(), 21);
    assert_eq!(mdg.indicators().count(), 60);
    let target_ids: HashSet<_> = mdg.targets().map(|t| t.id.as_str()).collect();
    assert_eq!(target_ids.len(), 21, "target ids are unique");
    let indicator_ids: HashSet<_> = mdg.indicators().map(|i| i.id.as_str()).collect();
    assert_eq!(indicator_ids.len(), 60, "indicator ids are unique");
    assert!(mdg.target("8.F").unwrap().text.contains("information and communications"));
}

#[test]
fn shared_indicators_are_linkable_from_every_target_they_serve() {
    let mdg = mdg();
    for target in ["7.A", "7.B"] {
        let ids: Vec<_> =
            mdg.indicators_of(mdg.target(target).unwrap()).iter().map(|i| i.id.clone()).collect();
        for n in 1..=7 {
            assert!(ids.contains(&format!("7.{n}")), "{target} must offer 7.{n}: {ids:?}");
        }
    }
    for target in ["8.A", "8.B", "8.C", "8.D"] {
        let ids: Vec<_> =
            mdg.indicators_of(mdg.target(target).unwrap()).iter().map(|i| i.id.clone()).collect();
        for n in 1..=12 {
            assert!(ids.contains(&format!("8.{n}")), "{target} must offer 8.{n}: {ids:?}");
        }
    }
    let f: Vec<_> =
        mdg.indicators_of(mdg.target("8.F").unwrap()).iter().map(|i| i.id.clone()).collect();
    assert_eq!(f, ["8.14", "8.15", "8.16"]);
}

#[test]
fn sdg_framework_has_17_goals_and_169_targets() {
    let sdg = sdg();
    assert_eq!(sdg.goals.len(), 17);
    assert_eq!(sdg.targets().count(), 169);
    let ids: HashSet<_> = sdg.targets().map(|t| t.id.as_str()).collect();
    assert_eq!(ids.len(), 169);
}

#[test]
fn every_crosswalk_id_exists_in_both_frameworks() {
    let mut pairs = 0;
    for (mdg_target, sdg_target) in target_pairs() {
        assert!(mdg().target(mdg_target).is_some(), "unknown MDG target {mdg_target}");
        assert!(sdg().target(sdg_target).is_some(), "unknown SDG target {sdg_target}");
        pairs += 1;
    }
    assert!(pairs >= 21, "every MDG target maps somewhere ({pairs} pairs)");
    for target in mdg().targets() {
        assert!(
            !suggest_sdg_targets(&[target.id.as_str()]).is_empty(),
            "MDG {} has no SDG suggestion",
            target.id
        );
    }
}

#[test]
fn suggestions_merge_without_repeats() {
    let one = suggest_sdg_targets(&["8.F"]);
    assert!(one.iter().any(|s| s.sdg_target == "9.c"), "{one:?}");
    let two = suggest_sdg_targets(&["8.F", "8.f", "1.A"]);
    let ids: HashSet<_> = two.iter().map(|s| s.sdg_target.as_str()).collect();
    assert_eq!(ids.len(), two.len(), "no repeats");
    assert!(catalog::CROSSWALK_NOTICE.contains("not an official"));
}

#[test]
fn escap_has_53_members_and_9_associates_with_flags() {
    let list = countries();
    assert_eq!(list.iter().filter(|c| c.membership == "member").count(), 53);
    assert_eq!(list.iter().filter(|c| c.membership == "associate member").count(), 9);
    let iso3: HashSet<_> = list.iter().map(|c| c.iso3.as_str()).collect();
    assert_eq!(iso3.len(), 62, "ISO codes are unique");
    let lao = catalog::country("lao").unwrap();
    assert!(lao.lldc && !lao.sids);
    let kiribati = catalog::country("KIR").unwrap();
    assert!(kiribati.sids && kiribati.ldc);
    let bhutan = catalog::country("BTN").unwrap();
    assert!(bhutan.lldc && !bhutan.ldc, "Bhutan graduated from LDC status in 2023");
    assert!(catalog::country("FRA").is_some(), "non-regional members are listed");
    assert!(catalog::country("DEU").is_none());
}

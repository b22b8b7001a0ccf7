#![allow(clippy::unwrap_used)] // Test helpers outside #[test] fns; a panic is the failure report.
use std::sync::Arc;

use desk_core::clock::ManualClock;
use desk_core::{
    CaseField, CaseFilter, CaseStatus, Error, Framework, LinkInput, Profile, RevisionKind, Store,
};

fn open() -> (tempfile::TempDir, Store, Arc<ManualClock>) {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(1_700_000_000_000));
    let store = Store::open_with_clock(dir.path(), clock.clone()).unwrap();
    (dir, store, clock)
}

fn mdg(target: &str, indicator: Option<&str>, note: &str) -> LinkInput {
    LinkInput {
        framework: Framework::Mdg,
        target: target.into(),
        indicator: indicator.map(Into::into),
        note: note.into(),
    }
}

fn complete_case(store: &Store) -> i64 {
    let case = store.create_case("Lao e-Census", Some("LAO")).unwrap();
    for field in [CaseField::Summary, CaseField::Problem, CaseField::Solution, CaseField::Results] {
        store.set_field(case.id, field, &format!("{} text", field.label())).unwrap();
    }
    store.link_goal(case.id, &mdg("8.F", Some("8.16"), "Puts census forms online")).unwrap();
    case.id
}

#[test]
fn a_saved_field_is_there_after_reopening() {
    let (dir, store, _) = open();
    let case = store.create_case("  Bhutan birth registration ", Some("btn")).unwrap();
    assert_eq!(case.field(CaseField::Title), "Bhutan birth registration");
    assert_eq!(case.field(CaseField::Country), "BTN");
    let saved =
        store.set_field(case.id, CaseField::Summary, "Births are registered by SMS.").unwrap();
    assert_eq!(saved.words, 5);
    assert!(!saved.advisory_exceeded);
    drop(store);

    let store = Store::open(dir.path()).unwrap();
    let case = store.case(case.id).unwrap();
    assert_eq!(case.field(CaseField::Summary), "Births are registered by SMS.");
    assert_eq!(store.integrity_check().unwrap(), "ok");
}

#[test]
fn saving_bumps_updated_at_and_flags_advisory_limits() {
    let (_dir, store, clock) = open();
    let case = store.create_case("Kiribati", Some("KIR")).unwrap();
    clock.advance_secs(10);
    let long = "word ".repeat(301);
    let saved = store.set_field(case.id, CaseField::Summary, &long).unwrap();
    assert_eq!(saved.updated_at, case.updated_at + 10_000);
    assert!(saved.advisory_exceeded, "301 words is over the 300-word advice, yet saved");
    assert_eq!(store.case(case.id).unwrap().field(CaseField::Summary), long);
}

#[test]
fn completeness_names_what_is_missing() {
    let (_dir, store, _) = open();
    let case = store.create_case("", None).unwrap();
    let missing = store.case(case.id).unwrap().missing();
    let labels: Vec<&str> = missing.iter().map(|m| m.label()).collect();
    assert_eq!(
        labels,
        [
            "Title",
            "Country",
            "Summary",
            "Problem",
            "Solution",
            "Results and impact",
            "MDG target with a contribution note"
        ]
    );
    let json = serde_json::to_value(&missing).unwrap();
    assert_eq!(json[2], serde_json::json!({"code": "missing_field", "field": "summary"}));
    assert_eq!(json[6], serde_json::json!({"code": "mdg_link", "field": null}));
    let id = complete_case(&store);
    assert!(store.case(id).unwrap().missing().is_empty());

    store.link_goal(id, &mdg("8.F", Some("8.16"), "  ")).unwrap();
    let missing = store.case(id).unwrap().missing();
    assert_eq!(missing.len(), 1, "a link without a note does not count: {missing:?}");
    assert_eq!(missing[0].code, desk_core::MissingCode::MdgNote);
}

#[test]
fn queuing_refuses_an_incomplete_case_and_says_why() {
    let (_dir, store, _) = open();
    let case = store.create_case("Nepal e-procurement", Some("NPL")).unwrap();
    let err = store.set_status(case.id, CaseStatus::Queued).unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, Error::Incomplete(ref items) if items.len() == 5), "{err:?}");
    assert!(message.contains("Summary") && message.contains("MDG target"), "{message}");
    assert_eq!(store.case(case.id).unwrap().status, CaseStatus::Draft);
}

#[test]
fn lifecycle_freezes_a_sent_case_and_versions_it() {
    let (_dir, store, _) = open();
    let id = complete_case(&store);
    store.set_status(id, CaseStatus::Queued).unwrap();
    let err = store.set_field(id, CaseField::Summary, "late edit").unwrap_err();
    assert!(matches!(err, Error::CaseLocked { .. }), "{err:?}");
    store.record_submission(id, "sub-123").unwrap();
    store.record_review(id, CaseStatus::ChangesRequested, "Add figures").unwrap();
    assert!(store.set_field(id, CaseField::Summary, "edit").is_err());

    let next = store.new_version(id).unwrap();
    assert_eq!(next.version, 2);
    assert_eq!(next.uid, store.case(id).unwrap().uid);
    assert_eq!(next.follows_submission.as_deref(), Some("sub-123"));
    assert_eq!(next.status, CaseStatus::Draft);
    assert_eq!(next.mdg_links.len(), 1, "links travel to the new version");
    assert_eq!(next.field(CaseField::Summary), "Summary text");
    store.set_field(next.id, CaseField::Results, "Figures added").unwrap();
    assert_eq!(store.new_version(id).unwrap().id, next.id, "asking twice reuses the new version");

    let list = store.list_cases(&CaseFilter::default()).unwrap();
    assert_eq!(list.len(), 1, "the list shows the newest version only");
    assert_eq!(list[0].version, 2);
    assert_eq!(store.case(id).unwrap().field(CaseField::Results), "Results and impact text");

    let draft = store.create_case("x", None).unwrap();
    assert!(matches!(store.new_version(draft.id), Err(Error::InvalidTransition { .. })));
    assert!(matches!(
        store.set_status(draft.id, CaseStatus::Published),
        Err(Error::InvalidTransition { .. })
    ));
}

#[test]
fn links_are_checked_against_the_catalogs() {
    let (_dir, store, _) = open();
    let case = store.create_case("x", None).unwrap();
    assert!(matches!(
        store.link_goal(case.id, &mdg("8.Z", None, "")),
        Err(Error::UnknownTarget(..))
    ));
    assert!(matches!(
        store.link_goal(case.id, &mdg("8.F", Some("1.1"), "")),
        Err(Error::IndicatorNotInTarget { .. })
    ));
    // 7.1-7.7 are listed under 7.A but serve 7.B too.
    let case_after = store.link_goal(case.id, &mdg("7.b", Some("7.6"), "protected areas")).unwrap();
    assert_eq!(case_after.mdg_links[0].target, "7.B");
    assert_eq!(case_after.mdg_links[0].indicator.as_deref(), Some("7.6"));
    // Linking the same target again updates the note.
    let again = store.link_goal(case.id, &mdg("7.B", Some("7.6"), "updated")).unwrap();
    assert_eq!(again.mdg_links.len(), 1);
    assert_eq!(again.mdg_links[0].note, "updated");

    store.link_goal(case.id, &mdg("8.F", None, "ICT")).unwrap();
    let suggested = store.suggested_sdg_targets(case.id).unwrap();
    assert!(suggested.iter().any(|s| s.sdg_target == "9.c" && s.because_of == ["8.F"]));
    let sdg = LinkInput {
        framework: Framework::Sdg,
        target: "9.C".into(),
        indicator: None,
        note: String::new(),
    };
    store.link_goal(case.id, &sdg).unwrap();
    let suggested = store.suggested_sdg_targets(case.id).unwrap();
    assert!(
        !suggested.iter().any(|s| s.sdg_target == "9.c"),
        "linked targets are no longer suggested"
    );
    let bad_sdg = LinkInput { target: "18.1".into(), ..sdg };
    assert!(matches!(store.link_goal(case.id, &bad_sdg), Err(Error::UnknownTarget(..))));

    let unlinked = store.unlink_goal(case.id, Framework::Mdg, "7.B", Some("7.6")).unwrap();
    assert_eq!(unlinked.mdg_links.len(), 1);
}

#[test]
fn rapid_edits_coalesce_and_restore_keeps_the_current_state() {
    let (_dir, store, clock) = open();
    let case = store.create_case("Revisions", Some("LAO")).unwrap();
    for n in 0..20 {
        clock.advance_secs(5);
        store.set_field(case.id, CaseField::Summary, &format!("draft {n}")).unwrap();
    }
    let revisions = store.revisions(case.id).unwrap();
    assert_eq!(revisions.len(), 1, "100 s of typing is one revision");

    clock.advance_secs(600);
    store.set_field(case.id, CaseField::Summary, "the second morning's text").unwrap();
    let revisions = store.revisions(case.id).unwrap();
    assert_eq!(revisions.len(), 2);
    assert_eq!(revisions[0].changed_fields, [CaseField::Summary]);
    assert_eq!(
        revisions[0].chars_delta,
        "the second morning's text".len() as i64 - "draft 19".len() as i64
    );

    let first = revisions[1].id;
    let restored = store.restore_revision(case.id, first).unwrap();
    assert_eq!(restored.field(CaseField::Summary), "draft 19");
    let revisions = store.revisions(case.id).unwrap();
    assert_eq!(revisions[0].kind, RevisionKind::Restored);
    assert_eq!(revisions[1].kind, RevisionKind::BeforeRestore);
    let kept = store.revision_snapshot(case.id, revisions[1].id).unwrap();
    assert_eq!(kept.fields[&CaseField::Summary], "the second morning's text", "nothing is lost");

    store.checkpoint(case.id, "Sent to the minister").unwrap();
    clock.advance_secs(1);
    store.set_field(case.id, CaseField::Problem, "after checkpoint").unwrap();
    let revisions = store.revisions(case.id).unwrap();
    assert_eq!(revisions[1].kind, RevisionKind::Checkpoint);
    assert_eq!(revisions[0].kind, RevisionKind::Autosave, "a checkpoint closes the open revision");
    assert!(matches!(store.restore_revision(case.id, 9999), Err(Error::RevisionNotFound(9999))));
}

#[test]
fn list_filters_by_country_status_and_mdg() {
    let (_dir, store, clock) = open();
    let lao = complete_case(&store);
    clock.advance_secs(1);
    let npl = store.create_case("Nepal", Some("NPL")).unwrap().id;
    store.link_goal(npl, &mdg("2.A", None, "schools")).unwrap();
    clock.advance_secs(1);
    store.set_status(lao, CaseStatus::Queued).unwrap();

    let all = store.list_cases(&CaseFilter::default()).unwrap();
    assert_eq!(all.iter().map(|c| c.id).collect::<Vec<_>>(), [lao, npl], "newest edit first");
    let by = |filter: CaseFilter| -> Vec<i64> {
        store.list_cases(&filter).unwrap().into_iter().map(|c| c.id).collect()
    };
    assert_eq!(by(CaseFilter { country: Some("npl".into()), ..Default::default() }), [npl]);
    assert_eq!(by(CaseFilter { status: Some(CaseStatus::Queued), ..Default::default() }), [lao]);
    assert_eq!(by(CaseFilter { mdg: Some("8".into()), ..Default::default() }), [lao]);
    assert_eq!(by(CaseFilter { mdg: Some("2.A".into()), ..Default::default() }), [npl]);
    assert_eq!(by(CaseFilter { mdg: Some("1".into()), ..Default::default() }), Vec::<i64>::new());
    assert_eq!(by(CaseFilter { limit: Some(1), offset: Some(1), ..Default::default() }), [npl]);
}

#[test]
fn profile_is_validated_and_kept() {
    let (_dir, store, _) = open();
    assert_eq!(store.profile().unwrap(), None);
    let mut profile = Profile {
        name: "Souphanh Keomany".into(),
        title: "Deputy Director".into(),
        institution: "Ministry of Technology and Communications".into(),
        email: "souphanh@mtc.gov.la".into(),
        country: "lao".into(),
    };
    let saved = store.set_profile(&profile).unwrap();
    assert_eq!(saved.country, "LAO");
    assert_eq!(store.profile().unwrap(), Some(saved));
    profile.email = "not-an-email".into();
    assert!(matches!(store.set_profile(&profile), Err(Error::InvalidValue { field: "Email", .. })));
    profile.email = "a@b.org".into();
    profile.country = "ZZZ".into();
    assert!(matches!(store.set_profile(&profile), Err(Error::UnknownCountry(_))));
    assert_eq!(store.profile().unwrap().unwrap().email, "souphanh@mtc.gov.la");
}

#[test]
fn a_draft_can_be_deleted_but_not_a_sent_case() {
    let (_dir, store, _) = open();
    let draft = store.create_case("scratch", None).unwrap();
    store.delete_draft(draft.id).unwrap();
    assert!(matches!(store.case(draft.id), Err(Error::CaseNotFound(_))));
    let id = complete_case(&store);
    store.set_status(id, CaseStatus::Queued).unwrap();
    assert!(matches!(store.delete_draft(id), Err(Error::CaseLocked { .. })));
}

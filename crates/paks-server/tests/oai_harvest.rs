//! A real OAI-PMH harvester (pyoai 2.5.0, PyPI) harvests the server over HTTP, and every
//! response it gets is validated against the OAI-PMH 2.0 and oai_dc XML schemas (lxml).
//! `scripts/setup-debian.sh test` installs both in `target/oai-venv`; `PAKS_OAI_VENV` may name
//! another. A missing venv fails the test.

#![allow(clippy::unwrap_used)] // Tests: panicking is how a test fails.

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::*;
use paks_protocol::{MdgLink, Receipt, SdgLink, SubmissionState};
use paks_server::operator;

fn oai_venv() -> PathBuf {
    let venv = std::env::var_os("PAKS_OAI_VENV").map(PathBuf::from).unwrap_or_else(|| {
        let mut dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        while !dir.join("Cargo.lock").exists() {
            assert!(dir.pop(), "no workspace root");
        }
        dir.join("target/oai-venv")
    });
    assert!(
        venv.join("schemas/OAI-PMH.xsd").is_file() && venv.join("bin/python3").is_file(),
        "{} lacks pyoai and the OAI-PMH schemas: run `scripts/setup-debian.sh test` or set \
         PAKS_OAI_VENV",
        venv.display()
    );
    venv
}

#[tokio::test]
async fn pyoai_harvests_every_record_through_resumption_tokens_and_every_answer_is_schema_valid() {
    let venv = oai_venv();
    let s = TestServer::start_with(|c| c.oai_page_size = 2).await;
    let lao = s.focal_point("LAO");
    let btn = s.focal_point("BTN");
    let mut receipts: Vec<Receipt> = Vec::new();
    let plan = [
        (&lao, "LAO", "ບໍລິການອອນລາຍ <one-stop> & more", "1.A", "16.6"),
        (&btn, "BTN", "G2C services", "8.F", "9.c"),
        (&lao, "LAO", "Health SMS", "4.A", "3.1"),
        (&btn, "BTN", "Civil registry", "8.F", "16.9"),
        (&lao, "LAO", "Rural kiosks", "8.F", "17.8"),
    ];
    for (token, country, title, mdg, sdg) in plan {
        let mut case = sample_case(country);
        case.title = title.into();
        case.mdg_links = vec![MdgLink { target: mdg.into(), indicator: None, note: String::new() }];
        case.sdg_links = vec![SdgLink { target: sdg.into(), note: None }];
        let file = s.upload(token, "deck.pdf", title.as_bytes()).await;
        let res =
            s.submit(token, &uuid::Uuid::new_v4().to_string(), &request_json(&case, &[file])).await;
        assert_eq!(res.status(), 201);
        let r: Receipt = res.json().await.unwrap();
        operator::set_state(&*s.state.meta, r.submission_id, SubmissionState::Published, None)
            .unwrap();
        receipts.push(r);
    }
    operator::withdraw_case(&*s.state.meta, receipts[2].case_uid).unwrap();

    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/oai/harvest.py");
    let base_url = format!("{}/oai", s.url);
    let venv2 = venv.clone();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(venv2.join("bin/python3"))
            .arg(script)
            .arg(base_url)
            .arg(venv2.join("schemas"))
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "the harvest failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let h: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let id = |r: &Receipt| format!("oai:paks:{}", r.case_uid);

    assert_eq!(h["repository_name"], "PAKS test server");
    assert_eq!(h["granularity"], "YYYY-MM-DDThh:mm:ssZ");
    assert_eq!(h["deleted_record"], "persistent");
    let records = h["records"].as_array().unwrap();
    let harvested: Vec<_> = records.iter().map(|r| r["identifier"].as_str().unwrap()).collect();
    // In the order of their last change: the withdrawal of the third came last.
    let expected: Vec<_> = [0, 1, 3, 4, 2].iter().map(|&i| id(&receipts[i])).collect();
    assert_eq!(harvested, expected, "all five, once each, across three pages of two");
    assert_eq!(records[4]["deleted"], true, "the withdrawn case is a deleted record");
    assert!(records.iter().enumerate().all(|(i, r)| r["deleted"] == (i == 4)));
    assert_eq!(records[0]["title"][0], "ບໍລິການອອນລາຍ <one-stop> & more");
    assert_eq!(records[0]["coverage"][0], "LAO");
    assert_eq!(records[0]["subject"][0], "MDG target 1.A");
    assert_eq!(records[0]["subject"][1], "SDG target 16.6");
    assert_eq!(
        records[0]["identifier_url"][0],
        format!("{}/cases/{}", s.url, receipts[0].submission_id)
    );
    assert_eq!(records[0]["sets"], serde_json::json!(["country:LAO", "mdg:1", "sdg:16"]));

    let by_set = &h["by_set"];
    assert_eq!(
        by_set["country:LAO"],
        serde_json::json!([id(&receipts[0]), id(&receipts[4]), id(&receipts[2])])
    );
    assert_eq!(by_set["country:BTN"], serde_json::json!([id(&receipts[1]), id(&receipts[3])]));
    assert_eq!(
        by_set["mdg:8"],
        serde_json::json!([id(&receipts[1]), id(&receipts[3]), id(&receipts[4])])
    );
    assert_eq!(by_set["sdg:16"], serde_json::json!([id(&receipts[0]), id(&receipts[3])]));
    assert_eq!(h["from_until"].as_array().unwrap().len(), 5);
    assert_eq!(h["until_2000"], "noRecordsMatch");
    let sets: Vec<_> = h["sets"].as_array().unwrap().iter().map(|s| s.as_str().unwrap()).collect();
    assert!(sets.contains(&"country:LAO") && sets.contains(&"mdg:8") && sets.contains(&"sdg:17"));
    assert_eq!(h["formats"], serde_json::json!(["oai_dc"]));
    assert_eq!(h["get_record_title"][0], "ບໍລິການອອນລາຍ <one-stop> & more");
    assert_eq!(h["missing"], "idDoesNotExist");
    assert_eq!(h["format_error"], "cannotDisseminateFormat");
    assert_eq!(
        h["verbs"],
        serde_json::json!([
            "GetRecord",
            "Identify",
            "ListIdentifiers",
            "ListMetadataFormats",
            "ListRecords",
            "ListSets"
        ])
    );
    // Identify, 3 pages of records, 2+1+2+1+3 pages of identifiers, the empty list, sets,
    // formats, three GetRecords.
    assert!(h["validated_responses"].as_u64().unwrap() >= 15, "{}", h["validated_responses"]);
    s.stop().await;
}

//! OAI-PMH 2.0 at /oai, against the real server over 127.0.0.1: every verb and every error.

#![allow(clippy::unwrap_used)] // Tests: panicking is how a test fails.

mod common;

use common::*;
use paks_protocol::{CaseDocument, MdgLink, Receipt, SdgLink, SubmissionState};
use paks_server::operator;

async fn publish(s: &TestServer, token: &str, case: &CaseDocument) -> Receipt {
    let res = s.submit(token, &uuid::Uuid::new_v4().to_string(), &request_json(case, &[])).await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let receipt: Receipt = res.json().await.unwrap();
    operator::set_state(&*s.state.meta, receipt.submission_id, SubmissionState::Published, None)
        .unwrap();
    receipt
}

fn case_with(country: &str, title: &str, mdg: &str, sdg: &str) -> CaseDocument {
    let mut case = sample_case(country);
    case.title = title.into();
    case.mdg_links = vec![MdgLink { target: mdg.into(), indicator: None, note: String::new() }];
    case.sdg_links = vec![SdgLink { target: sdg.into(), note: None }];
    case
}

async fn oai(s: &TestServer, query: &str) -> String {
    let res = s.client.get(format!("{}/oai?{query}", s.url)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "text/xml; charset=utf-8");
    res.text().await.unwrap()
}

fn error_code(xml: &str) -> Option<&str> {
    let at = xml.find("<error code=\"")? + "<error code=\"".len();
    xml[at..].split('"').next()
}

fn count(xml: &str, needle: &str) -> usize {
    xml.matches(needle).count()
}

fn token(xml: &str) -> Option<String> {
    let start = xml.find("<resumptionToken")?;
    let open_end = start + xml[start..].find('>')?;
    let close = xml[open_end..].find("</resumptionToken>")?;
    let value = &xml[open_end + 1..open_end + close];
    (!value.is_empty()).then(|| value.to_owned())
}

/// Three published cases (LAO ×2, BTN), one of them withdrawn; page size 2.
async fn repository() -> (TestServer, Vec<Receipt>) {
    let s = TestServer::start_with(|c| c.oai_page_size = 2).await;
    let lao = s.focal_point("LAO");
    let btn = s.focal_point("BTN");
    let mut title = "Village e-services <&> \"quoted\"".to_owned();
    title.push('\u{1}');
    let rs = vec![
        publish(&s, &lao, &case_with("LAO", "ບໍລິການ e-services", "1.A", "16.6")).await,
        publish(&s, &btn, &case_with("BTN", &title.replace('\u{1}', ""), "8.F", "9.c")).await,
        publish(&s, &lao, &case_with("LAO", "Health SMS", "4.A", "16.10")).await,
    ];
    operator::withdraw_case(&*s.state.meta, rs[2].submission_id).unwrap();
    (s, rs)
}

#[tokio::test]
async fn every_verb_answers_as_the_protocol_says() {
    let (s, rs) = repository().await;

    let xml = oai(&s, "verb=Identify").await;
    assert!(xml.contains("<protocolVersion>2.0</protocolVersion>"), "{xml}");
    assert!(xml.contains(&format!("<baseURL>{}/oai</baseURL>", s.url)), "{xml}");
    assert!(xml.contains("<deletedRecord>persistent</deletedRecord>"));
    assert!(xml.contains("<granularity>YYYY-MM-DDThh:mm:ssZ</granularity>"));
    assert!(xml.contains("<request verb=\"Identify\">"), "{xml}");

    let xml = oai(&s, "verb=ListMetadataFormats").await;
    assert!(xml.contains("<metadataPrefix>oai_dc</metadataPrefix>"));

    let xml = oai(&s, "verb=ListSets").await;
    for set in ["country:BTN", "country:LAO", "mdg:1", "mdg:8", "sdg:16", "sdg:17"] {
        assert!(xml.contains(&format!("<setSpec>{set}</setSpec>")), "{set} in {xml}");
    }
    assert!(!xml.contains("country:THA"), "only countries with cases");

    let id = format!("oai:paks:{}", rs[0].case_uid);
    let xml = oai(&s, &format!("verb=GetRecord&identifier={id}&metadataPrefix=oai_dc")).await;
    assert!(xml.contains(&format!("<identifier>{id}</identifier>")));
    assert!(xml.contains("<dc:title>ບໍລິການ e-services</dc:title>"), "{xml}");
    assert!(xml.contains("<dc:coverage>LAO</dc:coverage>"));
    assert!(xml.contains("<dc:subject>MDG target 1.A</dc:subject>"));
    assert!(xml.contains("<dc:subject>SDG target 16.6</dc:subject>"));
    assert!(xml.contains("<dc:creator>Ministry of Technology and Communications</dc:creator>"));
    assert!(xml.contains(&format!(
        "<dc:identifier>{}/cases/{}</dc:identifier>",
        s.url, rs[0].submission_id
    )));
    assert!(
        xml.contains(
            "<setSpec>country:LAO</setSpec><setSpec>mdg:1</setSpec><setSpec>sdg:16</setSpec>"
        ),
        "{xml}"
    );

    // Text from outside is escaped.
    let id = format!("oai:paks:{}", rs[1].case_uid);
    let xml = oai(&s, &format!("verb=GetRecord&identifier={id}&metadataPrefix=oai_dc")).await;
    assert!(xml.contains("Village e-services &lt;&amp;&gt; &quot;quoted&quot;"), "{xml}");

    // The withdrawn case is a deleted record: a header, no metadata.
    let id = format!("oai:paks:{}", rs[2].case_uid);
    let xml = oai(&s, &format!("verb=GetRecord&identifier={id}&metadataPrefix=oai_dc")).await;
    assert!(xml.contains("<header status=\"deleted\">"), "{xml}");
    assert!(!xml.contains("<metadata>"));

    // ListRecords through resumption tokens, two at a time.
    let xml = oai(&s, "verb=ListRecords&metadataPrefix=oai_dc").await;
    assert_eq!(count(&xml, "<record>"), 2);
    assert!(xml.contains("completeListSize=\"3\" cursor=\"0\""), "{xml}");
    let next = token(&xml).expect("a resumption token");
    let xml = oai(&s, &format!("verb=ListRecords&resumptionToken={next}")).await;
    assert_eq!(count(&xml, "<record>"), 1);
    assert!(xml.contains("status=\"deleted\""));
    assert!(xml.contains("completeListSize=\"3\" cursor=\"2\"></resumptionToken>"), "{xml}");

    // POST, sets, from/until.
    let res = s
        .client
        .post(s.u("/oai"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("verb=ListIdentifiers&metadataPrefix=oai_dc&set=country%3ALAO")
        .send()
        .await
        .unwrap();
    let xml = res.text().await.unwrap();
    assert_eq!(count(&xml, "<header"), 2, "{xml}");
    assert!(!xml.contains("<metadata>"));
    let xml = oai(&s, "verb=ListIdentifiers&metadataPrefix=oai_dc&set=mdg:8").await;
    assert_eq!(count(&xml, "<header"), 1, "{xml}");
    assert!(xml.contains(&rs[1].case_uid.to_string()));
    let xml = oai(&s, "verb=ListIdentifiers&metadataPrefix=oai_dc&set=sdg:16").await;
    assert_eq!(count(&xml, "<header"), 2, "16.6 and 16.10, not 1.x: {xml}");
    let xml =
        oai(&s, "verb=ListIdentifiers&metadataPrefix=oai_dc&from=2000-01-01&until=2999-12-31")
            .await;
    assert_eq!(count(&xml, "<header"), 2, "{xml}");
    let xml =
        oai(&s, "verb=ListIdentifiers&metadataPrefix=oai_dc&until=2000-01-01T00:00:00Z").await;
    assert_eq!(error_code(&xml), Some("noRecordsMatch"), "{xml}");
    let xml = oai(&s, "verb=ListIdentifiers&metadataPrefix=oai_dc&from=2999-01-01").await;
    assert_eq!(error_code(&xml), Some("noRecordsMatch"));
    s.stop().await;
}

#[tokio::test]
async fn every_error_code_is_answered() {
    let (s, rs) = repository().await;
    let cases = [
        ("", "badVerb"),
        ("verb=Frobnicate", "badVerb"),
        ("verb=Identify&verb=Identify", "badVerb"),
        ("verb=Identify&extra=1", "badArgument"),
        ("verb=ListRecords", "badArgument"),
        ("verb=ListRecords&metadataPrefix=oai_dc&metadataPrefix=oai_dc", "badArgument"),
        ("verb=ListRecords&metadataPrefix=oai_dc&from=yesterday", "badArgument"),
        (
            "verb=ListRecords&metadataPrefix=oai_dc&from=2020-01-01&until=2021-01-01T00:00:00Z",
            "badArgument",
        ),
        ("verb=ListRecords&metadataPrefix=oai_dc&from=2021-01-01&until=2020-01-01", "badArgument"),
        ("verb=ListRecords&metadataPrefix=oai_dc&set=planet:mars", "badArgument"),
        ("verb=ListRecords&metadataPrefix=oai_dc&set=mdg:9", "badArgument"),
        ("verb=ListRecords&metadataPrefix=oai_dc&resumptionToken=x", "badArgument"),
        ("verb=GetRecord&identifier=oai:paks:x", "badArgument"),
        ("verb=ListRecords&metadataPrefix=marc21", "cannotDisseminateFormat"),
        ("verb=ListRecords&resumptionToken=bm90LWEtdG9rZW4", "badResumptionToken"),
        ("verb=ListSets&resumptionToken=abc", "badResumptionToken"),
        (
            "verb=GetRecord&identifier=oai:paks:0f0f0f0f-0000-4000-8000-000000000000&metadataPrefix=oai_dc",
            "idDoesNotExist",
        ),
        ("verb=GetRecord&identifier=%3Cscript%3E&metadataPrefix=oai_dc", "idDoesNotExist"),
        ("verb=ListMetadataFormats&identifier=oai:paks:nope", "idDoesNotExist"),
        ("verb=ListRecords&metadataPrefix=oai_dc&set=country:THA", "noRecordsMatch"),
    ];
    for (query, code) in cases {
        let xml = oai(&s, query).await;
        assert_eq!(error_code(&xml), Some(code), "{query}: {xml}");
        if code == "badVerb" || code == "badArgument" {
            assert!(xml.contains("<request>"), "no arguments echoed for {code}: {xml}");
        }
    }
    // A token of ListIdentifiers is not one of ListRecords.
    let xml = oai(&s, "verb=ListIdentifiers&metadataPrefix=oai_dc").await;
    let next = token(&xml).unwrap();
    let xml = oai(&s, &format!("verb=ListRecords&resumptionToken={next}")).await;
    assert_eq!(error_code(&xml), Some("badResumptionToken"));
    let id = format!("oai:paks:{}", rs[0].case_uid);
    let xml = oai(&s, &format!("verb=GetRecord&identifier={id}&metadataPrefix=mods")).await;
    assert_eq!(error_code(&xml), Some("cannotDisseminateFormat"));
    assert!(xml.contains("verb=\"GetRecord\""), "legal arguments are echoed: {xml}");
    s.stop().await;
}

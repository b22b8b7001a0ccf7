//! The operator builds the proceedings of an event with the real binary, from the cases PAKS
//! received, published and placed in the event; the text read back out of the PDF proves which
//! cases are in it.

mod common;

use std::path::Path;
use std::process::Command;

use common::{TestServer, request_json, sample_case};

const EVENT: &str =
    "Special Workshop on ICT Access and e-Government for Achieving the MDGs, Seoul, 18 June 2010";
const LAO: &str = "ລັດຖະບານເອເລັກໂຕຣນິກ ເພື່ອບັນລຸເປົ້າໝາຍການພັດທະນາແຫ່ງສະຫັດສະວັດ";
const KHMER: &str = "រដ្ឋាភិបាលអេឡិចត្រូនិចសម្រាប់សម្រេចគោលដៅអភិវឌ្ឍន៍សហស្សវត្សរ៍";

fn paks_server(data: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_paks-server"))
        .arg("--data")
        .arg(data)
        .args(args)
        .output()
        .expect("paks-server runs")
}

fn ok(data: &Path, args: &[&str]) -> String {
    let out = paks_server(data, args);
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `pdftotext`'s text without spaces and line breaks (Lao and Khmer have no word spaces, so
/// the layout's breaks fall anywhere).
fn pdf_text(pdf: &Path) -> String {
    let out = Command::new("timeout")
        .args(["60", "pdftotext", "-enc", "UTF-8"])
        .arg(pdf)
        .arg("-")
        .output()
        .expect("pdftotext runs (poppler-utils)");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).chars().filter(|c| !c.is_whitespace()).collect()
}

fn squeezed(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_proceedings_hold_the_events_published_cases_and_only_them() {
    let server = TestServer::start().await;
    let mut ids = Vec::new();
    for (country, title, summary) in [
        ("LAO", "Lao e-government portal", LAO),
        ("KHM", "Khmer e-services", KHMER),
        ("THA", "Thai case outside the event", "Not in the event."),
        ("VNM", "Unpublished case in the event", "Not published."),
    ] {
        let token = server.focal_point(country);
        let mut case = sample_case(country);
        case.title = title.to_owned();
        case.summary = summary.to_owned();
        let res = server.submit(&token, &format!("key-{country}"), &request_json(&case, &[])).await;
        assert!(res.status().is_success(), "{}", res.status());
        let receipt: paks_protocol::Receipt = res.json().await.expect("a receipt");
        ids.push(receipt.submission_id.to_string());
    }
    let dir = server.dir.clone();
    server.stop().await;
    let data = dir.path();

    for id in &ids[..3] {
        ok(data, &["review", "publish", id]);
    }
    for id in [&ids[0], &ids[1], &ids[3]] {
        ok(data, &["publication", "set-event", id, "--event", EVENT]);
    }
    let events = ok(data, &["publication", "events"]);
    assert_eq!(events.lines().filter(|l| l.starts_with(EVENT)).count(), 3, "{events}");

    let pdf = data.join("proceedings.pdf");
    let printed =
        ok(data, &["publication", "build", "--event", EVENT, "--out", pdf.to_str().expect("path")]);
    assert!(printed.contains("proceedings of 2 case(s)"), "{printed}");
    let text = pdf_text(&pdf);
    for wanted in
        [EVENT, "Lao e-government portal", LAO, "Khmer e-services", KHMER, "IndexbyMDGtarget8.F"]
    {
        assert!(text.contains(&squeezed(wanted)), "{wanted:?} missing from {text}");
    }
    for unwanted in ["Thai case outside the event", "Unpublished case in the event"] {
        assert!(!text.contains(&squeezed(unwanted)), "{unwanted:?} in {text}");
    }
    // By country: Cambodia's chapter before Laos's.
    let chapter = |t: &str| text.rfind(&format!("{}Country", squeezed(t))).expect("chapter");
    assert!(chapter("Khmer e-services") < chapter("Lao e-government portal"));

    // Taken out of the event, a case leaves the proceedings; every published case is there
    // with --every-published.
    ok(data, &["publication", "set-event", &ids[1], "--clear"]);
    let docx = data.join("proceedings.docx");
    let docx_path = docx.to_str().expect("path");
    let printed = ok(data, &["publication", "build", "--event", EVENT, "--out", docx_path]);
    assert!(printed.contains("proceedings of 1 case(s)"), "{printed}");
    let all = ok(
        data,
        &[
            "publication",
            "build",
            "--event",
            EVENT,
            "--every-published",
            "--out",
            pdf.to_str().expect("path"),
        ],
    );
    assert!(all.contains("proceedings of 3 case(s)"), "{all}");
    assert!(pdf_text(&pdf).contains(&squeezed("Thai case outside the event")));

    let none = paks_server(
        data,
        &[
            "publication",
            "build",
            "--event",
            "No such workshop",
            "--out",
            pdf.to_str().expect("path"),
        ],
    );
    assert!(!none.status.success());
    assert!(String::from_utf8_lossy(&none.stderr).contains("No such workshop"));
    let bad = paks_server(data, &["publication", "set-event", &ids[0], "--event", "two\nlines"]);
    assert!(!bad.status.success(), "an event with a line break was accepted");
}

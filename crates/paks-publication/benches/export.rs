//! Time and size of a 30-page case as PDF and DOCX, and of the proceedings of 50 cases. Not a
//! timed test: run it by hand, on a quiet machine:
//!
//!     cargo bench -p paks-publication --bench export
//!
//! Prints the page count pdfinfo (poppler-utils) reads, when it is installed. With
//! PAKS_PUBLICATION_BENCH_OUT=DIR, keeps the documents there.

#![allow(clippy::unwrap_used)] // A bench harness: a panic is the failure report.

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use common::*;
use paks_publication::{
    FontSet, Format, PrintedCase, Proceedings, case_document, proceedings_document,
};

/// About a page of mixed English, Lao and Khmer text (35 of them lay out as 30 pages).
fn page_of_text(n: usize) -> String {
    let mut page = String::new();
    for i in 0..6 {
        page.push_str(&format!(
            "Paragraph {n}.{i}: the province connected its district offices to the national \
             network, trained staff and moved the forms online; citizens now apply from the \
             nearest post office. {LAO} {KHMER} {RUSSIAN}\n\n"
        ));
    }
    page
}

fn long_case(pages: usize) -> PrintedCase {
    let sections: Vec<String> =
        (0..5).map(|s| (0..pages / 5).map(|p| page_of_text(s * 10 + p)).collect()).collect();
    let refs: Vec<&str> = sections.iter().map(String::as_str).collect();
    case("A 30-page case", "LAO", "lo", &refs)
}

fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let start = Instant::now();
    let out = f();
    (out, start.elapsed())
}

fn pdf_pages(bytes: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.pdf");
    std::fs::write(&path, bytes).unwrap();
    std::process::Command::new("pdfinfo")
        .arg(&path)
        .output()
        .ok()
        .and_then(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .find_map(|l| l.strip_prefix("Pages:").map(|p| p.trim().to_owned()))
        })
        .unwrap_or_else(|| "?".to_owned())
}

fn report(what: &str, format: Format, bytes: &[u8], took: Duration) {
    if let Some(dir) = std::env::var_os("PAKS_PUBLICATION_BENCH_OUT") {
        let ext = if format == Format::Pdf { "pdf" } else { "docx" };
        let name = what.replace([' ', ','], "-").replace("--", "-");
        std::fs::write(std::path::Path::new(&dir).join(format!("{name}.{ext}")), bytes).unwrap();
    }
    let pages = if format == Format::Pdf { pdf_pages(bytes) } else { "-".to_owned() };
    println!(
        "{what:<28} {:<5} {:>8.2} s {:>9.1} KB  pages {pages}",
        format!("{format:?}"),
        took.as_secs_f64(),
        bytes.len() as f64 / 1024.0
    );
}

fn main() {
    let (fonts, took) = timed(FontSet::with_system_cjk);
    println!("loading the fonts (system CJK included): {:.3} s", took.as_secs_f64());
    let thirty_pages = long_case(35);
    for format in [Format::Pdf, Format::Docx] {
        let (written, took) = timed(|| case_document(&thirty_pages, format, &fonts).unwrap());
        report("case, 30 pages", format, &written.bytes, took);
    }
    let proceedings = Proceedings {
        event: "Special Workshop on ICT Access and e-Government for Achieving the MDGs".to_owned(),
        built_on: "3 December 2026".to_owned(),
        cases: (0..50)
            .map(|i| {
                let sections = [LAO, KHMER, THAI, MYANMAR, DEVANAGARI, RUSSIAN, CHINESE];
                let mut c = case(&format!("Case {i}"), "LAO", "lo", &sections);
                c.document.summary = page_of_text(i);
                c
            })
            .collect(),
    };
    for format in [Format::Pdf, Format::Docx] {
        let (written, took) = timed(|| proceedings_document(&proceedings, format, &fonts).unwrap());
        report("proceedings, 50 cases", format, &written.bytes, took);
    }
}

//! OCR of scanned PDFs and pictures, on pages the tests render themselves: text set with
//! Debian's fonts by `pango-view`, turned into image-only PDFs by `img2pdf`.
//! Needs `apt-get install tesseract-ocr tesseract-ocr-{eng,lao,khm,chi-sim,rus} poppler-utils
//! img2pdf pango1.0-tools fonts-noto-core fonts-noto-cjk` (scripts/setup-debian.sh test).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::{fixture, worker};
use desk_extract::{
    DocKind, ExtractError, Limits, OcrStatus, Outcome, run_isolated, run_isolated_watched,
};

fn run(program: &str, args: &[&std::ffi::OsStr]) {
    let out = Command::new(program).args(args).output().unwrap_or_else(|e| {
        panic!("this test needs {program} (scripts/setup-debian.sh test installs it): {e}")
    });
    assert!(out.status.success(), "{program} failed: {}", String::from_utf8_lossy(&out.stderr));
}

/// `text` set in `font` at 300 dpi, as a PNG picture.
fn render(dir: &Path, name: &str, font: &str, text: &str) -> PathBuf {
    let png = dir.join(format!("{name}.png"));
    run(
        "pango-view",
        &[
            format!("--font={font}").as_ref(),
            "--dpi=300".as_ref(),
            "--margin=60".as_ref(),
            "--width=500".as_ref(),
            "--wrap=word".as_ref(),
            "-q".as_ref(),
            "-o".as_ref(),
            png.as_os_str(),
            format!("--text={text}").as_ref(),
        ],
    );
    png
}

/// An image-only PDF with the pictures `pngs` as its pages.
fn scanned_pdf(dir: &Path, name: &str, pngs: &[PathBuf]) -> PathBuf {
    let pdf = dir.join(format!("{name}.pdf"));
    // pango-view writes no resolution into the PNG; without it img2pdf assumes 96 dpi.
    let mut args: Vec<&std::ffi::OsStr> = vec!["--imgsize".as_ref(), "300dpix300dpi".as_ref()];
    args.extend(pngs.iter().map(|p| p.as_os_str()));
    args.extend(["-o".as_ref(), pdf.as_os_str()]);
    run("img2pdf", &args);
    pdf
}

fn limits(languages: &str) -> Limits {
    Limits { ocr_languages: languages.to_string(), ..Limits::default() }
}

fn all_text(e: &desk_extract::Extraction) -> String {
    e.units.iter().map(|u| u.text.as_str()).collect::<Vec<_>>().join("\n")
}

/// A scanned page of each script is read, and a word of it is found in the text.
fn assert_scan_is_searchable(languages: &str, font: &str, text: &str, words: &[&str]) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let png = render(dir.path(), "page", font, text);
    let pdf = scanned_pdf(dir.path(), "scan", &[png]);

    let without_ocr = run_isolated(&pdf, &limits(""), &worker()).expect("the worker runs");
    assert!(
        matches!(without_ocr.outcome, Outcome::NoTextLayer { pages: 1, .. }),
        "the PDF has no text layer: {:?}",
        without_ocr.outcome
    );

    let e = run_isolated(&pdf, &limits(languages), &worker()).expect("the worker runs");
    let Outcome::OcrIndexed { pages: 1, ocr_pages: 1, confidence, .. } = e.outcome else {
        panic!("{languages}: {:?}", e.outcome)
    };
    assert!(confidence >= 60, "{languages}: confidence {confidence}");
    assert!(e.outcome.message().contains("OCR"), "{}", e.outcome.message());
    assert_eq!(e.pages.len(), 1);
    assert_eq!(e.pages[0].engine, "ocr");
    assert_eq!(e.pages[0].confidence, Some(confidence));
    let text = all_text(&e);
    for w in words {
        assert!(text.contains(w), "{languages}: {w:?} not in {text:?}");
    }
}

#[test]
fn a_scanned_english_page_is_found_by_a_word() {
    assert_scan_is_searchable(
        "eng",
        "Noto Serif 14",
        "Ministry of Posts and Telecommunications. Decree on the national digital \
         government strategy, signed in Vientiane.",
        &["Telecommunications", "strategy", "Vientiane"],
    );
}

#[test]
fn a_scanned_lao_decree_is_found_by_a_word() {
    assert_scan_is_searchable(
        "lao+eng",
        "Noto Sans Lao 18",
        "ດຳລັດ ວ່າດ້ວຍ ລັດຖະບານ ເອເລັກໂຕຣນິກ ກະຊວງ ເຕັກໂນໂລຊີ ແລະ ການສື່ສານ",
        &["ລັດຖະບານ", "ເອເລັກ"],
    );
}

#[test]
fn a_scanned_khmer_page_is_found_by_a_word() {
    assert_scan_is_searchable(
        "khm+eng",
        "Noto Sans Khmer 18",
        "រាជរដ្ឋាភិបាល កម្ពុជា យុទ្ធសាស្ត្រ រដ្ឋាភិបាល ឌីជីថល",
        // "government", "strategy" ("កម្ពុជា" comes out without its vowel sign, as it does
        // from the tesseract command).
        &["រដ្ឋាភិបាល", "យុទ្ធសាស្ត្រ"],
    );
}

#[test]
fn a_scanned_chinese_page_is_found_by_a_word() {
    assert_scan_is_searchable(
        "chi_sim+eng",
        "Noto Sans CJK SC 20",
        "国家数字政府发展战略。电子政务服务平台建设。",
        &["数字政府", "电子政务"],
    );
}

#[test]
fn a_scanned_russian_page_is_found_by_a_word() {
    assert_scan_is_searchable(
        "rus+eng",
        "Noto Serif 14",
        "Министерство цифрового развития. Стратегия электронного правительства.",
        &["Министерство", "правительства"],
    );
}

#[test]
fn a_photographed_form_as_png_jpeg_and_tiff_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let png = render(
        dir.path(),
        "form",
        "Noto Sans 14",
        "Survey form. Name of the district office: Savannakhet. Number of staff trained: 42.",
    );
    let jpeg = dir.path().join("form.jpg");
    let tiff = dir.path().join("form.tif");
    // img2pdf cannot write pictures; tesseract reads the PNG, pdftoppm writes the others.
    let pdf = scanned_pdf(dir.path(), "form", std::slice::from_ref(&png));
    for (flag, out) in [("-jpeg", &jpeg), ("-tiff", &tiff)] {
        let base = out.with_extension("");
        run(
            "pdftoppm",
            &[
                flag.as_ref(),
                "-r".as_ref(),
                "300".as_ref(),
                "-singlefile".as_ref(),
                pdf.as_os_str(),
                base.as_os_str(),
            ],
        );
    }
    for (path, kind) in [(&png, DocKind::Png), (&jpeg, DocKind::Jpeg), (&tiff, DocKind::Tiff)] {
        let e = run_isolated(path, &limits("eng"), &worker()).unwrap();
        assert_eq!(e.kind, kind);
        assert!(matches!(e.outcome, Outcome::OcrIndexed { pages: 1, .. }), "{kind:?}: {e:?}");
        assert!(e.outcome.message().starts_with("Read by OCR"), "{}", e.outcome.message());
        assert!(all_text(&e).contains("Savannakhet"), "{kind:?}: {}", all_text(&e));
    }
}

#[test]
fn a_mixed_pdf_keeps_its_text_layer_and_reads_only_the_scanned_pages() {
    let dir = tempfile::tempdir().unwrap();
    let png = render(dir.path(), "scan", "Noto Serif 14", "Annex: signed minutes of the meeting.");
    let scan = scanned_pdf(dir.path(), "scan", &[png]);
    let mixed = dir.path().join("mixed.pdf");
    run(
        "pdfunite",
        &[
            fixture("three_pages.pdf").as_os_str(),
            scan.as_os_str(),
            fixture("three_pages.pdf").as_os_str(),
            mixed.as_os_str(),
        ],
    );
    let e = run_isolated(&mixed, &limits("eng"), &worker()).unwrap();
    let Outcome::OcrIndexed { pages: 7, ocr_pages: 1, .. } = e.outcome else {
        panic!("{:?}", e.outcome)
    };
    let engines: Vec<(u32, &str)> = e.pages.iter().map(|p| (p.number, p.engine.as_str())).collect();
    assert_eq!(
        engines,
        [
            (1, "pdf-extract"),
            (2, "pdf-extract"),
            (3, "pdf-extract"),
            (4, "ocr"),
            (5, "pdf-extract"),
            (6, "pdf-extract"),
            (7, "pdf-extract")
        ]
    );
    assert!(e.pages.iter().filter(|p| p.engine != "ocr").all(|p| p.confidence.is_none()));
    let page4 = e.units.iter().find(|u| u.number == 4).unwrap();
    assert!(page4.text.contains("minutes"), "{}", page4.text);
    let page1 = e.units.iter().find(|u| u.number == 1).unwrap();
    assert!(page1.text.contains("digital government"), "{}", page1.text);
    assert!(e.outcome.message().contains("1 of them read from the scan by OCR"));
}

/// A PNG of grey noise: specks, no letters.
fn noise_png(path: &Path) {
    let (w, h) = (800u32, 600u32);
    let mut seed = 0x9e37_79b9_u32;
    let mut pixels = Vec::with_capacity((w * h) as usize);
    for _ in 0..w * h {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        pixels.push((seed >> 24) as u8);
    }
    let file = std::fs::File::create(path).expect("writing the noise picture");
    let mut encoder = png::Encoder::new(std::io::BufWriter::new(file), w, h);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().expect("writing the noise picture");
    writer.write_image_data(&pixels).expect("writing the noise picture");
}

#[test]
fn a_garbage_picture_gives_a_clear_outcome() {
    let dir = tempfile::tempdir().unwrap();
    let noise = dir.path().join("noise.png");
    noise_png(&noise);
    let e = run_isolated(&noise, &limits("eng"), &worker()).unwrap();
    assert!(matches!(e.outcome, Outcome::NoTextRecognised { pages: 1, .. }), "{e:?}");
    assert!(e.units.is_empty(), "{:?}", e.units);
    assert!(e.outcome.message().starts_with("No words recognised"), "{}", e.outcome.message());

    // A PNG cut short after its header: the picture itself is broken.
    let broken = dir.path().join("broken.png");
    let bytes = std::fs::read(&noise).unwrap();
    std::fs::write(&broken, &bytes[..64]).unwrap();
    let e = run_isolated(&broken, &limits("eng"), &worker()).unwrap();
    assert!(matches!(e.outcome, Outcome::Damaged { .. }), "{e:?}");
    assert!(e.outcome.message().contains("OCR"), "{}", e.outcome.message());
}

#[test]
fn a_language_that_is_not_installed_leaves_the_scan_unread_without_failing() {
    let dir = tempfile::tempdir().unwrap();
    let png = render(dir.path(), "page", "Noto Serif 14", "Report of the ministry.");
    let pdf = scanned_pdf(dir.path(), "scan", &[png]);
    let e = run_isolated(&pdf, &limits("xyz"), &worker()).unwrap();
    assert!(matches!(e.outcome, Outcome::NoTextLayer { pages: 1, .. }), "{e:?}");
}

#[test]
fn a_200_page_scan_reports_progress_and_can_be_cancelled() {
    let dir = tempfile::tempdir().unwrap();
    let png = render(dir.path(), "page", "Noto Serif 14", "Page of a long scanned report.");
    let pngs = vec![png; 200];
    let pdf = scanned_pdf(dir.path(), "long", &pngs);

    let cancel = AtomicBool::new(false);
    let mut seen: Vec<OcrStatus> = Vec::new();
    let started = Instant::now();
    let mut cancelled_at = None;
    let result = run_isolated_watched(&pdf, &limits("eng"), &worker(), &cancel, &mut |s| {
        seen.push(s);
        if s.done >= 3 && cancelled_at.is_none() {
            cancel.store(true, Ordering::Relaxed);
            cancelled_at = Some(Instant::now());
        }
    });
    assert!(matches!(result, Err(ExtractError::Cancelled)), "{result:?}");
    let Some(cancelled_at) = cancelled_at else { panic!("no progress: {seen:?}") };
    assert!(cancelled_at.elapsed() < Duration::from_secs(2), "the worker was not stopped");
    assert_eq!(seen[0], OcrStatus { done: 0, total: 200 });
    assert!(seen.windows(2).all(|w| w[1].done >= w[0].done && w[1].total == 200), "{seen:?}");
    assert!(started.elapsed() < Duration::from_secs(120));
}

#[test]
fn a_scan_stopped_halfway_goes_on_from_the_pages_already_read() {
    let dir = tempfile::tempdir().unwrap();
    let pngs: Vec<PathBuf> = ["Alpha", "Bravo", "Charlie", "Delta", "Echo"]
        .iter()
        .map(|w| render(dir.path(), w, "Noto Serif 14", &format!("Page {w} of the report.")))
        .collect();
    let pdf = scanned_pdf(dir.path(), "long", &pngs);
    let kept = dir.path().join("kept pages");
    let kept_eng = Limits { ocr_pages_dir: Some(kept.clone()), ..limits("eng") };

    let cancel = AtomicBool::new(false);
    let stopped = run_isolated_watched(&pdf, &kept_eng, &worker(), &cancel, &mut |s| {
        if s.done >= 2 {
            cancel.store(true, Ordering::Relaxed);
        }
    });
    assert!(matches!(stopped, Err(ExtractError::Cancelled)), "{stopped:?}");
    let first = std::fs::read_to_string(kept.join("1.json")).expect("page 1 was kept");
    assert!(first.contains("Alpha"), "{first}");
    assert!(!kept.join("5.json").exists(), "page 5 was not read before the stop");

    // Proof that page 1 is not read again: what was kept for it is what comes out.
    std::fs::write(kept.join("1.json"), first.replace("Alpha", "Kilo")).unwrap();
    let mut seen: Vec<OcrStatus> = Vec::new();
    let e = run_isolated_watched(&pdf, &kept_eng, &worker(), &AtomicBool::new(false), &mut |s| {
        seen.push(s)
    })
    .unwrap();
    let text = all_text(&e);
    assert!(text.contains("Kilo") && !text.contains("Alpha"), "{text}");
    assert!(text.contains("Echo"), "the pages after the stop are read: {text}");
    assert_eq!(seen.last(), Some(&OcrStatus { done: 5, total: 5 }));
    assert!(matches!(e.outcome, Outcome::OcrIndexed { pages: 5, ocr_pages: 5, .. }), "{e:?}");

    // Kept pages read in other languages are read again.
    let other = Limits { ocr_pages_dir: Some(kept), ..limits("eng+rus") };
    let e = run_isolated(&pdf, &other, &worker()).unwrap();
    assert!(all_text(&e).contains("Alpha"), "{}", all_text(&e));
}

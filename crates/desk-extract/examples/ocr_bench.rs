//! OCR bench: pages per second per language and character error rate (CER) of our pipeline
//! (image-only PDF → worker → pdftoppm → tesseract) beside `tesseract` alone on the same
//! rendered picture.
//!
//! cargo build --release -p desk-extract --bin paks-desk-extract-worker --example ocr_bench
//! nice -n 10 target/release/examples/ocr_bench [PAGES_PER_LANGUAGE]
//!
//! Pages are rendered by `pango-view` with Debian's Noto fonts and turned into PDFs by
//! `img2pdf`, as in tests/ocr.rs.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

use desk_extract::{Limits, WorkerCommand, run_isolated};

const SAMPLES: &[(&str, &str, &str)] = &[
    (
        "eng",
        "Noto Serif 12",
        "The Ministry of Posts and Telecommunications has prepared this national strategy for \
         digital government. It sets out how ministries will share data, how citizens will reach \
         services online, and how staff in provinces and districts will be trained over five years.",
    ),
    (
        "lao",
        "Noto Sans Lao 14",
        "ກະຊວງ ເຕັກໂນໂລຊີ ແລະ ການສື່ສານ ໄດ້ກະກຽມ ຍຸດທະສາດ ລັດຖະບານ ເອເລັກໂຕຣນິກ ແຫ່ງຊາດ \
         ເພື່ອ ໃຫ້ ການບໍລິການ ແກ່ ປະຊາຊົນ ທົ່ວ ປະເທດ",
    ),
    (
        "khm",
        "Noto Sans Khmer 14",
        "រាជរដ្ឋាភិបាល កម្ពុជា បាន រៀបចំ យុទ្ធសាស្ត្រ រដ្ឋាភិបាល ឌីជីថល ដើម្បី ផ្តល់ សេវា សាធារណៈ ដល់ ប្រជាពលរដ្ឋ",
    ),
    (
        "chi_sim",
        "Noto Sans CJK SC 14",
        "国家数字政府发展战略。各部门共享数据，公民在线获得公共服务，省和县的工作人员在五年内接受培训。",
    ),
    (
        "rus",
        "Noto Serif 12",
        "Министерство цифрового развития подготовило национальную стратегию электронного \
         правительства. Она описывает обмен данными между ведомствами и обучение сотрудников.",
    ),
];

fn main() -> ExitCode {
    match bench() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ocr_bench: {e}");
            ExitCode::FAILURE
        }
    }
}

fn bench() -> Result<(), String> {
    let pages: usize = std::env::args().nth(1).and_then(|n| n.parse().ok()).unwrap_or(5);
    let worker = worker()?;
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    println!(
        "| language | pages | pipeline pages/s | pipeline CER | tesseract CLI pages/s | tesseract CLI CER |"
    );
    println!("| --- | --- | --- | --- | --- | --- |");
    for (lang, font, text) in SAMPLES {
        let png = render(dir.path(), lang, font, text)?;
        let pdf = dir.path().join(format!("{lang}.pdf"));
        let mut args: Vec<PathBuf> = vec!["--imgsize".into(), "300dpix300dpi".into()];
        args.extend(vec![png.clone(); pages]);
        args.extend([PathBuf::from("-o"), pdf.clone()]);
        run("img2pdf", &args)?;
        let languages = if *lang == "eng" { "eng".to_string() } else { format!("{lang}+eng") };
        let limits = Limits { ocr_languages: languages.clone(), ..Limits::default() };

        let started = Instant::now();
        let e = run_isolated(&pdf, &limits, &worker).map_err(|e| e.to_string())?;
        let ours_s = started.elapsed().as_secs_f64();
        let first = e.units.first().map(|u| u.text.clone()).unwrap_or_default();

        let started = Instant::now();
        let mut cli = String::new();
        for _ in 0..pages {
            let out = Command::new("tesseract")
                .arg(&png)
                .arg("stdout")
                .args(["-l", &languages])
                .env("OMP_THREAD_LIMIT", "1")
                .output()
                .map_err(|e| format!("tesseract: {e}"))?;
            cli = String::from_utf8_lossy(&out.stdout).into_owned();
        }
        let cli_s = started.elapsed().as_secs_f64();
        println!(
            "| {lang} | {pages} | {:.2} | {:.1} % | {:.2} | {:.1} % |",
            pages as f64 / ours_s,
            100.0 * cer(text, &first),
            pages as f64 / cli_s,
            100.0 * cer(text, &cli),
        );
    }
    Ok(())
}

fn worker() -> Result<WorkerCommand, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let dir = exe.parent().and_then(Path::parent).ok_or("no target folder")?;
    Ok(WorkerCommand::new(dir.join("paks-desk-extract-worker")))
}

fn run(program: &str, args: &[PathBuf]) -> Result<(), String> {
    let out = Command::new(program).args(args).output().map_err(|e| format!("{program}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!("{program}: {}", String::from_utf8_lossy(&out.stderr)))
    }
}

fn render(dir: &Path, name: &str, font: &str, text: &str) -> Result<PathBuf, String> {
    let png = dir.join(format!("{name}.png"));
    let out = Command::new("pango-view")
        .arg(format!("--font={font}"))
        .args(["--dpi=300", "--margin=60", "--width=500", "--wrap=word", "-q", "-o"])
        .arg(&png)
        .arg(format!("--text={text}"))
        .output()
        .map_err(|e| format!("pango-view: {e}"))?;
    if !out.status.success() {
        return Err(format!("pango-view: {}", String::from_utf8_lossy(&out.stderr)));
    }
    Ok(png)
}

/// Character error rate: edit distance over the reference's length, whitespace ignored
/// (tesseract puts spaces between CJK characters and breaks lines where pango did).
fn cer(reference: &str, read: &str) -> f64 {
    let a: Vec<char> = reference.chars().filter(|c| !c.is_whitespace()).collect();
    let b: Vec<char> = read.chars().filter(|c| !c.is_whitespace()).collect();
    if a.is_empty() {
        return 0.0;
    }
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            let next = (prev + cost).min(row[j] + 1).min(row[j + 1] + 1);
            prev = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()] as f64 / a.len() as f64
}

//! Export and validation of a 1 GB case against `zip` + `sha256sum` (and `unzip` + `sha256sum`)
//! on the same files. Not a timed test: run it by hand, in release, on a quiet machine:
//!
//!     cargo bench -p paks-bag --bench export            # PAKS_BAG_BENCH_MB=1024 by default
//!
//! The files are incompressible, like the PDFs, slides and photos attached to cases.

#![allow(clippy::unwrap_used)] // A bench harness: a panic is the failure report.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use paks_bag::{BagContents, ExportFile, Limits, Tags, open_bag, write_bag_file};

fn make_files(dir: &Path, total_mb: usize, count: usize) -> Vec<ExportFile> {
    let per_file = total_mb * 1024 * 1024 / count;
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..count)
        .map(|i| {
            let mut data = vec![0u8; per_file];
            for chunk in data.chunks_mut(8) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let bytes = x.to_le_bytes();
                chunk.copy_from_slice(&bytes[..chunk.len()]);
            }
            let path = dir.join(format!("attachment-{i}.pdf"));
            std::fs::write(&path, &data).unwrap();
            ExportFile { name: format!("attachment-{i}.pdf"), path }
        })
        .collect()
}

fn timed(f: impl FnOnce()) -> Duration {
    let start = Instant::now();
    f();
    start.elapsed()
}

fn sh(cmd: &mut Command) {
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{cmd:?}: {}", String::from_utf8_lossy(&out.stderr));
}

fn main() {
    let mb: usize =
        std::env::var("PAKS_BAG_BENCH_MB").ok().and_then(|v| v.parse().ok()).unwrap_or(1024);
    let dir =
        tempfile::tempdir_in(std::env::var_os("PAKS_BAG_BENCH_DIR").unwrap_or_else(|| ".".into()))
            .unwrap();
    let src = dir.path().join("case");
    std::fs::create_dir_all(&src).unwrap();
    let files = make_files(&src, mb, 8);
    let case_json = br#"{"placeholder":"the bench measures bytes, not the schema"}"#;
    let bytes = (mb * 1024 * 1024) as f64;
    let rate = |d: Duration| bytes / d.as_secs_f64() / 1e6;
    // Warm the page cache for every contender alike.
    sh(Command::new("cat").args(files.iter().map(|f| &f.path)).stdout(std::process::Stdio::null()));

    let bag = dir.path().join("bag.zip");
    let contents =
        BagContents { root: "bench-case", case_json, files: &files, info: Tags::default() };
    let ours_export = timed(|| {
        write_bag_file(&bag, &contents, &mut |_, _| {}).unwrap();
    });
    let baseline = |level: &str| {
        let out = dir.path().join(format!("baseline{level}.zip"));
        timed(|| {
            sh(Command::new("zip")
                .arg("-q")
                .arg(level)
                .arg("-r")
                .arg(&out)
                .arg("case")
                .current_dir(dir.path()));
            sh(Command::new("sha256sum")
                .args(files.iter().map(|f| &f.path))
                .stdout(std::process::Stdio::null()));
        })
    };
    let zip6 = baseline("-6");
    let zip0 = baseline("-0");

    // Validation: our reader checks a bag whose case.json is real; build one from the same files.
    let real_case = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../paks-server/tests/fixtures/submission.json"
    ))
    .unwrap();
    let real_case: serde_json::Value = serde_json::from_slice(&real_case).unwrap();
    let real_case = serde_json::to_vec(&real_case["case"]).unwrap();
    let valid = BagContents {
        root: "bench-case",
        case_json: &real_case,
        files: &files,
        info: Tags::default(),
    };
    write_bag_file(&bag, &valid, &mut |_, _| {}).unwrap();
    let work = dir.path().join("work");
    std::fs::create_dir_all(&work).unwrap();
    let limits = Limits { max_bag_bytes: u64::MAX, ..Limits::default() };
    let ours_validate = timed(|| {
        open_bag(&bag, &work, &limits).unwrap();
    });
    let unzipped = dir.path().join("unzipped");
    let unzip = timed(|| {
        sh(Command::new("unzip").arg("-q").arg(&bag).arg("-d").arg(&unzipped));
        sh(Command::new("sh")
            .arg("-c")
            .arg("sha256sum bench-case/data/attachments/* > /dev/null")
            .current_dir(&unzipped));
    });

    println!(
        "{mb} MiB in 8 incompressible files, {} core(s)",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!(
        "export   paks-bag            {:7.2} s  {:7.1} MB/s",
        ours_export.as_secs_f64(),
        rate(ours_export)
    );
    println!(
        "export   zip -6 + sha256sum  {:7.2} s  {:7.1} MB/s  ratio {:.2}",
        zip6.as_secs_f64(),
        rate(zip6),
        zip6.as_secs_f64() / ours_export.as_secs_f64()
    );
    println!(
        "export   zip -0 + sha256sum  {:7.2} s  {:7.1} MB/s  ratio {:.2}",
        zip0.as_secs_f64(),
        rate(zip0),
        zip0.as_secs_f64() / ours_export.as_secs_f64()
    );
    println!(
        "validate paks-bag            {:7.2} s  {:7.1} MB/s",
        ours_validate.as_secs_f64(),
        rate(ours_validate)
    );
    println!(
        "validate unzip + sha256sum   {:7.2} s  {:7.1} MB/s  ratio {:.2}",
        unzip.as_secs_f64(),
        rate(unzip),
        unzip.as_secs_f64() / ours_validate.as_secs_f64()
    );
    println!(
        "ratio = the tools' time / paks-bag's time (>= 0.8 is the goal; above 1 paks-bag is faster)"
    );
}
